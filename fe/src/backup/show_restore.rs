//! SHOW RESTORE and CANCEL RESTORE (spec §4.6, §4.8, §5.2).

use catalog::RestoreJob;

use super::Volatile;
use super::show::{db_id, db_ids, task_columns, time};
use crate::Fe;
use crate::error::FeError;
use crate::result::{Output, ResultSet, Value};

/// `RestoreObjs`: `<tbl>` or `<tbl> PARTITIONS [p1, p2]`, snapshot names;
/// partitions named like their table (unpartitioned tables) are omitted.
fn restore_objs(job: &RestoreJob) -> String {
    job.objects
        .iter()
        .map(|o| {
            let parts: Vec<&str> = o
                .partitions
                .iter()
                .map(String::as_str)
                .filter(|p| *p != o.table)
                .collect();
            if parts.is_empty() {
                o.table.clone()
            } else {
                format!("{} PARTITIONS [{}]", o.table, parts.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(job: &RestoreJob, v: &Volatile) -> Vec<Value> {
    let [unfinished, progress, errors] = task_columns(v, job.state.is_done(), &job.task_errors);
    vec![
        job.job_id.to_string().into(),
        job.label.clone().into(),
        job.backup_timestamp.clone().into(),
        job.db_name.clone().into(),
        if job.pause.is_paused() {
            "PAUSED".into()
        } else {
            job.state.name().into()
        },
        job.allow_load.to_string().into(),
        job.replication_num.to_string().into(),
        restore_objs(job).into(),
        time(Some(job.create_time_ms)),
        time(job.meta_prepared_ms),
        time(job.snapshot_finished_ms),
        time(job.download_finished_ms),
        time(job.finished_ms),
        unfinished,
        progress,
        errors,
        job.status.render().into(),
        job.timeout_s.to_string().into(),
    ]
}

/// `SHOW RESTORE [FROM db] [WHERE ...]`: each database's last job, when it is a restore.
pub fn show_restore(fe: &Fe, database: Option<&str>) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&[
        "JobId",
        "Label",
        "Timestamp",
        "DbName",
        "State",
        "AllowLoad",
        "ReplicationNum",
        "RestoreObjs",
        "CreateTime",
        "MetaPreparedTime",
        "SnapshotFinishedTime",
        "DownloadFinishedTime",
        "FinishedTime",
        "UnfinishedTasks",
        "Progress",
        "TaskErrMsg",
        "Status",
        "Timeout",
    ]);
    for db_id in db_ids(fe, database)? {
        if let Some((job, volatile)) = fe.backups.last_restore(db_id) {
            rs.push(row(&job, &volatile));
        }
    }
    Ok(Output::Rows(rs))
}

/// `CANCEL RESTORE FROM db`: cancels the running restore and waits until it is CANCELLED.
pub async fn cancel_restore(fe: &Fe, database: &str) -> Result<Output, FeError> {
    let db_id = db_id(fe, database)?;
    // "job" is missing from StarRocks' text; reproduced as is (spec §4.6).
    let none = || FeError::common("No restore is currently running");
    let Some((job, _)) = fe.backups.last_restore(db_id) else {
        return Err(none());
    };
    if job.state.is_done() {
        return Err(FeError::common(format!(
            "Failed to cancel job: Job with label {} can not be cancelled. state: {}",
            job.label,
            job.state.name()
        )));
    }
    let ctl = fe.backups.running_restore(db_id).ok_or_else(none)?;
    let stopped = ctl.cancel_and_wait(super::driver::Cancel::User).await;
    let state = ctl.job.lock().state;
    super::cancel_answer(&job.label, stopped, state.name())
}
