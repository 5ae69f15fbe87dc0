//! BACKUP SNAPSHOT: analysis and submission (spec §3.1, §4.4). The statement
//! returns once the job is recorded in PENDING; the driver does the rest.

use std::collections::BTreeMap;

use catalog::{BackupJob, BackupState, BackupTableRef, JobStatus};
use parser::ast::{BackupObject, BackupStmt, ExternalCatalogs};

use super::options::JobOptions;
use crate::Fe;
use crate::error::{ErrorCode, FeError};
use crate::result::Output;
use crate::session::Session;

/// Smallest timeout a job accepts, seconds.
const MIN_TIMEOUT_S: u64 = 600;

/// The `timeout` property of BACKUP and RESTORE, in seconds.
pub(super) fn parse_timeout(value: &str) -> Result<u64, FeError> {
    let bad = |m: String| FeError::analysis_code(ErrorCode::Common, m);
    let secs: i64 = value
        .trim()
        .parse()
        .map_err(|_| bad(format!("Invalid timeout format: {value}")))?;
    if secs < MIN_TIMEOUT_S as i64 {
        return Err(bad("timeout must be at least 10 min".into()));
    }
    Ok(secs as u64)
}

/// Parses the BACKUP properties: returns (timeout seconds, incremental, job options).
fn properties(fe: &Fe, props: &[(String, String)]) -> Result<(u64, bool, JobOptions), FeError> {
    let bad = |m: String| FeError::analysis_code(ErrorCode::Common, m);
    let mut timeout_s = fe.live.get().backup_job_default_timeout_ms / 1000;
    let mut incremental = false;
    let mut options = JobOptions::default();
    let mut unknown = Vec::new();
    for (key, value) in props {
        if options.take(key, value)? {
            continue;
        }
        match key.as_str() {
            "type" => match value.to_ascii_uppercase().as_str() {
                "FULL" => incremental = false,
                "INCREMENTAL" => incremental = true,
                _ => return Err(bad(format!("Invalid backup job type: {value}"))),
            },
            "timeout" => timeout_s = parse_timeout(value)?,
            "ttl" => {} // v4.2 retention; accepted, snapshots are kept until dropped.
            _ => unknown.push(key.clone()),
        }
    }
    if !unknown.is_empty() {
        return Err(bad(format!(
            "Unknown backup job properties: [{}]",
            unknown.join(", ")
        )));
    }
    Ok((timeout_s, incremental, options))
}

/// Expands the `ON (...)` list to table references (spec §4.4 step 4–5).
fn expand_objects(
    fe: &Fe,
    db: &catalog::Database,
    objects: &[BackupObject],
) -> Result<Vec<BackupTableRef>, FeError> {
    let state = fe.catalog.read();
    let all_tables = || -> Vec<BackupTableRef> {
        let mut tables: Vec<_> = state
            .tables(db.id)
            .map(|t| BackupTableRef {
                table: t.name.clone(),
                partitions: vec![],
            })
            .collect();
        tables.sort_by(|a, b| a.table.cmp(&b.table));
        tables
    };
    if objects.is_empty() {
        return Ok(all_tables());
    }
    let mut refs: Vec<BackupTableRef> = Vec::new();
    for object in objects {
        match object {
            BackupObject::AllTables => {
                for t in all_tables() {
                    if !refs.iter().any(|r| r.table == t.table) {
                        refs.push(t);
                    }
                }
            }
            // Starling has no views, materialized views or UDFs yet: nothing to add.
            BackupObject::AllViews | BackupObject::AllMaterializedViews | BackupObject::AllFunctions => {}
            BackupObject::Function { name, .. } => {
                return Err(FeError::common(format!(
                    "Invalid backup function(s), function name: {name}"
                )));
            }
            BackupObject::Table {
                name,
                partitions,
                temporary_partitions,
                ..
            } => {
                if name.database.as_deref().is_some_and(|d| d != db.name) {
                    return Err(FeError::analysis(format!("Incorrect table name '{name}'")));
                }
                let table = state
                    .table(db.id, &name.table)
                    .ok_or_else(|| FeError::analysis(format!("Incorrect table name '{}'", name.table)))?;
                if *temporary_partitions {
                    return Err(FeError::common("Do not support backing up temp partitions"));
                }
                for p in partitions {
                    if table.partition(p).is_none() {
                        return Err(FeError::analysis(format!(
                            "partition[{p}] does not exist  in table{}",
                            table.name
                        )));
                    }
                }
                if refs.iter().any(|r| r.table == table.name) {
                    return Err(FeError::analysis(format!("Duplicated table: {}", table.name)));
                }
                refs.push(BackupTableRef {
                    table: table.name.clone(),
                    partitions: partitions.clone(),
                });
            }
        }
    }
    Ok(refs)
}

/// `BACKUP [DATABASE db] SNAPSHOT [db.]label TO repo [ON (...)] [PROPERTIES (...)]`
pub async fn backup(fe: &Fe, session: &Session, stmt: &BackupStmt) -> Result<Output, FeError> {
    match &stmt.external_catalogs {
        Some(ExternalCatalogs::All) => {
            return Err(FeError::analysis_code(
                ErrorCode::Common,
                "No external catalog can be backed up",
            ));
        }
        Some(ExternalCatalogs::Named(names)) => {
            let (name, _) = &names[0];
            let msg = if name.eq_ignore_ascii_case("default_catalog") {
                "Do not support Backup/Restore the entire default catalog".to_string()
            } else {
                format!("external catalog {name} does not existed.")
            };
            return Err(FeError::analysis_code(ErrorCode::Common, msg));
        }
        None => {}
    }
    let db = crate::session::resolve_db(fe, session, stmt.database.as_deref())?;
    if stmt.label.is_empty() {
        return Err(FeError::analysis_code(
            ErrorCode::WrongLabelName,
            format!("Incorrect label name '{}'", stmt.label),
        ));
    }
    if stmt.repository.is_empty() {
        return Err(FeError::analysis_code(ErrorCode::Common, "Repository is empty"));
    }
    let repo = super::repos::lookup(fe, &stmt.repository)?;
    let objects = expand_objects(fe, &db, &stmt.objects)?;
    let (timeout_s, incremental, options) = properties(fe, &stmt.properties)?;
    if objects.is_empty() {
        return Err(FeError::analysis(format!("Database: {} is empty", db.name)));
    }

    let guard = fe.backups.submit_guard().await?;
    check_no_running_job(fe, db.id)?;
    if repo.read_only {
        return Err(FeError::common(format!("Repository {} is read only", repo.name)));
    }
    let storage = super::repos::open(&repo)
        .await
        .map_err(|e| FeError::common(e.to_string()))?;
    // The label is reserved in the repository before the job exists: a job of
    // another database (or of another cluster sharing the repository) that
    // asks for it next gets the "already exist" error instead of sharing it.
    let owner = format!(
        "cluster {}, database {}, submitted at {}",
        fe.catalog.read().cluster_id(),
        db.name,
        crate::cluster::now_ms()
    );
    let reserved = !fe.backups.writing_snapshot(&repo.name, &stmt.label)
        && storage
            .reserve_label(&stmt.label, &owner)
            .await
            .map_err(|e| FeError::common(e.to_string()))?;
    if !reserved {
        return Err(FeError::common(if incremental {
            "Currently does not support incremental backup".to_string()
        } else {
            format!("Snapshot with name '{}' already exist in repository", stmt.label)
        }));
    }
    let job = BackupJob {
        job_id: -1,
        label: stmt.label.clone(),
        db_id: db.id,
        db_name: db.name.clone(),
        repo_name: repo.name.clone(),
        state: BackupState::Pending,
        objects,
        create_time_ms: crate::cluster::now_ms(),
        snapshot_finished_ms: None,
        upload_finished_ms: None,
        finished_ms: None,
        timeout_s,
        status: JobStatus::ok(),
        task_errors: BTreeMap::new(),
        tables: vec![],
        snapshots: vec![],
        pause: catalog::JobPause {
            on_error: options.pause_on_error,
            ..Default::default()
        },
        progress: catalog::JobProgress::default(),
    };
    if let Err(e) = fe.backups.persist(&job) {
        let _ = storage.release_label(&stmt.label).await;
        return Err(e);
    }
    let (db_id, created) = (job.db_id, job.create_time_ms);
    fe.backups.spawn(job);
    drop(guard);
    if options.wait {
        return super::options::wait_for_job(&fe.backups, db_id, created).await;
    }
    Ok(Output::ok())
}

/// One running BACKUP or RESTORE per database.
pub(super) fn check_no_running_job(fe: &Fe, db_id: u64) -> Result<(), FeError> {
    if fe.backups.busy(db_id) {
        return Err(FeError::common(
            "Can only run one backup or restore job of a database at same time",
        ));
    }
    Ok(())
}
