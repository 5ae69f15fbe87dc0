//! The planning half of a restore's PENDING state (spec §7): which local
//! table and partition each snapshot object lands in, the schema checks for
//! tables that already exist, fresh ids and replica placement for what is
//! new, and which backed-up tablet feeds which local tablet.
//!
//! Planning is a pure function of the snapshot, the local tables and the
//! alive backends; the caller applies its result in one catalog write.

use std::collections::BTreeMap;

use catalog::{
    Partition, PartitionVersion, Partitioning, PlannedTable, Replica, RestoreJob, RestorePlan, RestoreTablet,
    Table, TableState, Tablet,
};
use repository::info::{
    IndexInfo, JobInfo, META_VERSION, PartitionInfo, STARLING_INFO_VERSION, STARROCKS_META_VERSION, TableInfo,
};
use repository::{Repository, TabletPath};

/// A snapshot as PENDING reads it: the job info and the table definitions.
pub(super) struct Source {
    /// `__info_<timestamp>`.
    pub info: JobInfo,
    /// `__meta`'s tables by name.
    pub tables: BTreeMap<String, Table>,
}

impl Source {
    /// Reads the job info taken at `timestamp` and the table definitions of
    /// snapshot `label`. A snapshot in a format newer than this build reads
    /// is refused, naming both versions; so is one whose `__meta` is missing
    /// or damaged. `meta_version` is the RESTORE property (-1: the snapshot's).
    pub async fn read(
        repo: &Repository,
        label: &str,
        timestamp: &str,
        meta_version: i64,
    ) -> Result<Self, String> {
        let info = repo.read_job_info(label, timestamp).await.map_err(|e| {
            format!("Failed to get info of snapshot '{label}' because: {e}. Maybe specified wrong backup timestamp")
        })?;
        check_format(label, &info, meta_version)?;
        let meta = repo.read_meta(label).await.map_err(|e| {
            tracing::warn!(label, "cannot read snapshot meta: {e}");
            format!("Failed to read backup meta from file: {e}")
        })?;
        let mut tables = BTreeMap::new();
        for record in meta.tables {
            let bytes = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
            let table: Table = catalog::model::decode("snapshot meta", &bytes)
                .map_err(|e| format!("Failed to read backup meta from file: {e}"))?;
            tables.insert(table.name.clone(), table);
        }
        Ok(Source { info, tables })
    }
}

/// Refuses a job info whose format versions are newer than this build's.
fn check_format(label: &str, info: &JobInfo, meta_version: i64) -> Result<(), String> {
    let newer = |what: &str, found: i64, ours: i64| {
        format!(
            "Snapshot {label} has {what} {found}, newer than {ours}, the newest this version of Starling \
             reads. Restore it with a newer release"
        )
    };
    let claimed = if meta_version >= 0 {
        meta_version
    } else {
        i64::from(info.meta_version)
    };
    if claimed > i64::from(META_VERSION) {
        return Err(newer("meta_version", claimed, i64::from(META_VERSION)));
    }
    if info.starrocks_meta_version > STARROCKS_META_VERSION {
        return Err(newer(
            "starrocks_meta_version",
            i64::from(info.starrocks_meta_version),
            i64::from(STARROCKS_META_VERSION),
        ));
    }
    if info.starling_info_version > STARLING_INFO_VERSION {
        return Err(newer(
            "starling_info_version",
            i64::from(info.starling_info_version),
            i64::from(STARLING_INFO_VERSION),
        ));
    }
    Ok(())
}

/// What planning decided.
pub(super) struct Planned {
    /// The plan to persist with the job.
    pub plan: RestorePlan,
    /// Tables to write (new ones and changed existing ones), all in state RESTORE.
    pub tables: Vec<Table>,
}

/// One backed-up tablet: where its files are and what version they hold.
struct BackupTablet {
    remote_dir: String,
    stored_names: Vec<String>,
    version: u64,
}

/// The backed-up tablets of one partition, in bucket order.
fn backup_tablets(info: &JobInfo, table: &TableInfo, p: &PartitionInfo, label: &str) -> Vec<BackupTablet> {
    let mut out = Vec::new();
    let mut add = |partition_id: u64, version: u64, indexes: &BTreeMap<String, IndexInfo>| {
        for index in indexes.values() {
            for tablet in index.ordered_tablets() {
                let path = TabletPath {
                    db_id: info.id,
                    table_id: table.id,
                    partition_id,
                    index_id: index.id,
                    tablet_id: tablet.parse().unwrap_or_default(),
                };
                out.push(BackupTablet {
                    remote_dir: path.dir(label),
                    stored_names: index.tablets.get(&tablet).cloned().unwrap_or_default(),
                    version,
                });
            }
        }
    };
    if p.sub_partitions.is_empty() {
        add(p.id, p.version, &p.indexes);
    }
    for sub in p.sub_partitions.values() {
        add(sub.id, sub.version, &sub.indexes);
    }
    out
}

/// Ids and placement for new tablets.
struct Allocator<'a> {
    next_id: &'a mut dyn FnMut() -> u64,
    alive: &'a [u64],
    cursor: usize,
}

impl Allocator<'_> {
    fn id(&mut self) -> u64 {
        (self.next_id)()
    }

    /// `n` tablets of `replication` replicas each on distinct alive backends.
    fn tablets(&mut self, n: usize, replication: u32, table: &str) -> Result<Vec<Tablet>, String> {
        let replication = replication as usize;
        if replication == 0 || replication > self.alive.len() {
            return Err(format!(
                "failed to find {replication} different hosts to create table: {table}"
            ));
        }
        let mut tablets = Vec::with_capacity(n);
        for _ in 0..n {
            let id = self.id();
            let start = self.cursor;
            self.cursor += 1;
            let replicas = (0..replication)
                .map(|r| Replica {
                    id: self.id(),
                    backend_id: self.alive[(start + r) % self.alive.len()],
                    version: 1,
                })
                .collect();
            tablets.push(Tablet { id, replicas });
        }
        Ok(tablets)
    }
}

fn different_schema(table: &str, what: &str) -> String {
    format!("Table {table} already exist but with different schema, errMsg: {what}")
}

/// The schema signature comparison of spec §7.1, reporting the first
/// component that differs.
fn check_schema(local: &Table, snap: &Table, partitions: &[String]) -> Result<(), String> {
    let t = &local.name;
    if std::mem::discriminant(&local.partitioning) != std::mem::discriminant(&snap.partitioning) {
        return Err("Table's partition type is different".into());
    }
    if local.columns.len() != snap.columns.len() {
        return Err(different_schema(t, ""));
    }
    let short_keys = |x: &Table| x.columns.iter().filter(|c| c.is_key).count();
    let mismatch = if local.name != snap.name {
        Some("Table name is inconsistent")
    } else if short_keys(local) != short_keys(snap) {
        Some("short key column count is inconsistent")
    } else if local.partitioning != snap.partitioning
        || local.partition_column_types() != snap.partition_column_types()
    {
        Some("partition columns is inconsistent")
    } else {
        partitions
            .iter()
            .filter(|p| local.partition(p).is_some())
            .find_map(|_| match (&local.distribution, &snap.distribution) {
                (a, b) if a.buckets() != b.buckets() => Some("bucket num is inconsistent"),
                (a, b) if a != b => Some("partition distribution col hash is inconsistent"),
                _ => None,
            })
    };
    if let Some(what) = mismatch {
        return Err(different_schema(t, what));
    }
    if local.keys_kind != snap.keys_kind {
        return Err(format!("Table {t} already exist but with different key type"));
    }
    for (a, b) in local.columns.iter().zip(&snap.columns) {
        let same = a.name.eq_ignore_ascii_case(&b.name)
            && a.ty == b.ty
            && a.nullable == b.nullable
            && a.is_key == b.is_key;
        if !same {
            return Err(format!(
                "Table {t} already exist but with different schema, column: {} in existed table is \
                 different from the column in backup snapshot, column: {}",
                a.name, b.name
            ));
        }
    }
    Ok(())
}

fn state_name(state: TableState) -> &'static str {
    match state {
        TableState::Normal => "NORMAL",
        TableState::Restore => "RESTORE",
    }
}

/// Feeds `local`'s tablets from the backed-up ones, in bucket order.
fn feed(
    plan: &mut RestorePlan,
    table_id: u64,
    partition: &Partition,
    from: &[BackupTablet],
    table: &str,
) -> Result<(), String> {
    if partition.tablets.len() != from.len() {
        return Err(different_schema(table, "bucket num is inconsistent"));
    }
    for (tablet, src) in partition.tablets.iter().zip(from) {
        plan.tablets.push(RestoreTablet {
            table_id,
            partition_id: partition.id,
            tablet_id: tablet.id,
            version: src.version,
            backends: tablet.replicas.iter().map(|r| r.backend_id).collect(),
            remote_dir: src.remote_dir.clone(),
            stored_names: src.stored_names.clone(),
        });
    }
    Ok(())
}

/// Plans the job. `locals[i]` is the local table named like `job.objects[i]`'s target.
pub(super) fn plan(
    job: &RestoreJob,
    source: &Source,
    locals: &[Option<Table>],
    alive: &[u64],
    next_id: &mut dyn FnMut() -> u64,
    now_ms: i64,
) -> Result<Planned, String> {
    let mut out = Planned {
        plan: RestorePlan::default(),
        tables: Vec::new(),
    };
    let mut alloc = Allocator {
        next_id,
        alive,
        cursor: job.create_time_ms.unsigned_abs() as usize,
    };
    for (object, local) in job.objects.iter().zip(locals) {
        let missing = || format!("Table {} does not exist in snapshot {}", object.table, job.label);
        let snap = source.tables.get(&object.table).ok_or_else(missing)?;
        let info = source
            .info
            .backup_objects
            .get(&object.table)
            .ok_or_else(missing)?;
        let target = object.target();
        let mut versions = Vec::new();
        let (table, created, added) = match local.clone() {
            Some(mut table) => {
                if table.state != TableState::Normal {
                    return Err(format!(
                        "Table {target}'s state is not NORMAL: {}",
                        state_name(table.state)
                    ));
                }
                check_schema(&table, snap, &object.partitions)?;
                let mut added = Vec::new();
                for name in &object.partitions {
                    let p_info = &info.partitions[name];
                    let from = backup_tablets(&source.info, info, p_info, &job.label);
                    let snap_p = snap.partition(name).ok_or_else(missing)?;
                    let partition = match table.partition(name) {
                        Some(p) => {
                            if p.range != snap_p.range {
                                return Err(format!(
                                    "Partition {name} in table {target} has different range with partition in repository"
                                ));
                            }
                            if p.replication_num != job.replication_num {
                                return Err(format!(
                                    "Partition {name} in table {target} has different replication num '{}' \
                                     with partition in repository, which is {}",
                                    p.replication_num, job.replication_num
                                ));
                            }
                            p.clone()
                        }
                        None => {
                            let Partitioning::Range { .. } = table.partitioning else {
                                return Err(format!(
                                    "No partition exist in single partitioned table {target}"
                                ));
                            };
                            let range = snap_p.range.clone();
                            let overlaps = table.partitions.iter().any(|q| match (&q.range, &range) {
                                (Some(a), Some(b)) => a.intersects(b),
                                _ => true,
                            });
                            if overlaps {
                                return Err(format!(
                                    "Partition {name} in table {target} has conflict range with existing ranges"
                                ));
                            }
                            let p = new_partition(&mut alloc, job, snap_p, from.len(), target, now_ms)?;
                            added.push(p.id);
                            table.partitions.push(p.clone());
                            table.partitions.sort_by(|a, b| {
                                let key = |p: &Partition| p.range.as_ref().map(|r| r.lower.clone());
                                key(a).cmp(&key(b))
                            });
                            p
                        }
                    };
                    feed(&mut out.plan, table.id, &partition, &from, target)?;
                    versions.push(version_of(partition.id, &from, p_info));
                }
                table.state = TableState::Restore;
                (table, false, added)
            }
            None => {
                let mut table = snap.clone();
                table.id = alloc.id();
                table.index_id = alloc.id();
                table.db_id = job.db_id;
                table.name = target.to_string();
                table.state = TableState::Restore;
                table.created_ms = now_ms;
                table
                    .properties
                    .insert("replication_num".into(), job.replication_num.to_string());
                table.partitions.clear();
                for name in &object.partitions {
                    let p_info = &info.partitions[name];
                    let from = backup_tablets(&source.info, info, p_info, &job.label);
                    let snap_p = snap.partition(name).ok_or_else(missing)?;
                    let p = new_partition(&mut alloc, job, snap_p, from.len(), target, now_ms)?;
                    feed(&mut out.plan, table.id, &p, &from, target)?;
                    versions.push(version_of(p.id, &from, p_info));
                    table.partitions.push(p);
                }
                table.schema_hash = crate::ddl::schema::schema_hash(table.id, &table);
                (table, true, Vec::new())
            }
        };
        out.plan.tables.push(PlannedTable {
            name: table.name.clone(),
            table_id: table.id,
            created,
            added_partitions: added,
            partition_versions: versions,
        });
        out.tables.push(table);
    }
    Ok(out)
}

fn version_of(partition_id: u64, from: &[BackupTablet], p: &PartitionInfo) -> PartitionVersion {
    PartitionVersion {
        partition_id,
        version: from.first().map_or(p.version, |t| t.version),
    }
}

/// A new local partition shaped like the snapshot's, with fresh ids.
fn new_partition(
    alloc: &mut Allocator<'_>,
    job: &RestoreJob,
    snap: &Partition,
    tablets: usize,
    table: &str,
    now_ms: i64,
) -> Result<Partition, String> {
    let id = alloc.id();
    Ok(Partition {
        id,
        name: snap.name.clone(),
        range: snap.range.clone(),
        visible_version: 1,
        visible_version_time_ms: now_ms,
        replication_num: job.replication_num,
        tablets: alloc.tablets(tablets, job.replication_num, table)?,
        row_count: 0,
        data_size: 0,
    })
}

/// Tablets the job must create on BEs: every tablet of a created table or an
/// added partition, as (backend, table, partition, tablet).
pub(super) fn new_replicas(plan: &RestorePlan, tables: &[Table]) -> Vec<(u64, u64, u64, u64)> {
    let mut out = Vec::new();
    for planned in &plan.tables {
        let Some(table) = tables.iter().find(|t| t.id == planned.table_id) else {
            continue;
        };
        for p in &table.partitions {
            if !planned.created && !planned.added_partitions.contains(&p.id) {
                continue;
            }
            for tablet in &p.tablets {
                for r in &tablet.replicas {
                    out.push((r.backend_id, table.id, p.id, tablet.id));
                }
            }
        }
    }
    out
}
