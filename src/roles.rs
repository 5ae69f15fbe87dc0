//! FE and BE process entry points with their command-line flags.

use std::path::{Path, PathBuf};

use clap::Args;
use conf::{BeConfig, FeConfig};

/// Flags of `starling-fe` (and `starling fe`).
#[derive(Debug, Clone, Args)]
pub struct FeArgs {
    /// Configuration file in `key = value` format (default: built-in defaults).
    #[arg(long)]
    pub conf: Option<PathBuf>,
    /// Directory for the catalog and logs.
    #[arg(long, default_value = "starling-data/fe")]
    pub data_dir: PathBuf,
    /// MySQL protocol port (overrides the configuration; 0 picks a free port).
    #[arg(long)]
    pub query_port: Option<u16>,
    /// HTTP port (overrides the configuration; 0 picks a free port).
    #[arg(long)]
    pub http_port: Option<u16>,
    /// Registers a backend `host:port` at start-up if it is not registered yet.
    #[arg(long = "backend")]
    pub backends: Vec<String>,
    /// Writes `query_port http_port` to this file once listening.
    #[arg(long)]
    pub port_file: Option<PathBuf>,
}

/// Flags of `starling-be` (and `starling be`).
#[derive(Debug, Clone, Args)]
pub struct BeArgs {
    /// Configuration file in `key = value` format (default: built-in defaults).
    #[arg(long)]
    pub conf: Option<PathBuf>,
    /// Directory for tablets and logs.
    #[arg(long, default_value = "starling-data/be")]
    pub data_dir: PathBuf,
    /// Task service port (overrides the configuration; 0 picks a free port).
    #[arg(long)]
    pub be_port: Option<u16>,
    /// HTTP port (overrides `be_http_port`; 0 picks a free port).
    #[arg(long)]
    pub http_port: Option<u16>,
    /// Writes the bound port to this file once listening.
    #[arg(long)]
    pub port_file: Option<PathBuf>,
}

/// Initialises logging to stderr with the configured level (`RUST_LOG` wins).
pub fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

fn load<T>(
    path: Option<&Path>,
    load: impl Fn(&Path) -> Result<(T, Vec<String>), conf::ConfError>,
) -> Result<(T, Vec<String>), String>
where
    T: Default,
{
    match path {
        Some(p) => load(p).map_err(|e| e.to_string()),
        None => Ok((T::default(), Vec::new())),
    }
}

/// Resolves when SIGINT or SIGTERM arrives. The handlers are installed when
/// this function is called (not when the future is first polled), so a signal
/// that arrives during start-up is not lost to the default action.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let handlers = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()));
    async move {
        let (Ok(mut term), Ok(mut int)) = handlers else {
            // Without signal handlers, run until killed.
            std::future::pending::<()>().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
}

/// Makes every file this process creates private to its user (0600, and
/// 0700 for directories: the catalog, its WAL, tablets, logs), and closes
/// `data_dir` itself to others, as it was created by an earlier version
/// that did not.
pub fn private_files(data_dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only sets the process's file mode creation mask.
    unsafe {
        libc::umask(0o077);
    }
    std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot restrict {}: {e}", data_dir.display()))
}

fn write_port_file(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Runs an FE until SIGINT/SIGTERM.
pub async fn run_fe(args: FeArgs) -> Result<(), String> {
    let shutdown = shutdown_signal();
    let (mut config, warnings) = load::<FeConfig>(args.conf.as_deref(), FeConfig::load)?;
    if let Some(p) = args.query_port {
        config.query_port = p;
    }
    if let Some(p) = args.http_port {
        config.http_port = p;
    }
    init_logging(&config.sys_log_level);
    for w in warnings {
        tracing::warn!("{w}");
    }
    private_files(&args.data_dir)?;
    let listeners = fe::Listeners::bind(&config).await.map_err(|e| {
        format!(
            "cannot listen on {}:{}/{}: {e}",
            config.listen_host, config.query_port, config.http_port
        )
    })?;
    let query = listeners.query.local_addr().map_err(|e| e.to_string())?.port();
    let http = listeners.http.local_addr().map_err(|e| e.to_string())?.port();
    if !args.backends.is_empty() {
        fe::register_backends(&config, &args.data_dir, &args.backends).map_err(|e| e.to_string())?;
    }
    if let Some(path) = &args.port_file {
        write_port_file(path, &format!("{query} {http}\n"))?;
    }
    fe::run(config, &args.data_dir, listeners, shutdown)
        .await
        .map_err(|e| e.to_string())
}

/// Runs a BE until SIGINT/SIGTERM.
pub async fn run_be(args: BeArgs) -> Result<(), String> {
    let shutdown = shutdown_signal();
    let (mut config, warnings) = load::<BeConfig>(args.conf.as_deref(), BeConfig::load)?;
    if let Some(p) = args.be_port {
        config.be_port = p;
    }
    if let Some(p) = args.http_port {
        config.be_http_port = p;
    }
    init_logging(&config.sys_log_level);
    for w in warnings {
        tracing::warn!("{w}");
    }
    private_files(&args.data_dir)?;
    let root = be::storage_root(&config, &args.data_dir);
    let listener = be::bind(&config)
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", config.listen_host, config.be_port))?;
    let http = be::bind_http(&config).await.map_err(|e| {
        format!(
            "cannot listen on {}:{}: {e}",
            config.listen_host, config.be_http_port
        )
    })?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let http_port = http.local_addr().map_err(|e| e.to_string())?.port();
    if let Some(path) = &args.port_file {
        write_port_file(path, &format!("{port} {http_port}\n"))?;
    }
    be::serve(listener, http, &config, root, shutdown)
        .await
        .map_err(|e| e.to_string())
}
