//! `starling`: a standalone cluster (one FE, three BEs) in one command.
//! `starling fe ...` and `starling be ...` run a single role (used for the
//! child processes).

use clap::{Parser, Subcommand};
use starling::roles::{BeArgs, FeArgs};
use starling::standalone::StandaloneArgs;

#[derive(Parser)]
#[command(version, about = "Starling: a StarRocks-compatible OLAP database")]
struct Cli {
    #[command(subcommand)]
    role: Option<Role>,
    #[command(flatten)]
    standalone: StandaloneArgs,
}

#[derive(Subcommand)]
enum Role {
    /// Run one frontend.
    Fe(FeArgs),
    /// Run one backend.
    Be(BeArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    starling::run_main("starling", async move {
        match cli.role {
            Some(Role::Fe(args)) => starling::roles::run_fe(args).await,
            Some(Role::Be(args)) => starling::roles::run_be(args).await,
            None => starling::standalone::run(cli.standalone).await,
        }
    })
}
