//! `starling-be`: one backend process.

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Starling backend: holds tablets, runs FE tasks")]
struct Cli {
    #[command(flatten)]
    args: starling::roles::BeArgs,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    starling::run_main("starling-be", starling::roles::run_be(cli.args))
}
