//! `starling-be`: one backend process.

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Starling backend: holds tablets, runs FE tasks")]
struct Cli {
    #[command(flatten)]
    args: starling::roles::BeArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match starling::roles::run_be(cli.args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("starling-be: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
