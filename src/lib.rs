//! The Starling binaries: `starling` (a standalone cluster: one FE and N BEs as
//! child processes; `starling watch` follows running jobs), `starling-fe` and
//! `starling-be`.
//!
//! The role entry points live here so that `starling` can re-execute itself as
//! an FE or a BE child, and the dedicated binaries stay thin.

pub mod roles;
pub mod standalone;
pub mod watch;

/// Stack of every runtime thread. Statements are planned and executed by
/// recursive code (sqlparser, DataFusion) on the runtime's threads; with
/// nesting bounded by the parser (`parser::MAX_NESTING`) this is enough for the deepest
/// statement the parser lets through, in debug builds too. Only touched
/// pages use memory.
pub const THREAD_STACK_BYTES: usize = 256 << 20;

/// The process's tokio runtime (multi-threaded, [`THREAD_STACK_BYTES`] per thread).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK_BYTES)
        .build()
}

/// Runs `main` on [`runtime`] and turns its outcome into an exit code.
pub fn run_main<F>(name: &str, main: F) -> std::process::ExitCode
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let outcome = match runtime() {
        Ok(rt) => rt.block_on(main),
        Err(e) => Err(e.to_string()),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
