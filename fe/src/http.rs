//! The FE's HTTP port: health, Stream Load, load error logs and metrics.

mod error_log;
mod metrics;
mod stream_load;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use base64::Engine;
use tokio::net::TcpListener;

pub use error_log::ErrorLogs;

use crate::{Fe, auth};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The account of a valid `Authorization: Basic` header. Failed attempts
/// count towards the same lockout as MySQL logins.
fn authenticate(fe: &Fe, headers: &HeaderMap, peer: std::net::IpAddr) -> Option<catalog::User> {
    let value = header(headers, "authorization")?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':').unwrap_or((&text, ""));
    let host = peer.to_string();
    if fe.logins.locked(user, &host).is_some() {
        return None;
    }
    let account = auth::find_user(&fe.catalog, user, &host);
    match account.filter(|a| auth::stored_form(password) == a.password_sha1_sha1) {
        Some(account) => {
            fe.logins.succeeded(user, &host);
            Some(account)
        }
        None => {
            fe.logins.failed(user, &host);
            None
        }
    }
}

/// The answer to a request without valid credentials.
fn unauthorized() -> (StatusCode, Json<serde_json::Value>) {
    (
        StatusCode::UNAUTHORIZED,
        Json(serde_json::json!({
            "Status": "Fail",
            "Message": "Access denied: no valid Basic authorization, or wrong user or password",
        })),
    )
}

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

/// `GET /api/_check_access`: 200 when the `Authorization: Basic` header is
/// a valid user with OPERATE on SYSTEM, 401 for bad credentials, 403 for a
/// user without the privilege. BEs, which keep no accounts, check the
/// credentials of their own HTTP endpoints here.
async fn check_access(
    axum::extract::State(fe): axum::extract::State<Arc<Fe>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
) -> StatusCode {
    let Some(account) = authenticate(&fe, &headers, peer.ip()) else {
        return StatusCode::UNAUTHORIZED;
    };
    let state = fe.catalog.read();
    let grants = crate::privilege::Grants::of_user(&state, &account, &account.default_roles);
    match grants.check(&crate::privilege::Need::system(catalog::Privilege::Operate)) {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::FORBIDDEN,
    }
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
        .route("/metrics", get(metrics::handle))
        .route("/api/_check_access", get(check_access))
        .layer(DefaultBodyLimit::disable())
        .with_state(fe);
    // Nagle off, as on every Starling socket: responses go out at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
    });
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %e, "http server failed");
    }
}
