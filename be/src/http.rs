//! The BE's HTTP port: `POST /api/update_config?key=value[&key=value...]`,
//! StarRocks' endpoint for changing a BE's configuration while it runs.
//!
//! The BE keeps no accounts. A request's `Authorization: Basic` header is
//! checked by the FE that last sent this BE a heartbeat
//! (`GET /api/_check_access` on the FE's HTTP port): the caller must be a
//! valid user with OPERATE on SYSTEM, the privilege `ADMIN SET FRONTEND
//! CONFIG` needs. Without a reachable FE, nothing is changed.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use parking_lot::Mutex;
use tokio::net::TcpListener;

use crate::transfer::Transfers;

/// Where the FE that checks credentials listens, learnt from its heartbeats.
pub type FeAddress = Arc<Mutex<Option<SocketAddr>>>;

#[derive(Clone)]
struct Ctx {
    transfers: Arc<Transfers>,
    fe: FeAddress,
    client: reqwest::Client,
}

fn answer(code: StatusCode, status: &str, msg: impl Into<String>) -> (StatusCode, Json<serde_json::Value>) {
    (
        code,
        Json(serde_json::json!({ "status": status, "msg": msg.into() })),
    )
}

/// Asks the FE whether the request's credentials may change configuration.
async fn check_access(ctx: &Ctx, headers: &HeaderMap) -> Result<(), (StatusCode, Json<serde_json::Value>)> {
    let Some(auth) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(answer(
            StatusCode::UNAUTHORIZED,
            "BAD",
            "no valid Basic authorization",
        ));
    };
    let Some(fe) = *ctx.fe.lock() else {
        return Err(answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "BAD",
            "no FE has contacted this backend yet; credentials cannot be checked",
        ));
    };
    let checked = ctx
        .client
        .get(format!("http://{fe}/api/_check_access"))
        .header(reqwest::header::AUTHORIZATION, auth.as_bytes())
        .send()
        .await;
    match checked.map(|r| r.status().as_u16()) {
        Ok(200) => Ok(()),
        Ok(403) => Err(answer(
            StatusCode::FORBIDDEN,
            "BAD",
            "Access denied; you need (at least one of) the OPERATE privilege(s) on SYSTEM for this operation",
        )),
        Ok(_) => Err(answer(
            StatusCode::UNAUTHORIZED,
            "BAD",
            "Access denied: wrong user or password",
        )),
        Err(e) => Err(answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "BAD",
            format!("cannot reach the FE to check credentials: {e}"),
        )),
    }
}

async fn update_config(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    Query(pairs): Query<BTreeMap<String, String>>,
) -> (StatusCode, Json<serde_json::Value>) {
    if let Err(denied) = check_access(&ctx, &headers).await {
        return denied;
    }
    if pairs.is_empty() {
        return answer(StatusCode::BAD_REQUEST, "BAD", "no configuration key given");
    }
    // Every pair is checked before any is applied.
    for (key, value) in &pairs {
        if let Err(e) = ctx.transfers.check(key, value) {
            return answer(StatusCode::BAD_REQUEST, "BAD", e.to_string());
        }
    }
    for (key, value) in &pairs {
        if let Err(e) = ctx.transfers.update(key, value) {
            return answer(StatusCode::BAD_REQUEST, "BAD", e.to_string());
        }
    }
    answer(StatusCode::OK, "OK", "")
}

/// Serves the HTTP port until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    transfers: Arc<Transfers>,
    fe: FeAddress,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let app = Router::new()
        .route("/api/update_config", post(update_config))
        .with_state(Ctx {
            transfers,
            fe,
            client,
        });
    if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %e, "backend http server failed");
    }
}
