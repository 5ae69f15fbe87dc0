//! The Starling frontend: MySQL protocol, catalog, DDL, cluster management.
//!
//! ```text
//!  client ──MySQL──▶ server::mysql (opensrv shim, wire fixes)
//!                        │ parsed statements
//!                        ▼
//!                    handler::execute ──▶ ddl (analysis) ──▶ catalog (RocksDB)
//!                        │                      │
//!                        ▼                      ▼
//!                    result::Output       cluster (heartbeats, tablet RPCs) ──gRPC──▶ BEs
//! ```
//!
//! Start at [`run`], then [`handler::execute`]. The protocol layer only
//! translates; every decision is in `handler`, `ddl` and `cluster`.

#![warn(missing_docs)]

pub mod auth;
pub mod backup;
pub mod cluster;
pub mod ddl;
pub mod error;
pub mod handler;
pub mod http;
pub mod live_config;
pub mod load;
pub mod privilege;
pub mod query;
pub mod result;
pub mod server;
pub mod session;
pub mod variables;

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use catalog::Catalog;
use conf::FeConfig;
use tokio::net::TcpListener;

pub use error::{ErrorCode, FeError};

/// StarRocks release whose behaviour Starling follows; shown in `version_comment`.
pub const STARROCKS_COMPAT_VERSION: &str = "3.4.0";

/// Everything a statement handler can reach.
pub struct Fe {
    /// Configuration as loaded.
    pub config: FeConfig,
    /// The configuration now: `fe.conf` with what `ADMIN SET FRONTEND CONFIG` changed.
    pub live: Arc<live_config::LiveConfig>,
    /// The metadata.
    pub catalog: Arc<Catalog>,
    /// Backends and their liveness.
    pub cluster: Arc<cluster::Cluster>,
    /// Global variables.
    pub globals: variables::GlobalVariables,
    /// Live connections.
    pub connections: session::Connections,
    /// Ports actually bound (after port 0 resolution).
    pub ports: Ports,
    /// When this FE started, epoch ms.
    pub start_time_ms: i64,
    /// Serialises loads per table.
    pub load_locks: load::txn::LoadLocks,
    /// Rejected rows of recent Stream Loads.
    pub error_logs: http::ErrorLogs,
    /// Repositories and BACKUP jobs.
    pub backups: Arc<backup::Backups>,
    /// Failed logins and lockouts (MySQL and HTTP).
    pub logins: auth::Logins,
}

impl Fe {
    /// The lock serialising loads into a table.
    pub fn table_load_lock(&self, table_id: u64) -> Arc<tokio::sync::Mutex<()>> {
        self.load_locks.get(table_id)
    }
}

/// The FE's listening addresses.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// MySQL protocol.
    pub query: u16,
    /// HTTP.
    pub http: u16,
}

/// Resolves the catalog directory: relative paths are taken under `data_dir`.
pub fn meta_dir(config: &FeConfig, data_dir: &Path) -> PathBuf {
    let dir = PathBuf::from(&config.meta_dir);
    if dir.is_absolute() {
        dir
    } else {
        data_dir.join(dir)
    }
}

/// Bound listeners of an FE, so callers can learn ports before serving.
pub struct Listeners {
    /// MySQL protocol listener.
    pub query: TcpListener,
    /// HTTP listener.
    pub http: TcpListener,
}

impl Listeners {
    /// Binds both ports from the configuration (0 picks a free port).
    pub async fn bind(config: &FeConfig) -> std::io::Result<Self> {
        Ok(Self {
            query: listen(&config.listen_host, config.query_port).await?,
            http: listen(&config.listen_host, config.http_port).await?,
        })
    }
}

/// Listens with a deep accept queue: a burst of clients connecting at once
/// (a connection pool starting, a load test) must not overflow it, or the
/// kernel drops SYNs and clients stall for seconds in retransmission back-off.
async fn listen(host: &str, port: u16) -> std::io::Result<TcpListener> {
    const BACKLOG: u32 = 4096;
    let mut last_err = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| std::io::Error::other(format!("cannot resolve {host}"))))
}

/// Opens the catalog, then serves MySQL and HTTP and heartbeats backends until
/// `shutdown` resolves.
pub async fn run(
    config: FeConfig,
    data_dir: &Path,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), FeError> {
    let meta = meta_dir(&config, data_dir);
    std::fs::create_dir_all(&meta)
        .map_err(|e| FeError::Internal(format!("cannot create {}: {e}", meta.display())))?;
    let catalog = Arc::new(Catalog::open(&meta)?);
    auth::ensure_root(&catalog)?;
    privilege::ensure_builtin_roles(&catalog)?;
    let query_addr: SocketAddr = listeners
        .query
        .local_addr()
        .map_err(|e| FeError::Internal(e.to_string()))?;
    let http_addr: SocketAddr = listeners
        .http
        .local_addr()
        .map_err(|e| FeError::Internal(e.to_string()))?;
    let cluster = Arc::new(cluster::Cluster::new(
        Arc::clone(&catalog),
        Duration::from_secs(config.heartbeat_timeout_second.max(1)),
    ));
    let persisted_globals = catalog.read().global_variables().clone();
    let version_comment = format!(
        "StarRocks version {STARROCKS_COMPAT_VERSION} (Starling {})",
        env!("CARGO_PKG_VERSION")
    );
    cluster.set_http_port(http_addr.port());
    let live = Arc::new(live_config::LiveConfig::new(config.clone()));
    let fe = Arc::new(Fe {
        globals: variables::GlobalVariables::new(
            &config.mysql_server_version,
            &version_comment,
            &persisted_globals,
        ),
        catalog: Arc::clone(&catalog),
        cluster: Arc::clone(&cluster),
        connections: session::Connections::new(),
        ports: Ports {
            query: query_addr.port(),
            http: http_addr.port(),
        },
        start_time_ms: cluster::now_ms(),
        load_locks: load::txn::LoadLocks::default(),
        error_logs: http::ErrorLogs::default(),
        backups: backup::Backups::new(Arc::clone(&catalog), Arc::clone(&cluster), Arc::clone(&live)),
        live,
        logins: auth::Logins::new(
            config.failed_login_attempts,
            Duration::from_secs(config.password_lock_time_second),
        ),
        config,
    });
    if catalog
        .read()
        .user(auth::ROOT, "%")
        .is_some_and(|u| u.password_sha1_sha1.is_empty())
    {
        tracing::warn!("{}", auth::ROOT_WITHOUT_PASSWORD);
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stopped| *stopped).await;
    };
    // First heartbeat before accepting clients, so SHOW BACKENDS is meaningful at once.
    cluster.heartbeat_all().await;
    let heartbeats = tokio::spawn(Arc::clone(&cluster).run_heartbeats(
        Duration::from_millis(fe.config.heartbeat_interval_ms.max(100)),
        wait(stop_rx.clone()),
    ));
    let sweeps = (fe.config.orphan_tablet_check_interval_second > 0).then(|| {
        tokio::spawn(Arc::clone(&cluster).run_orphan_sweeps(
            Duration::from_secs(fe.config.orphan_tablet_check_interval_second),
            Duration::from_secs(fe.config.orphan_tablet_grace_second),
            wait(stop_rx.clone()),
        ))
    });
    let http = tokio::spawn(http::serve(
        listeners.http,
        Arc::clone(&fe),
        wait(stop_rx.clone()),
    ));
    fe.backups.resume();
    tracing::info!(query = %query_addr, http = %http_addr, "frontend ready");
    let mysql = tokio::spawn(server::mysql::serve(
        listeners.query,
        Arc::clone(&fe),
        wait(stop_rx),
    ));
    shutdown.await;
    tracing::info!("frontend shutting down");
    let _ = stop_tx.send(true);
    let _ = heartbeats.await;
    if let Some(sweeps) = sweeps {
        let _ = sweeps.await;
    }
    let _ = http.await;
    let _ = mysql.await;
    Ok(())
}

/// Registers backends (`host:port`) that are not registered yet. Used by the
/// standalone launcher before the FE starts serving; idempotent.
pub fn register_backends(config: &FeConfig, data_dir: &Path, addresses: &[String]) -> Result<(), FeError> {
    let meta = meta_dir(config, data_dir);
    std::fs::create_dir_all(&meta)
        .map_err(|e| FeError::Internal(format!("cannot create {}: {e}", meta.display())))?;
    let catalog = Catalog::open(&meta)?;
    catalog.update(|txn| {
        for address in addresses {
            let (host, port) = address
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                .ok_or_else(|| FeError::common(format!("Invalid host port format: {address}")))?;
            if txn.state().backends().any(|b| b.host == host && b.port == port) {
                continue;
            }
            let id = txn.next_id();
            txn.push(catalog::Change::PutBackend(catalog::Backend {
                id,
                host,
                port,
                added_ms: cluster::now_ms(),
            }));
        }
        Ok(())
    })
}
