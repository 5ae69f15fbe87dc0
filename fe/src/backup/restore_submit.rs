//! RESTORE SNAPSHOT: analysis and submission (spec §2.3, §3.2, §4.7). The
//! statement returns once the job is recorded in PENDING; the driver in
//! `restore_job` does the rest.

use std::collections::{BTreeMap, BTreeSet};

use catalog::{Change, Database, JobStatus, Privilege, RestoreJob, RestoreState, RestoreTableRef};
use parser::ast::{BackupObject, RestoreStmt};
use repository::info::JobInfo;

use super::options::JobOptions;
use super::restore_plan::Source;
use super::submit::{check_no_running_job, parse_timeout};
use crate::Fe;
use crate::cluster::now_ms;
use crate::error::{ErrorCode, FeError};
use crate::privilege::{Grants, Need};
use crate::result::Output;

/// Seconds a restore may run unless `timeout` says otherwise.
const DEFAULT_TIMEOUT_S: u64 = 86_400;

/// The parsed RESTORE properties.
#[derive(Debug)]
struct Props {
    backup_timestamp: String,
    replication_num: u32,
    allow_load: bool,
    timeout_s: u64,
    meta_version: i64,
    starrocks_meta_version: i64,
    options: JobOptions,
}

/// Parses the properties in the order given; the `backup_timestamp` and
/// unknown-key checks come after the loop, as in StarRocks.
fn properties(props: &[(String, String)], default_replication: u32) -> Result<Props, FeError> {
    let bad = |m: String| FeError::analysis_code(ErrorCode::Common, m);
    let meta_int = |v: &str| -> Result<i64, FeError> {
        v.trim()
            .parse()
            .map_err(|_| bad(format!("Invalid meta version format: {v}")))
    };
    let mut out = Props {
        backup_timestamp: String::new(),
        replication_num: default_replication,
        allow_load: false,
        timeout_s: DEFAULT_TIMEOUT_S,
        meta_version: -1,
        starrocks_meta_version: -1,
        options: JobOptions::default(),
    };
    let mut timestamp = None;
    let mut unknown = Vec::new();
    for (key, value) in props {
        if out.options.take(key, value)? {
            continue;
        }
        match key.as_str() {
            "backup_timestamp" => timestamp = Some(value.clone()),
            "replication_num" => {
                let n = meta_int(value)?;
                out.replication_num = u32::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(format!("Invalid replication num: {value}")))?;
            }
            "allow_load" => {
                out.allow_load = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad(format!("Invalid allow load value: {value}"))),
                }
            }
            "meta_version" => out.meta_version = meta_int(value)?,
            "starrocks_meta_version" => out.starrocks_meta_version = meta_int(value)?,
            "timeout" => out.timeout_s = parse_timeout(value)?,
            _ => unknown.push(key.clone()),
        }
    }
    out.backup_timestamp = timestamp.ok_or_else(|| bad("Missing backup_timestamp property".into()))?;
    if !unknown.is_empty() {
        return Err(bad(format!(
            "Unknown restore job properties: [{}]",
            unknown.join(", ")
        )));
    }
    Ok(out)
}

/// Analysis of the `ON (...)` list that needs no snapshot: duplicates and aliases.
fn check_objects(objects: &[BackupObject]) -> Result<(), FeError> {
    let mut seen = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for object in objects {
        if let BackupObject::Table { name, alias, .. } = object {
            if !seen.insert(name.table.clone()) {
                return Err(FeError::analysis(format!("Duplicated table: {}", name.table)));
            }
            let target = alias.as_ref().unwrap_or(&name.table);
            if !targets.insert(target.clone()) {
                return Err(FeError::analysis(format!("Duplicated alias name: {target}")));
            }
        }
    }
    Ok(())
}

/// Every table and partition of the snapshot, or those `ON (...)` names (spec §4.7 step 8).
fn select_objects(
    info: &JobInfo,
    label: &str,
    objects: &[BackupObject],
) -> Result<Vec<RestoreTableRef>, FeError> {
    let whole = |table: &str| RestoreTableRef {
        table: table.to_string(),
        alias: None,
        partitions: info.backup_objects[table].partitions.keys().cloned().collect(),
    };
    if objects.is_empty() {
        return Ok(info.backup_objects.keys().map(|t| whole(t)).collect());
    }
    let mut refs: Vec<RestoreTableRef> = Vec::new();
    for object in objects {
        match object {
            BackupObject::AllTables => {
                for t in info.backup_objects.keys() {
                    if !refs.iter().any(|r| &r.table == t) {
                        refs.push(whole(t));
                    }
                }
            }
            // Starling snapshots hold no views, materialized views or functions.
            BackupObject::AllViews | BackupObject::AllMaterializedViews | BackupObject::AllFunctions => {}
            BackupObject::Function { name, .. } => {
                return Err(FeError::common(format!("Can not find restore function: {name}")));
            }
            BackupObject::Table {
                name,
                partitions,
                temporary_partitions,
                alias,
                ..
            } => {
                let Some(table) = info.backup_objects.get(&name.table) else {
                    return Err(FeError::common(format!(
                        "Table {} does not exist in snapshot {label}",
                        name.table
                    )));
                };
                if *temporary_partitions {
                    return Err(FeError::common("Do not support restoring temporary partitions"));
                }
                for p in partitions {
                    if !table.partitions.contains_key(p) {
                        return Err(FeError::common(format!(
                            "Partition {p} of table {} does not exist in snapshot {label}",
                            name.table
                        )));
                    }
                }
                let mut r = whole(&name.table);
                if !partitions.is_empty() {
                    r.partitions = partitions.clone();
                }
                r.alias = alias.clone().filter(|a| a != &name.table);
                refs.retain(|x| x.table != r.table);
                refs.push(r);
            }
        }
    }
    Ok(refs)
}

/// The target database, created when missing (v3.4+, spec §4.7 step 4).
fn target_database(fe: &Fe, name: &str) -> Result<Database, FeError> {
    fe.catalog
        .update(|txn| {
            if let Some(db) = txn.state().database(name) {
                return Ok(db.clone());
            }
            let db = Database {
                id: txn.next_id(),
                name: name.to_string(),
                created_ms: now_ms(),
            };
            txn.push(Change::PutDatabase(db.clone()));
            Ok::<_, FeError>(db)
        })
        .map_err(|e| {
            FeError::common(format!(
                "Can not create database: {name} in restore process ({e})"
            ))
        })
}

/// Every existing table the restore would overwrite needs `INSERT` on it,
/// whatever form the statement has (spec §10): checked on the snapshot's
/// table list, before anything is created.
fn check_overwrites(
    fe: &Fe,
    grants: &Grants,
    target: &str,
    objects: &[RestoreTableRef],
) -> Result<(), FeError> {
    let state = fe.catalog.read();
    let Some(db) = state.database(target) else {
        return Ok(());
    };
    for object in objects {
        let name = object.alias.as_deref().unwrap_or(&object.table);
        if let Some(table) = state.table(db.id, name) {
            grants.check(&Need::table(Privilege::Insert, &db.name, &table.name))?;
        }
    }
    Ok(())
}

/// `RESTORE SNAPSHOT [db.]label FROM repo [DATABASE src [AS dst]] [ON (...)] PROPERTIES (...)`
pub async fn restore(fe: &Fe, grants: &Grants, stmt: &RestoreStmt) -> Result<Output, FeError> {
    if stmt.label.is_empty() {
        return Err(FeError::analysis_code(
            ErrorCode::WrongLabelName,
            format!("Incorrect label name '{}'", stmt.label),
        ));
    }
    check_objects(&stmt.objects)?;
    let props = properties(&stmt.properties, 3)?;

    let record = fe
        .catalog
        .read()
        .repository(&stmt.repository)
        .cloned()
        .ok_or_else(|| FeError::common(format!("Repository {} does not exist", stmt.repository)))?;
    let repo = super::repos::open(&record)
        .await
        .map_err(|e| FeError::common(e.to_string()))?;
    let source = Source::read(&repo, &stmt.label, &props.backup_timestamp, props.meta_version)
        .await
        .map_err(FeError::common)?;
    let info = &source.info;
    if stmt.external_catalogs.is_some() {
        return Err(FeError::common(format!(
            "This is not a snapshot for external catalog restore, snapshot: {}",
            stmt.label
        )));
    }
    if stmt.explicit_database
        && let Some(src) = &stmt.database
        && src != &info.database
    {
        return Err(FeError::common(format!(
            "target database: {src} is not existed in snapshot"
        )));
    }
    let objects = select_objects(info, &stmt.label, &stmt.objects)?;
    let target = stmt
        .target_database
        .as_ref()
        .or(stmt.database.as_ref())
        .unwrap_or(&info.database);

    let guard = fe.backups.submit_guard().await?;
    check_overwrites(fe, grants, target, &objects)?;
    let db = target_database(fe, target)?;
    check_no_running_job(fe, db.id)?;
    let job = RestoreJob {
        job_id: -1,
        label: stmt.label.clone(),
        backup_timestamp: props.backup_timestamp,
        db_id: db.id,
        db_name: db.name.clone(),
        repo_name: record.name.clone(),
        state: RestoreState::Pending,
        allow_load: props.allow_load,
        replication_num: props.replication_num,
        timeout_s: props.timeout_s,
        meta_version: props.meta_version,
        starrocks_meta_version: props.starrocks_meta_version,
        objects,
        create_time_ms: now_ms(),
        meta_prepared_ms: None,
        snapshot_finished_ms: None,
        download_finished_ms: None,
        finished_ms: None,
        status: JobStatus::ok(),
        task_errors: BTreeMap::new(),
        plan: None,
        pause: catalog::JobPause {
            on_error: props.options.pause_on_error,
            ..Default::default()
        },
        progress: catalog::JobProgress::default(),
    };
    fe.backups.persist_restore(&job)?;
    let (db_id, created) = (job.db_id, job.create_time_ms);
    fe.backups.spawn_restore(job);
    drop(guard);
    if props.options.wait {
        return super::options::wait_for_job(&fe.backups, db_id, created).await;
    }
    Ok(Output::ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn message(e: FeError) -> String {
        e.to_string()
    }

    #[test]
    fn restore_properties_follow_starrocks() {
        let ok = properties(&p(&[("backup_timestamp", "ts"), ("replication_num", "1")]), 3).unwrap();
        assert_eq!(
            (ok.backup_timestamp.as_str(), ok.replication_num, ok.timeout_s),
            ("ts", 1, 86_400)
        );
        let cases = [
            (vec![], "Missing backup_timestamp property"),
            (
                vec![("backup_timestamp", "t"), ("replication_num", "x")],
                "Invalid meta version format: x",
            ),
            (
                vec![("backup_timestamp", "t"), ("allow_load", "maybe")],
                "Invalid allow load value: maybe",
            ),
            (
                vec![("backup_timestamp", "t"), ("meta_version", "v")],
                "Invalid meta version format: v",
            ),
            (
                vec![("backup_timestamp", "t"), ("timeout", "60")],
                "timeout must be at least 10 min",
            ),
            (
                vec![("backup_timestamp", "t"), ("colour", "red")],
                "Unknown restore job properties: [colour]",
            ),
            // The timestamp check comes before the unknown-key check.
            (vec![("colour", "red")], "Missing backup_timestamp property"),
        ];
        for (props, text) in cases {
            let err = message(properties(&p(&props), 3).unwrap_err());
            assert!(err.contains(text), "{props:?}: {err}");
        }
        assert!(
            properties(&p(&[("backup_timestamp", "t"), ("allow_load", "TRUE")]), 3)
                .unwrap()
                .allow_load
        );
    }
}
