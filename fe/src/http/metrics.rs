//! `GET /metrics`: the FE's jobs and the BEs' transfer counters in the
//! Prometheus text format. Like every endpoint that reads the cluster's
//! state, it needs valid credentials (`Authorization: Basic`).
//!
//! ```text
//! starling_jobs{type,state}                          jobs listed by SHOW JOBS
//! starling_job_bytes_done{job_id,type,db,label}      running jobs' bytes in place
//! starling_job_bytes_total{job_id,type,db,label}     running jobs' bytes to move
//! starling_job_bytes_per_second{job_id,type,db,label}
//! starling_backend_transfer_bytes_total{backend_id,direction}  bytes each BE moved
//! ```

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

use crate::Fe;

/// Serves the metrics to an authenticated caller.
pub async fn handle(
    State(fe): State<Arc<Fe>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if super::authenticate(&fe, &headers, peer.ip()).is_none() {
        return super::unauthorized().into_response();
    }
    match render(&fe) {
        Ok(text) => (
            [(header::CONTENT_TYPE, TextEncoder::new().format_type().to_string())],
            text,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// The metrics, gathered now.
fn render(fe: &Fe) -> Result<String, String> {
    let registry = Registry::new();
    let gauge = |name: &str, help: &str, labels: &[&str]| -> Result<IntGaugeVec, String> {
        let g = IntGaugeVec::new(Opts::new(name, help), labels).map_err(|e| e.to_string())?;
        registry
            .register(Box::new(g.clone()))
            .map_err(|e| e.to_string())?;
        Ok(g)
    };
    let jobs = gauge(
        "starling_jobs",
        "BACKUP and RESTORE jobs listed by SHOW JOBS, by type and state",
        &["type", "state"],
    )?;
    let job_labels = ["job_id", "type", "db", "label"];
    let done = gauge(
        "starling_job_bytes_done",
        "Bytes of a running job in place",
        &job_labels,
    )?;
    let total = gauge(
        "starling_job_bytes_total",
        "Bytes a running job moves",
        &job_labels,
    )?;
    let rate = gauge(
        "starling_job_bytes_per_second",
        "Bytes per second a running job moves, over the last seconds",
        &job_labels,
    )?;
    let transferred = IntCounterVec::new(
        Opts::new(
            "starling_backend_transfer_bytes_total",
            "Bytes a BE's BACKUP uploads and RESTORE downloads moved since it started",
        ),
        &["backend_id", "direction"],
    )
    .map_err(|e| e.to_string())?;
    registry
        .register(Box::new(transferred.clone()))
        .map_err(|e| e.to_string())?;

    let mut by_state: BTreeMap<(&'static str, String), i64> = BTreeMap::new();
    let views = crate::backup::jobs(fe, None).map_err(|e| e.to_string())?;
    for v in &views {
        let r = &v.record;
        *by_state.entry((r.job_type.name(), r.state.clone())).or_default() += 1;
        if v.running {
            let id = r.job_id.to_string();
            let labels = [
                id.as_str(),
                r.job_type.name(),
                r.db_name.as_str(),
                r.label.as_str(),
            ];
            done.with_label_values(&labels).set(clamp(r.progress.bytes_done));
            total
                .with_label_values(&labels)
                .set(clamp(r.progress.bytes_total));
            rate.with_label_values(&labels).set(clamp(v.rate.unwrap_or(0)));
        }
    }
    for ((kind, state), n) in by_state {
        jobs.with_label_values(&[kind, state.as_str()]).set(n);
    }
    let backends: Vec<u64> = fe.catalog.read().backends().map(|b| b.id).collect();
    for id in backends {
        let status = fe.cluster.status(id);
        let id = id.to_string();
        transferred
            .with_label_values(&[id.as_str(), "upload"])
            .inc_by(status.uploaded_bytes);
        transferred
            .with_label_values(&[id.as_str(), "download"])
            .inc_by(status.downloaded_bytes);
    }
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .map_err(|e| e.to_string())?;
    String::from_utf8(out).map_err(|e| e.to_string())
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
