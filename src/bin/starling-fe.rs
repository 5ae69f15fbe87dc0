//! `starling-fe`: one frontend process.

use clap::Parser;

/// mimalloc: DataFusion allocates and frees many short-lived buffers per
/// batch; glibc malloc spent about 4% of TPC-H Q1 on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "Starling frontend: MySQL protocol, catalog, jobs")]
struct Cli {
    #[command(flatten)]
    args: starling::roles::FeArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match starling::roles::run_fe(cli.args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("starling-fe: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
