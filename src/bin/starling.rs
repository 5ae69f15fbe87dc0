//! `starling`: a standalone cluster (one FE, three BEs) in one command.
//! `starling fe ...` and `starling be ...` run a single role (used for the
//! child processes).

use clap::{Parser, Subcommand};
use starling::roles::{BeArgs, FeArgs};
use starling::standalone::StandaloneArgs;
use starling::watch::WatchArgs;

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
    /// Follow running BACKUP and RESTORE jobs with progress bars until they
    /// end (exit status 0 only when all FINISHED).
    Watch(WatchArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Role::Watch(args)) = cli.role {
        return watch(args);
    }
    starling::run_main("starling", async move {
        match cli.role {
            Some(Role::Fe(args)) => starling::roles::run_fe(args).await,
            Some(Role::Be(args)) => starling::roles::run_be(args).await,
            Some(Role::Watch(_)) => Ok(()),
            None => starling::standalone::run(cli.standalone).await,
        }
    })
}

/// `starling watch`: 0 when every job FINISHED, 1 when one did not, 2 when
/// nothing could be watched.
fn watch(args: WatchArgs) -> std::process::ExitCode {
    let outcome = match starling::runtime() {
        Ok(rt) => rt.block_on(starling::watch::run(args)),
        Err(e) => Err(e.to_string()),
    };
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("starling watch: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
