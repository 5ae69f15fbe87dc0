//! The Starling backend: holds tablet replicas on local disk and executes the
//! FE's tasks.
//!
//! ```text
//!   FE ──gRPC──▶ service::BackendService ──▶ storage::TabletStore ──▶ <storage_root>/data/<tablet>/<schema_hash>/
//!                    │ BACKUP: snapshot, transfer (upload)
//!                    │ RESTORE: download, restore (move, release)
//!                    ▼
//!               repository ◀──▶ <storage_root>/snapshot/
//! ```
//!
//! Start reading at [`run`], then [`service`] and [`storage`].

#![warn(missing_docs)]

mod batch;
pub mod cache;
pub mod download;
pub mod error;
pub mod flight;
pub mod http;
pub mod load;
pub mod pushdown;
pub mod restore;
pub mod rowset;
pub mod scan;
pub mod service;
pub mod snapshot;
pub mod storage;
pub mod transfer;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use conf::BeConfig;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

pub use error::BeError;

/// Largest gRPC message accepted or sent (load parts are bounded by the FE).
pub const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// Resolves the storage root: relative paths are taken under `data_dir`.
pub fn storage_root(config: &BeConfig, data_dir: &std::path::Path) -> PathBuf {
    let root = PathBuf::from(&config.storage_root_path);
    if root.is_absolute() {
        root
    } else {
        data_dir.join(root)
    }
}

/// Binds the task service port. Port 0 picks a free port (see the returned listener).
pub async fn bind(config: &BeConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind((config.listen_host.as_str(), config.be_port)).await
}

/// Binds the HTTP port. Port 0 picks a free port.
pub async fn bind_http(config: &BeConfig) -> std::io::Result<TcpListener> {
    TcpListener::bind((config.listen_host.as_str(), config.be_http_port)).await
}

/// Serves the task service on `listener` and the HTTP port on `http` until
/// `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    http: TcpListener,
    config: &BeConfig,
    storage_root: PathBuf,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BeError> {
    use futures::FutureExt;
    let shutdown = shutdown.shared();
    let addr: SocketAddr = listener.local_addr()?;
    let http_port = http.local_addr()?.port();
    let cache = cache::capacity(&config.storage_page_cache_limit)?;
    let store = Arc::new(storage::TabletStore::open(storage_root)?.with_column_cache(cache));
    let transfers = Arc::new(transfer::Transfers::new(config));
    let fe_address = http::FeAddress::default();
    tokio::spawn(http::serve(
        http,
        Arc::clone(&transfers),
        Arc::clone(&fe_address),
        shutdown.clone(),
    ));
    // Runs until this function returns, then stops with the guard.
    let _staging_gc = restore::spawn_staging_gc(
        Arc::clone(&store),
        config.restore_staging_expire_seconds,
        config.trash_file_expire_time_sec,
    );
    let service = service::BackendService::new(
        Arc::clone(&store),
        service::Ports {
            be: addr.port(),
            http: http_port,
        },
        transfers,
        fe_address,
    );
    let flight = flight::FlightScanService::new(store);
    tracing::info!(%addr, "backend task and Flight service listening");
    tonic::transport::Server::builder()
        .add_service(
            rpc::BackendServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        )
        .add_service(
            arrow_flight::flight_service_server::FlightServiceServer::new(flight)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        )
        .serve_with_incoming_shutdown(no_delay(listener), shutdown)
        .await
        .map_err(|e| BeError::Transport(e.to_string()))
}

/// Accepted connections with Nagle's algorithm off: a small response (a task
/// answer, the last Flight message of a scan) must not wait for the client's
/// delayed ACK, which costs 40 ms per exchange on Linux.
fn no_delay(listener: TcpListener) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use futures::StreamExt;
    TcpListenerStream::new(listener).map(|accepted| {
        if let Ok(stream) = &accepted
            && let Err(e) = stream.set_nodelay(true)
        {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        accepted
    })
}
