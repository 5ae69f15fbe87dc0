//! SHOW BACKUP and CANCEL BACKUP (spec §4.5, §4.6, §5.1).

use catalog::{BackupJob, Privilege, PrivilegeObject};

use super::Volatile;
use crate::Fe;
use crate::error::FeError;
use crate::privilege::Grants;
use crate::result::{Output, ResultSet, Value};

/// StarRocks prints unset times as the two characters `\N`.
const NULL_STRING: &str = "\\N";

pub(super) fn time(ms: Option<i64>) -> Value {
    ms.map_or_else(|| NULL_STRING.into(), |t| crate::result::format_time(t).into())
}

fn row(job: &BackupJob, v: &Volatile) -> Vec<Value> {
    let objects: Vec<String> = job
        .objects
        .iter()
        .map(|o| {
            let parts = if o.partitions.is_empty() {
                String::new()
            } else {
                format!("PARTITIONS ({})", o.partitions.join(", "))
            };
            format!("[{}.{}{parts} AS {}]", job.db_name, o.table, o.table)
        })
        .collect();
    let [unfinished, progress, errors] = task_columns(v, job.state.is_done(), &job.task_errors);
    vec![
        job.job_id.to_string().into(),
        job.label.clone().into(),
        job.db_name.clone().into(),
        if job.pause.is_paused() {
            "PAUSED".into()
        } else {
            job.state.name().into()
        },
        objects.join(", ").into(),
        time(Some(job.create_time_ms)),
        time(job.snapshot_finished_ms),
        time(job.upload_finished_ms),
        time(job.finished_ms),
        unfinished,
        progress,
        errors,
        job.status.render().into(),
        job.timeout_s.to_string().into(),
    ]
}

/// `UnfinishedTasks`, `Progress` and `TaskErrMsg`: live while the job runs,
/// the persisted errors once it is done.
pub(super) fn task_columns(
    v: &Volatile,
    done: bool,
    persisted_errors: &std::collections::BTreeMap<String, String>,
) -> [Value; 3] {
    let unfinished: Vec<String> = v.unfinished.iter().map(|(k, val)| format!("{k}={val}")).collect();
    let progress: Vec<String> = v
        .progress
        .iter()
        .map(|(sig, (f, t))| format!("[{sig}: {f}/{t}]"))
        .collect();
    let errors = if done { persisted_errors } else { &v.task_errors };
    let errors: Vec<String> = errors
        .iter()
        .map(|(sig, msg)| format!("[{sig}: {msg}]"))
        .collect();
    [
        unfinished.join(", ").into(),
        progress.join(", ").into(),
        errors.join(", ").into(),
    ]
}

/// The id of database `name`, as SHOW and CANCEL report a missing one.
pub(super) fn db_id(fe: &Fe, name: &str) -> Result<u64, FeError> {
    fe.catalog
        .read()
        .database(name)
        .map(|d| d.id)
        .ok_or_else(|| FeError::unknown_db(name))
}

/// The databases SHOW BACKUP/RESTORE looks at: the named one or all.
pub(super) fn db_ids(fe: &Fe, database: Option<&str>) -> Result<Vec<u64>, FeError> {
    match database {
        Some(name) => Ok(vec![db_id(fe, name)?]),
        None => Ok(fe.catalog.read().databases().map(|d| d.id).collect()),
    }
}

/// `SHOW BACKUP [FROM db]`: each database's last job, when it is a backup.
/// `SHOW BACKUP [FROM db]`. As in StarRocks, a caller lacking `EXPORT` on any
/// table of any listed job gets an empty result.
pub fn show_backup(fe: &Fe, grants: &Grants, database: Option<&str>) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&[
        "JobId",
        "SnapshotName",
        "DbName",
        "State",
        "BackupObjs",
        "CreateTime",
        "SnapshotFinishedTime",
        "UploadFinishedTime",
        "FinishedTime",
        "UnfinishedTasks",
        "Progress",
        "TaskErrMsg",
        "Status",
        "Timeout",
    ]);
    for db_id in db_ids(fe, database)? {
        if let Some((job, volatile)) = fe.backups.last_job(db_id) {
            let exportable = job.objects.iter().all(|o| {
                grants.has(
                    &[Privilege::Export],
                    &PrivilegeObject::table(&job.db_name, &o.table),
                )
            });
            if !exportable {
                rs.rows.clear();
                break;
            }
            rs.push(row(&job, &volatile));
        }
    }
    Ok(Output::Rows(rs))
}

/// `CANCEL BACKUP FROM db`: cancels the running backup and waits until it is CANCELLED.
pub async fn cancel_backup(fe: &Fe, database: &str) -> Result<Output, FeError> {
    let db_id = db_id(fe, database)?;
    let Some((job, _)) = fe.backups.last_job(db_id) else {
        return Err(FeError::common("No backup job is currently running"));
    };
    if job.state.is_done() {
        return Err(FeError::common(format!(
            "Failed to cancel job: Job with label {} can not be cancelled. state: {}",
            job.label,
            job.state.name()
        )));
    }
    let Some(ctl) = fe.backups.running_backup(db_id) else {
        return Err(FeError::common("No backup job is currently running"));
    };
    let stopped = ctl.cancel_and_wait(super::driver::Cancel::User).await;
    let state = ctl.job.lock().state;
    super::cancel_answer(&job.label, stopped, state.name())
}
