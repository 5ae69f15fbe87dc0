//! The FE's HTTP port: health, Stream Load and load error logs.

mod error_log;
mod stream_load;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, put};
use axum::{Json, Router};
use tokio::net::TcpListener;

pub use error_log::ErrorLogs;

use crate::Fe;

async fn health(fe: Arc<Fe>) -> Json<serde_json::Value> {
    let alive = fe.cluster.alive_backends().len();
    let total = fe.catalog.read().backends().count();
    Json(serde_json::json!({
        "status": "OK",
        "msg": "Success",
        "online_backend_num": alive,
        "total_backend_num": total,
    }))
}

/// Serves HTTP until `shutdown` resolves.
pub async fn serve(listener: TcpListener, fe: Arc<Fe>, shutdown: impl Future<Output = ()> + Send + 'static) {
    let app = Router::new()
        .route(
            "/api/health",
            get({
                let fe = Arc::clone(&fe);
                move || health(Arc::clone(&fe))
            }),
        )
        .route("/api/{db}/{table}/_stream_load", put(stream_load::handle))
        .route("/api/_load_error_log", get(error_log::handle))
        .layer(DefaultBodyLimit::disable())
        .with_state(fe);
    // Nagle off, as on every Starling socket: responses go out at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
    });
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %e, "http server failed");
    }
}
