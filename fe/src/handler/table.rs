//! CREATE / DROP / TRUNCATE TABLE, and creating partitions' tablets on BEs.

use std::time::Duration;

use catalog::{Backend, Change, Partition, Replica, Table, Tablet};
use parser::ast::{CreateTable, TableName};
use rpc::pb;

use super::{resolve_db, resolve_table};
use crate::Fe;
use crate::cluster::{now_ms, place_replicas};
use crate::ddl::schema::{schema_hash, schema_json};
use crate::ddl::table_def::{self, PartitionPlan};
use crate::error::{ErrorCode, FeError};
use crate::result::Output;
use crate::session::Session;

fn check_table_name(name: &str) -> Result<(), FeError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if first_ok && rest_ok && name.len() <= 1024 {
        Ok(())
    } else {
        Err(FeError::analysis(format!("Incorrect table name '{name}'")))
    }
}

fn table_exists(name: &str) -> FeError {
    FeError::analysis_code(ErrorCode::TableExists, format!("Table '{name}' already exists"))
}

/// Creates partitions (ids, replica placement, tablets on the BEs). Nothing is
/// written to the catalog besides the id counter; on failure the tablets already
/// created are dropped again.
pub(super) async fn new_partitions(
    fe: &Fe,
    table: &Table,
    plans: &[PartitionPlan],
) -> Result<Vec<Partition>, FeError> {
    let buckets = table.distribution.buckets() as usize;
    let replication = table.replication_num() as usize;
    let alive = fe.cluster.alive_backends();
    let placement = place_replicas(&alive, plans.len() * buckets, replication, table.id as usize)?;
    let per_partition = 1 + buckets * (1 + replication);
    let mut next = fe
        .catalog
        .update(|txn| Ok::<_, FeError>(txn.reserve_ids((plans.len() * per_partition) as u64)))?;
    let mut take = || {
        let id = next;
        next += 1;
        id
    };
    let now = now_ms();
    let schema = schema_json(table);
    let mut requests = Vec::new();
    let mut partitions = Vec::with_capacity(plans.len());
    let mut placed = placement.into_iter();
    for plan in plans {
        let partition_id = take();
        let mut tablets = Vec::with_capacity(buckets);
        for _ in 0..buckets {
            let tablet_id = take();
            let mut replicas = Vec::with_capacity(replication);
            for be in placed.next().unwrap_or_default() {
                replicas.push(Replica {
                    id: take(),
                    backend_id: be.id,
                    version: 1,
                });
                requests.push((
                    be,
                    pb::CreateTabletRequest {
                        tablet_id,
                        schema_hash: table.schema_hash,
                        table_id: table.id,
                        partition_id,
                        index_id: table.index_id,
                        version: 1,
                        schema_json: schema.clone(),
                    },
                ));
            }
            tablets.push(Tablet {
                id: tablet_id,
                replicas,
            });
        }
        partitions.push(Partition {
            id: partition_id,
            name: plan.name.clone(),
            range: plan.range.clone(),
            visible_version: 1,
            visible_version_time_ms: now,
            replication_num: replication as u32,
            tablets,
            row_count: 0,
            data_size: 0,
        });
    }
    let created: Vec<(Backend, u64)> = requests.iter().map(|(be, r)| (be.clone(), r.tablet_id)).collect();
    let timeout = Duration::from_secs(
        fe.live.get().tablet_create_timeout_second.max(1) * (1 + created.len() as u64 / 1000),
    );
    let result = match tokio::time::timeout(timeout, fe.cluster.create_tablets(requests)).await {
        Ok(r) => r,
        Err(_) => Err(FeError::common(format!(
            "Failed to create partition: timed out after {}s waiting for backends to create tablets",
            timeout.as_secs()
        ))),
    };
    if let Err(e) = result {
        fe.cluster.drop_tablets(created).await;
        return Err(e);
    }
    Ok(partitions)
}

/// Every replica of the given partitions, with its backend (for dropping).
pub(super) fn replicas_of(fe: &Fe, partitions: &[Partition]) -> Vec<(Backend, u64)> {
    let state = fe.catalog.read();
    let backends: Vec<Backend> = state.backends().cloned().collect();
    partitions
        .iter()
        .flat_map(|p| &p.tablets)
        .flat_map(|t| t.replicas.iter().map(move |r| (r.backend_id, t.id)))
        .filter_map(|(be_id, tablet)| {
            backends
                .iter()
                .find(|b| b.id == be_id)
                .map(|b| (b.clone(), tablet))
        })
        .collect()
}

/// Removes a dropped table's replicas from the backends (best effort).
pub(super) async fn drop_replicas(fe: &Fe, table: &Table) {
    let replicas = replicas_of(fe, &table.partitions);
    fe.cluster.drop_tablets(replicas).await;
}

/// `CREATE TABLE`.
pub async fn create(fe: &Fe, session: &Session, stmt: &CreateTable) -> Result<Output, FeError> {
    let db = resolve_db(fe, session, stmt.name.database.as_deref())?;
    check_table_name(&stmt.name.table)?;
    if fe.catalog.read().table(db.id, &stmt.name.table).is_some() {
        return if stmt.if_not_exists {
            Ok(Output::ok())
        } else {
            Err(table_exists(&stmt.name.table))
        };
    }
    let alive = fe.cluster.alive_backends().len();
    let plan = table_def::analyze(stmt, db.id, alive, fe.live.get().default_replication_num)?;
    let mut table = plan.table;
    let first = fe.catalog.update(|txn| Ok::<_, FeError>(txn.reserve_ids(2)))?;
    table.id = first;
    table.index_id = first + 1;
    table.schema_hash = schema_hash(table.id, &table);
    table.created_ms = now_ms();
    table.partitions = new_partitions(fe, &table, &plan.partitions).await?;
    let committed = fe.catalog.update(|txn| {
        if txn.state().database_by_id(db.id).is_none() {
            return Err(FeError::unknown_db(&db.name));
        }
        if txn.state().table(db.id, &table.name).is_some() {
            return Err(table_exists(&table.name));
        }
        txn.push(Change::PutTable(Box::new(table.clone())));
        Ok(())
    });
    if let Err(e) = committed {
        drop_replicas(fe, &table).await;
        if stmt.if_not_exists
            && matches!(
                &e,
                FeError::Analysis {
                    code: ErrorCode::TableExists,
                    ..
                }
            )
        {
            return Ok(Output::ok());
        }
        return Err(e);
    }
    tracing::info!(db = %db.name, table = %table.name, table_id = table.id, "table created");
    Ok(Output::ok())
}

/// `DROP TABLE`. Starling has no recycle bin yet, so `FORCE` and plain drop
/// behave the same: the table is gone at once.
pub async fn drop(
    fe: &Fe,
    session: &Session,
    name: &TableName,
    if_exists: bool,
    force: bool,
) -> Result<Output, FeError> {
    let db = resolve_db(fe, session, name.database.as_deref())?;
    let dropped = fe.catalog.update(|txn| {
        let Some(table) = txn.state().table(db.id, &name.table).cloned() else {
            return if if_exists {
                Ok(None)
            } else {
                Err(FeError::unknown_table(&format!("{}.{}", db.name, name.table)))
            };
        };
        if table.state != catalog::TableState::Normal && !force {
            return Err(FeError::common(format!(
                "The table [{t}]'s state is RESTORE, cannot be dropped. please cancel the operation on olap \
                 table firstly. If you want to forcibly drop(cannot be recovered), please use \"DROP TABLE {t} FORCE\".",
                t = table.name
            )));
        }
        txn.push(Change::DeleteTable(table.id));
        crate::privilege::revoke_on_drop(txn, &db.name, Some(&table.name));
        Ok(Some(table))
    })?;
    if let Some(table) = dropped {
        drop_replicas(fe, &table).await;
    }
    Ok(Output::ok())
}

/// `TRUNCATE TABLE t [PARTITION (...)]`: swaps in new empty partitions with the
/// same names and ranges, then drops the old tablets.
pub async fn truncate(
    fe: &Fe,
    session: &Session,
    name: &TableName,
    partitions: &[String],
) -> Result<Output, FeError> {
    let (_, table) = resolve_table(fe, session, name)?;
    if table.state != catalog::TableState::Normal {
        return Err(FeError::common("Table' state is not NORMAL: RESTORE"));
    }
    let targets: Vec<&Partition> = if partitions.is_empty() {
        table.partitions.iter().collect()
    } else {
        let mut v = Vec::new();
        for p in partitions {
            v.push(
                table
                    .partition(p)
                    .ok_or_else(|| FeError::common(format!("Partition '{p}' doesn't exist")))?,
            );
        }
        v
    };
    let plans: Vec<PartitionPlan> = targets
        .iter()
        .map(|p| PartitionPlan {
            name: p.name.clone(),
            range: p.range.clone(),
        })
        .collect();
    let old: Vec<Partition> = targets.into_iter().cloned().collect();
    let fresh = new_partitions(fe, &table, &plans).await?;
    let swapped = fe.catalog.update(|txn| {
        let Some(current) = txn.state().table_by_id(table.id).cloned() else {
            return Err(FeError::unknown_table(&table.name));
        };
        if current.state != catalog::TableState::Normal {
            return Err(FeError::common("Table' state is not NORMAL: RESTORE"));
        }
        let mut updated = current;
        for new in &fresh {
            let Some(slot) = updated.partitions.iter_mut().find(|p| p.name == new.name) else {
                return Err(FeError::common(format!("Partition '{}' doesn't exist", new.name)));
            };
            if !old.iter().any(|o| o.id == slot.id) {
                return Err(FeError::common("Table changed while truncating; try again"));
            }
            *slot = new.clone();
        }
        txn.push(Change::PutTable(Box::new(updated)));
        Ok(())
    });
    match swapped {
        Ok(()) => {
            let replicas = replicas_of(fe, &old);
            fe.cluster.drop_tablets(replicas).await;
            Ok(Output::ok())
        }
        Err(e) => {
            let replicas = replicas_of(fe, &fresh);
            fe.cluster.drop_tablets(replicas).await;
            Err(e)
        }
    }
}
