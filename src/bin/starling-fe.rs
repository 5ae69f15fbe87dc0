//! `starling-fe`: one frontend process.

use clap::Parser;

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
