//! One load transaction: write parts to every replica, publish a new version
//! of every touched partition, make it visible in one catalog batch.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::ipc::writer::StreamWriter;
use catalog::{Backend, Change, Database, LoadLabel, Table, TableState};
use futures::StreamExt;
use rpc::pb;

use super::route;
use crate::Fe;
use crate::cluster::now_ms;
use crate::error::FeError;

/// Upper bound of one part sent to a BE.
const PART_BYTES: usize = 64 * 1024 * 1024;
/// Parallel part writes per load.
const WRITE_CONCURRENCY: usize = 16;

/// What a finished load reports.
#[derive(Debug, Clone)]
pub struct LoadOutcome {
    /// Transaction id (0 when there was nothing to load).
    pub txn_id: u64,
    /// The load's label.
    pub label: String,
    /// Rows made visible.
    pub loaded_rows: u64,
    /// Rows filtered out (before or during routing).
    pub filtered_rows: u64,
}

/// Rows to load into one table.
pub struct LoadRequest<'a> {
    /// Target database.
    pub db: &'a Database,
    /// Target table id.
    pub table_id: u64,
    /// Label; generated when absent.
    pub label: Option<String>,
    /// Rows in the table's storage schema.
    pub batches: Vec<RecordBatch>,
    /// Rows already filtered during conversion.
    pub filtered: u64,
    /// Rows read from the source (for the filter ratio).
    pub total_rows: u64,
    /// Largest fraction of rows that may be filtered (0: none may).
    pub max_filter_ratio: f64,
    /// Builds the error when too many rows were filtered: (filtered, first reason).
    pub too_many_filtered: &'a (dyn Fn(u64, Option<&str>) -> FeError + Sync),
    /// Why the first filtered row was filtered.
    pub first_error: Option<String>,
}

fn internal(e: impl std::fmt::Display) -> FeError {
    FeError::Internal(e.to_string())
}

/// Label uniqueness error, with StarRocks' text.
pub fn label_used(label: &str) -> FeError {
    FeError::common(format!("Label [{label}] has already been used."))
}

fn encode_parts(batches: &[RecordBatch]) -> Result<Vec<Vec<u8>>, FeError> {
    let Some(first) = batches.first() else {
        return Ok(Vec::new());
    };
    let schema = first.schema();
    let all = concat_batches(&schema, batches).map_err(internal)?;
    let rows = all.num_rows();
    let bytes = all.get_array_memory_size().max(1);
    let chunks = bytes.div_ceil(PART_BYTES).max(1);
    let per_chunk = rows.div_ceil(chunks).max(1);
    let mut parts = Vec::with_capacity(chunks);
    let mut offset = 0;
    while offset < rows {
        let len = per_chunk.min(rows - offset);
        let slice = all.slice(offset, len);
        let mut buf = Vec::new();
        {
            let mut w = StreamWriter::try_new(&mut buf, &schema).map_err(internal)?;
            w.write(&slice).map_err(internal)?;
            w.finish().map_err(internal)?;
        }
        parts.push(buf);
        offset += len;
    }
    Ok(parts)
}

/// Runs a load. Loads into one table are serialised, so partition versions
/// advance one at a time.
pub async fn run(fe: &Fe, req: LoadRequest<'_>) -> Result<LoadOutcome, FeError> {
    let lock = fe.table_load_lock(req.table_id);
    let _guard = lock.lock().await;
    let table: Table = fe
        .catalog
        .read()
        .table_by_id(req.table_id)
        .cloned()
        .ok_or_else(|| FeError::unknown_table(&req.table_id.to_string()))?;
    if table.state != TableState::Normal {
        return Err(FeError::common(format!(
            "Cannot write RESTORE state table \"{}\"",
            table.name
        )));
    }
    if let Some(label) = &req.label
        && fe.catalog.read().label(req.db.id, label).is_some()
    {
        return Err(label_used(label));
    }
    let txn_id = fe.catalog.update(|t| Ok::<_, FeError>(t.reserve_ids(1)))?;
    let label = req
        .label
        .clone()
        .unwrap_or_else(|| format!("insert_{txn_id}_{:08x}", rand::random::<u32>()));

    // Route rows to tablets.
    let mut routed = route::Routed::new();
    let mut unrouted = 0u64;
    for (i, batch) in req.batches.iter().enumerate() {
        let (groups, dropped) = route::route(&table, batch, i + txn_id as usize)?;
        unrouted += dropped as u64;
        for (k, v) in groups {
            routed.entry(k).or_default().extend(v);
        }
    }
    let filtered = req.filtered + unrouted;
    let mut first_error = req.first_error.clone();
    if unrouted > 0 && first_error.is_none() {
        first_error = Some("The row is out of partition ranges. Please add a new partition.".into());
    }
    if filtered > 0 && (filtered as f64) > req.max_filter_ratio * req.total_rows.max(1) as f64 {
        return Err((req.too_many_filtered)(filtered, first_error.as_deref()));
    }
    let loaded_rows: u64 = routed.values().flatten().map(|b| b.num_rows() as u64).sum();
    if loaded_rows == 0 {
        return Ok(LoadOutcome {
            txn_id: 0,
            label,
            loaded_rows: 0,
            filtered_rows: filtered,
        });
    }

    let backends: HashMap<u64, Backend> = fe.catalog.read().backends().map(|b| (b.id, b.clone())).collect();
    // Write every part to every replica.
    let mut writes = Vec::new();
    for ((p, b), batches) in &routed {
        let tablet = &table.partitions[*p].tablets[*b];
        let parts = encode_parts(batches)?;
        for replica in &tablet.replicas {
            let be = backends.get(&replica.backend_id).cloned().ok_or_else(|| {
                FeError::common(format!(
                    "Backend {} of tablet {} is not registered",
                    replica.backend_id, tablet.id
                ))
            })?;
            for (part, bytes) in parts.iter().enumerate() {
                writes.push((be.clone(), tablet.id, part as u32, bytes.clone()));
            }
        }
    }
    let touched: Vec<(Backend, u64)> = writes.iter().map(|(be, t, _, _)| (be.clone(), *t)).collect();
    let results: Vec<Result<(), FeError>> = futures::stream::iter(writes.into_iter().map(
        |(be, tablet_id, part, arrow_ipc)| async move {
            let mut client = fe.cluster.client(&be)?;
            client
                .write_rowset(pb::WriteRowsetRequest {
                    txn_id,
                    tablet_id,
                    part,
                    arrow_ipc,
                })
                .await
                .map(|_| ())
                .map_err(|s| {
                    FeError::common(format!(
                        "Failed to load data into tablet {tablet_id} on backend {}: {}",
                        be.address(),
                        s.message()
                    ))
                })
        },
    ))
    .buffer_unordered(WRITE_CONCURRENCY)
    .collect()
    .await;
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        abort(fe, txn_id, &touched).await;
        return Err(e);
    }

    // Publish a new version of each touched partition, on all its tablets.
    let partitions: Vec<usize> = {
        let mut v: Vec<usize> = routed.keys().map(|(p, _)| *p).collect();
        v.dedup();
        v
    };
    let mut stats: HashMap<u64, (u64, u64)> = HashMap::new();
    for p in &partitions {
        let partition = &table.partitions[*p];
        let version = partition.visible_version + 1;
        let mut per_backend: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for tablet in &partition.tablets {
            for r in &tablet.replicas {
                per_backend.entry(r.backend_id).or_default().push(tablet.id);
            }
        }
        for (backend_id, tablet_ids) in per_backend {
            let be = backends
                .get(&backend_id)
                .ok_or_else(|| FeError::common(format!("Backend {backend_id} is not registered")))?;
            let mut client = fe.cluster.client(be)?;
            let resp = client
                .publish_version(pb::PublishVersionRequest {
                    txn_id,
                    version,
                    tablet_ids,
                })
                .await
                .map_err(|s| {
                    FeError::common(format!(
                        "Failed to publish load {label} on backend {}: {}",
                        be.address(),
                        s.message()
                    ))
                })?;
            for t in resp.into_inner().tablets {
                stats.insert(t.tablet_id, (t.rows, t.data_bytes));
            }
        }
    }

    // Make it visible.
    let now = now_ms();
    fe.catalog.update(|t| {
        let mut current = t
            .state()
            .table_by_id(table.id)
            .cloned()
            .ok_or_else(|| FeError::unknown_table(&table.name))?;
        for p in &partitions {
            let expected = &table.partitions[*p];
            let Some(partition) = current.partitions.iter_mut().find(|x| x.id == expected.id) else {
                return Err(FeError::common(format!(
                    "Partition {} was dropped during the load",
                    expected.name
                )));
            };
            if partition.visible_version != expected.visible_version {
                return Err(FeError::common(
                    "Concurrent change of the partition during the load; retry".to_string(),
                ));
            }
            let version = expected.visible_version + 1;
            partition.visible_version = version;
            partition.visible_version_time_ms = now;
            partition.row_count = partition
                .tablets
                .iter()
                .filter_map(|tb| stats.get(&tb.id))
                .map(|s| s.0)
                .sum();
            partition.data_size = partition
                .tablets
                .iter()
                .filter_map(|tb| stats.get(&tb.id))
                .map(|s| s.1)
                .sum();
            for tablet in &mut partition.tablets {
                for r in &mut tablet.replicas {
                    r.version = version;
                }
            }
        }
        t.push(Change::PutTable(Box::new(current)));
        t.push(Change::PutLabel(LoadLabel {
            db_id: req.db.id,
            label: label.clone(),
            txn_id,
            table_id: table.id,
            state: "VISIBLE".into(),
            loaded_rows,
            filtered_rows: filtered,
            finished_ms: now,
        }));
        Ok(())
    })?;
    tracing::info!(txn_id, %label, table = %table.name, rows = loaded_rows, "load visible");
    Ok(LoadOutcome {
        txn_id,
        label,
        loaded_rows,
        filtered_rows: filtered,
    })
}

async fn abort(fe: &Fe, txn_id: u64, touched: &[(Backend, u64)]) {
    let mut per_backend: HashMap<u64, (Backend, Vec<u64>)> = HashMap::new();
    for (be, tablet) in touched {
        per_backend
            .entry(be.id)
            .or_insert_with(|| (be.clone(), Vec::new()))
            .1
            .push(*tablet);
    }
    for (_, (be, tablet_ids)) in per_backend {
        if let Ok(mut client) = fe.cluster.client(&be)
            && let Err(s) = client.abort_txn(pb::AbortTxnRequest { txn_id, tablet_ids }).await
        {
            tracing::warn!(txn_id, backend = %be.address(), error = %s.message(), "abort failed");
        }
    }
}

/// Per-table load locks.
#[derive(Default)]
pub struct LoadLocks {
    locks: parking_lot::Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>,
}

impl LoadLocks {
    /// The lock serialising loads into `table_id`.
    pub fn get(&self, table_id: u64) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(self.locks.lock().entry(table_id).or_default())
    }
}
