//! The FE's HTTP port: health now; Stream Load comes with loading.

use std::future::Future;
use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;

use crate::Fe;

/// Serves HTTP until `shutdown` resolves.
pub async fn serve(listener: TcpListener, fe: Arc<Fe>, shutdown: impl Future<Output = ()> + Send + 'static) {
    let app = Router::new().route(
        "/api/health",
        get(move || {
            let fe = Arc::clone(&fe);
            async move {
                let alive = fe.cluster.alive_backends().len();
                let total = fe.catalog.read().backends().count();
                Json(serde_json::json!({
                    "status": "OK",
                    "msg": "Success",
                    "online_backend_num": alive,
                    "total_backend_num": total,
                }))
            }
        }),
    );
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %e, "http server failed");
    }
}
