//! `starling-fe`: one frontend process.

use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Starling frontend: MySQL protocol, catalog, jobs")]
struct Cli {
    #[command(flatten)]
    args: starling::roles::FeArgs,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    starling::run_main("starling-fe", starling::roles::run_fe(cli.args))
}
