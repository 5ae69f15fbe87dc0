//! ALTER SYSTEM, SHOW BACKENDS, SHOW FRONTENDS.

use catalog::{Backend, Change};
use parser::ast::AlterSystemOp;

use super::show::format_capacity as capacity;
use crate::Fe;
use crate::cluster::now_ms;
use crate::error::FeError;
use crate::result::format_time;
use crate::result::{Output, ResultSet, Value};

/// Splits `host:port`.
fn parse_address(text: &str) -> Result<(String, u16), FeError> {
    let bad = || FeError::common(format!("Invalid host port format: {text}"));
    let (host, port) = text.trim().rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((host.to_string(), port))
}

/// `ALTER SYSTEM ADD|DROP BACKEND "host:port", ...`.
pub async fn alter_system(fe: &Fe, op: AlterSystemOp) -> Result<Output, FeError> {
    match op {
        AlterSystemOp::AddBackends(addresses) => {
            let parsed: Vec<(String, u16)> = addresses
                .iter()
                .map(|a| parse_address(a))
                .collect::<Result<_, _>>()?;
            fe.catalog.update(|txn| {
                for (host, port) in &parsed {
                    if txn.state().backends().any(|b| b.host == *host && b.port == *port) {
                        return Err(FeError::common(format!(
                            "Same backend already exists[{host}:{port}]"
                        )));
                    }
                }
                for (host, port) in parsed {
                    let id = txn.next_id();
                    txn.push(Change::PutBackend(Backend {
                        id,
                        host,
                        port,
                        added_ms: now_ms(),
                    }));
                }
                Ok(())
            })?;
        }
        AlterSystemOp::DropBackends(addresses) => {
            let parsed: Vec<(String, u16)> = addresses
                .iter()
                .map(|a| parse_address(a))
                .collect::<Result<_, _>>()?;
            fe.catalog.update(|txn| {
                let mut ids = Vec::new();
                for (host, port) in &parsed {
                    let Some(be) = txn
                        .state()
                        .backends()
                        .find(|b| b.host == *host && b.port == *port)
                    else {
                        return Err(FeError::common(format!("backend does not exists[{host}:{port}]")));
                    };
                    ids.push(be.id);
                }
                for id in ids {
                    txn.push(Change::DeleteBackend(id));
                }
                Ok(())
            })?;
        }
    }
    // Learn the new members' liveness at once rather than at the next tick.
    fe.cluster.heartbeat_all().await;
    Ok(Output::ok())
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.00 %".into();
    }
    format!("{:.2} %", part as f64 * 100.0 / whole as f64)
}

/// `SHOW BACKENDS`: StarRocks 3.4's 30 columns.
pub fn show_backends(fe: &Fe) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&[
        "BackendId",
        "IP",
        "HeartbeatPort",
        "BePort",
        "HttpPort",
        "BrpcPort",
        "LastStartTime",
        "LastHeartbeat",
        "Alive",
        "SystemDecommissioned",
        "ClusterDecommissioned",
        "TabletNum",
        "DataUsedCapacity",
        "AvailCapacity",
        "TotalCapacity",
        "UsedPct",
        "MaxDiskUsedPct",
        "ErrMsg",
        "Version",
        "Status",
        "DataTotalCapacity",
        "DataUsedPct",
        "CpuCores",
        "MemLimit",
        "NumRunningQueries",
        "MemUsedPct",
        "CpuUsedPct",
        "DataCacheMetrics",
        "Location",
        "StatusCode",
    ]);
    let backends: Vec<Backend> = fe.catalog.read().backends().cloned().collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for be in backends {
        let s = fe.cluster.status(be.id);
        let used = s.disk_total_bytes.saturating_sub(s.disk_available_bytes);
        let data_total = s.data_used_bytes + s.disk_available_bytes;
        let row: Vec<Value> = vec![
            be.id.to_string().into(),
            be.host.clone().into(),
            be.port.to_string().into(),
            be.port.to_string().into(),
            s.http_port.to_string().into(),
            "0".into(),
            format_time(s.start_time_ms).into(),
            format_time(s.last_heartbeat_ms).into(),
            s.alive.into(),
            false.into(),
            false.into(),
            s.tablet_num.to_string().into(),
            capacity(s.data_used_bytes).into(),
            capacity(s.disk_available_bytes).into(),
            capacity(s.disk_total_bytes).into(),
            pct(used, s.disk_total_bytes).into(),
            pct(used, s.disk_total_bytes).into(),
            s.err_msg.clone().into(),
            s.version.clone().into(),
            serde_json::json!({"lastSuccessReportTabletsTime": format_time(s.last_heartbeat_ms)})
                .to_string()
                .into(),
            capacity(data_total).into(),
            pct(s.data_used_bytes, data_total).into(),
            cores.to_string().into(),
            "0B".into(),
            "0".into(),
            "0.00 %".into(),
            "0.0 %".into(),
            "N/A".into(),
            "".into(),
            (if s.alive { "OK" } else { "DISCONNECTED" }).into(),
        ];
        rs.push(row);
    }
    Ok(Output::Rows(rs))
}

/// `SHOW FRONTENDS`: the single leader FE, StarRocks 3.x's 16 columns.
pub fn show_frontends(fe: &Fe) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&[
        "Name",
        "IP",
        "EditLogPort",
        "HttpPort",
        "QueryPort",
        "RpcPort",
        "Role",
        "ClusterId",
        "Join",
        "Alive",
        "ReplayedJournalId",
        "LastHeartbeat",
        "IsHelper",
        "ErrMsg",
        "StartTime",
        "Version",
    ]);
    let host = fe.config.listen_host.clone();
    rs.push(vec![
        format!("{host}_{}_{}", fe.ports.query, fe.start_time_ms).into(),
        host.into(),
        "0".into(),
        fe.ports.http.to_string().into(),
        fe.ports.query.to_string().into(),
        "0".into(),
        "LEADER".into(),
        fe.catalog.read().cluster_id().to_string().into(),
        true.into(),
        true.into(),
        "0".into(),
        format_time(now_ms()).into(),
        true.into(),
        "".into(),
        format_time(fe.start_time_ms).into(),
        env!("CARGO_PKG_VERSION").into(),
    ]);
    Ok(Output::Rows(rs))
}

/// `ADMIN SHOW FRONTEND CONFIG [LIKE 'pattern']`: StarRocks' columns; a
/// mutable key shows the value `ADMIN SET FRONTEND CONFIG` last gave it.
pub fn admin_show_config(fe: &Fe, pattern: Option<&str>) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&["Key", "AliasNames", "Value", "Type", "IsMutable", "Comment"]);
    let now = fe.live.get();
    for field in conf::FeConfig::FIELDS {
        if pattern.is_some_and(|p| !super::like::like_match(p, field.key)) {
            continue;
        }
        let mutable = conf::FeConfig::MUTABLE.contains(&field.key);
        rs.push(vec![
            field.key.into(),
            "[]".into(),
            now.get(field.key).unwrap_or_default().into(),
            field.ty.into(),
            mutable.into(),
            field.doc.trim().into(),
        ]);
    }
    Ok(Output::Rows(rs))
}
