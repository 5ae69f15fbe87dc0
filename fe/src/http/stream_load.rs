//! StarRocks Stream Load: `PUT /api/{db}/{table}/_stream_load` with the data as
//! the body and the options as headers; answers StarRocks' JSON.

use std::sync::Arc;
use std::time::Instant;

use std::net::SocketAddr;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use bytes::Bytes;
use serde_json::json;

use super::header;
use crate::Fe;
use crate::error::FeError;
use crate::load::columns::Mapping;
use crate::load::{convert, parse, txn};
use crate::privilege::{Grants, Need};
use catalog::Privilege;

/// Headers Stream Load acts on.
const IMPLEMENTED: &[&str] = &[
    "label",
    "column_separator",
    "row_delimiter",
    "skip_header",
    "columns",
    "format",
    "strip_outer_array",
    "max_filter_ratio",
];

/// Headers of HTTP itself and of proxies and clients in between: not load options.
const TRANSPORT: &[&str] = &[
    "accept",
    "accept-encoding",
    "authorization",
    "connection",
    "content-length",
    "content-type",
    "expect",
    "forwarded",
    "host",
    "te",
    "traceparent",
    "tracestate",
    "transfer-encoding",
    "user-agent",
    "via",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
];

/// Refuses a load option Starling does not implement yet: loading other data
/// than asked (every row despite `where`, into every partition despite
/// `partitions`, ...) would be worse than not loading.
fn unsupported_header(headers: &HeaderMap) -> Option<String> {
    let mut names: Vec<&str> = headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| !IMPLEMENTED.contains(k) && !TRANSPORT.contains(k))
        .collect();
    names.sort_unstable();
    names.dedup();
    (!names.is_empty()).then(|| {
        format!(
            "Stream Load header(s) not supported yet: {}; supported: {}",
            names.join(", "),
            IMPLEMENTED.join(", ")
        )
    })
}

/// A response for a load that did not run: `status` is StarRocks' `Status`.
fn not_loaded(label: &str, status: &str, message: String, started: Instant) -> serde_json::Value {
    json!({
        "TxnId": -1,
        "Label": label,
        "Status": status,
        "Message": message,
        "NumberTotalRows": 0,
        "NumberLoadedRows": 0,
        "NumberFilteredRows": 0,
        "NumberUnselectedRows": 0,
        "LoadBytes": 0,
        "LoadTimeMs": started.elapsed().as_millis() as u64,
    })
}

fn fail(label: &str, message: String, started: Instant) -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::OK, Json(not_loaded(label, "Fail", message, started)))
}

/// `PUT /api/{db}/{table}/_stream_load`. The body is read only after the
/// caller is authenticated and allowed to load the table, and every header
/// is understood.
pub(super) async fn handle(
    State(fe): State<Arc<Fe>>,
    Path((db_name, table_name)): Path<(String, String)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> (StatusCode, Json<serde_json::Value>) {
    let started = Instant::now();
    let Some(account) = super::authenticate(&fe, &headers, peer.ip()) else {
        return super::unauthorized();
    };
    let label = header(&headers, "label").map(str::to_string).unwrap_or_else(|| {
        format!(
            "stream_load_{}_{:08x}",
            crate::cluster::now_ms(),
            rand::random::<u32>()
        )
    });
    let (db, table) = {
        let state = fe.catalog.read();
        let Some(db) = state.database(&db_name).cloned() else {
            return fail(&label, format!("Unknown database '{db_name}'"), started);
        };
        let Some(table) = state.table(db.id, &table_name).cloned() else {
            return fail(&label, format!("Unknown table '{db_name}.{table_name}'"), started);
        };
        // Stream Load needs INSERT on the table, under the user's default roles.
        let grants = Grants::of_user(&state, &account, &account.default_roles);
        if let Err(e) = grants.check(&Need::table(Privilege::Insert, &db.name, &table.name)) {
            return fail(&label, e.to_string(), started);
        }
        if state.label(db.id, &label).is_some() {
            let mut body = not_loaded(
                &label,
                "Label Already Exists",
                format!("Label [{label}] has already been used."),
                started,
            );
            body["ExistingJobStatus"] = json!("FINISHED");
            return (StatusCode::OK, Json(body));
        }
        (db, table)
    };
    if let Some(message) = unsupported_header(&headers) {
        return fail(&label, message, started);
    }
    let body: Bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return fail(&label, format!("Failed to read the load data: {e}"), started),
    };
    let mapping = match header(&headers, "columns").map(Mapping::parse) {
        Some(Ok(m)) => m,
        Some(Err(e)) => return fail(&label, e, started),
        None => Mapping::all_columns(&table),
    };
    if let Err(e) = mapping.check(&table) {
        return fail(&label, e, started);
    }
    let names = &mapping.fields;
    let max_filter_ratio: f64 = match header(&headers, "max_filter_ratio").map(str::parse).transpose() {
        Ok(v) => v.unwrap_or(0.0),
        Err(_) => return fail(&label, "Invalid max_filter_ratio".into(), started),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return fail(&label, "The data is not valid UTF-8".into(), started);
    };
    let format = header(&headers, "format").unwrap_or("csv").to_ascii_lowercase();
    let parsed = match format.as_str() {
        "csv" => {
            let column_sep = parse::separator(header(&headers, "column_separator").unwrap_or("\\t"));
            let row_sep = parse::separator(header(&headers, "row_delimiter").unwrap_or("\\n"));
            let skip: usize = header(&headers, "skip_header")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            parse::csv(text, names, &column_sep, &row_sep, skip)
        }
        "json" => {
            let strip = header(&headers, "strip_outer_array").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            parse::json(text, names, strip)
        }
        other => {
            return fail(
                &label,
                format!("Unknown format '{other}'; csv and json are supported"),
                started,
            );
        }
    };
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => return fail(&label, e.to_string(), started),
    };
    let (names, columns) = match mapping.apply(&table, &parsed.batch).await {
        Ok(c) => c,
        Err(e) => return fail(&label, e.to_string(), started),
    };
    let converted = match convert::to_storage(&table, &names, &columns, 0) {
        Ok(c) => c,
        Err(e) => return fail(&label, e.to_string(), started),
    };
    let mut errors = parsed.rejected.first.clone();
    if let Some(e) = &converted.first_error {
        errors.push(format!("Error: {e}"));
    }
    let filtered = parsed.rejected.count + converted.filtered as u64;
    let too_many = |_filtered: u64, _reason: Option<&str>| FeError::common("too many filtered rows");
    let outcome = txn::run(
        &fe,
        txn::LoadRequest {
            db: &db,
            table_id: table.id,
            label: Some(label.clone()),
            batches: vec![converted.batch],
            filtered,
            total_rows: parsed.total,
            max_filter_ratio,
            too_many_filtered: &too_many,
            first_error: errors.first().cloned(),
        },
    )
    .await;
    let host = header(&headers, "host").unwrap_or("127.0.0.1").to_string();
    let error_url = (!errors.is_empty()).then(|| {
        fe.error_logs.put(label.clone(), &db.name, &table.name, &errors);
        format!("http://{host}/api/_load_error_log?file={label}")
    });
    match outcome {
        Ok(o) => {
            let mut body = json!({
                "TxnId": o.txn_id,
                "Label": o.label,
                "Status": "Success",
                "Message": "OK",
                "NumberTotalRows": parsed.total,
                "NumberLoadedRows": o.loaded_rows,
                "NumberFilteredRows": o.filtered_rows,
                "NumberUnselectedRows": 0,
                "LoadBytes": body.len(),
                "LoadTimeMs": started.elapsed().as_millis() as u64,
            });
            if let Some(url) = error_url {
                body["ErrorURL"] = json!(url);
            }
            (StatusCode::OK, Json(body))
        }
        Err(e) => {
            let (status, mut json) = fail(&label, e.to_string(), started);
            json.0["NumberTotalRows"] = json!(parsed.total);
            json.0["NumberFilteredRows"] = json!(filtered);
            json.0["LoadBytes"] = json!(body.len());
            if let Some(url) = error_url {
                json.0["ErrorURL"] = json!(url);
            }
            (status, json)
        }
    }
}
