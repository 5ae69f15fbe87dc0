//! The job history and `SHOW JOBS`: every BACKUP and RESTORE, running and
//! ended, with its byte progress.
//!
//! A job's history record is written in the same catalog write as the job
//! record that ends it ([`put_job`]), so an ended job is never missing from
//! SHOW JOBS, and records older than `job_history_keep_seconds` are dropped
//! by the same writes.

use std::collections::BTreeMap;
use std::time::Instant;

use catalog::{Change, Job, JobProgress, JobRecord, Txn};

use super::progress::eta_seconds;
use super::{Running, Volatile};
use crate::Fe;
use crate::cluster::now_ms;
use crate::error::FeError;
use crate::result::{ColType, Column, Output, ResultSet, Value};

/// Writes `job` as its database's last job; once it ended, also its history
/// record, and forgets records that ended more than `keep_s` seconds ago.
pub(super) fn put_job(txn: &mut Txn<'_>, job: Job, keep_s: u64) {
    if let Some(record) = job.record() {
        txn.push(Change::PutJobRecord(Box::new(record)));
        prune(txn, keep_s);
    }
    txn.push(Change::PutJob(Box::new(job)));
}

/// Drops the history records that ended more than `keep_s` seconds ago.
fn prune(txn: &mut Txn<'_>, keep_s: u64) {
    let horizon = now_ms().saturating_sub(keep_s.saturating_mul(1000) as i64);
    let old: Vec<(i64, u64)> = txn
        .state()
        .job_history()
        .filter(|r| r.finished_ms < horizon)
        .map(JobRecord::key)
        .collect();
    for key in old {
        txn.push(Change::DeleteJobRecord(key));
    }
}

/// At FE start: records for ended jobs written before the history existed
/// (format version 3), and the dropping of old records.
pub(super) fn backfill(txn: &mut Txn<'_>, keep_s: u64) -> Result<(), FeError> {
    let known: Vec<(i64, u64)> = txn.state().job_history().map(JobRecord::key).collect();
    let missing: Vec<JobRecord> = txn
        .state()
        .jobs()
        .filter_map(Job::record)
        .filter(|r| !known.contains(&r.key()))
        .collect();
    for record in missing {
        txn.push(Change::PutJobRecord(Box::new(record)));
    }
    prune(txn, keep_s);
    Ok(())
}

/// One job as SHOW JOBS and the metrics see it.
pub struct JobView {
    /// Its record, with live progress while it runs.
    pub record: JobRecord,
    /// Bytes per second, while it runs.
    pub rate: Option<u64>,
    /// True until it ended.
    pub running: bool,
}

/// The line of a job that has not ended, with its live progress.
fn running_line(job: &Job, v: &Volatile, now: Instant) -> JobView {
    let mut record = job.summary();
    v.transfer.fold_into(&mut record.progress);
    JobView {
        record,
        rate: Some(v.transfer.bytes_per_second(now)),
        running: true,
    }
}

/// The fraction of a job done: its bytes while it moves them, 1 once FINISHED.
fn fraction(line: &JobView) -> f64 {
    let p: &JobProgress = &line.record.progress;
    if line.record.state == "FINISHED" {
        1.0
    } else if p.bytes_total > 0 {
        (p.bytes_done as f64 / p.bytes_total as f64).min(1.0)
    } else {
        0.0
    }
}

/// Every job, running and ended, of `database` (all databases without one),
/// oldest first.
pub fn jobs(fe: &Fe, database: Option<&str>) -> Result<Vec<JobView>, FeError> {
    let db_filter = match database {
        Some(name) => Some(super::show::db_id(fe, name)?),
        None => None,
    };
    let now = Instant::now();
    let mut by_key: BTreeMap<(i64, u64), JobView> = BTreeMap::new();
    let running: Vec<Running> = fe.backups.running.lock().values().cloned().collect();
    for r in running {
        let (job, v) = r.snapshot();
        let line = running_line(&job, &v, now);
        by_key.insert(line.record.key(), line);
    }
    let state = fe.catalog.read();
    let horizon = now_ms().saturating_sub(fe.backups.history_keep_s().saturating_mul(1000) as i64);
    for record in state.job_history().filter(|r| r.finished_ms >= horizon) {
        by_key.entry(record.key()).or_insert_with(|| JobView {
            record: record.clone(),
            rate: None,
            running: false,
        });
    }
    // A job waiting to be resumed after a restart has no driver yet.
    for job in state.jobs().filter(|j| !j.is_done()) {
        let line = running_line(job, &Volatile::default(), now);
        by_key.entry(line.record.key()).or_insert(line);
    }
    Ok(by_key
        .into_values()
        .filter(|l| db_filter.is_none_or(|id| l.record.db_id == id))
        .collect())
}

/// `SHOW JOBS [FROM db]`: the columns of the extension spec (§1).
pub fn show_jobs(fe: &Fe, database: Option<&str>) -> Result<Output, FeError> {
    let typed = Column::typed;
    let mut rs = ResultSet {
        columns: vec![
            typed("JobId", ColType::BigInt),
            Column::text("Type"),
            Column::text("DbName"),
            Column::text("Label"),
            Column::text("State"),
            typed("FractionCompleted", ColType::Double),
            typed("BytesDone", ColType::UBigInt),
            typed("BytesTotal", ColType::UBigInt),
            typed("RowsDone", ColType::UBigInt),
            typed("BytesPerSecond", ColType::UBigInt),
            typed("EtaSeconds", ColType::UBigInt),
            typed("CreateTime", ColType::DateTime),
            typed("FinishTime", ColType::DateTime),
            Column::text("Error"),
        ],
        rows: Vec::new(),
    };
    for line in jobs(fe, database)? {
        let r = &line.record;
        let p = r.progress;
        let eta = line
            .rate
            .and_then(|rate| eta_seconds(p.bytes_done, p.bytes_total, rate));
        rs.push(vec![
            Value::Int(r.job_id),
            r.job_type.name().into(),
            r.db_name.clone().into(),
            r.label.clone().into(),
            r.state.clone().into(),
            Value::Double(fraction(&line)),
            Value::UInt(p.bytes_done),
            Value::UInt(p.bytes_total),
            Value::UInt(p.rows),
            line.rate.map(Value::UInt).into(),
            eta.map(Value::UInt).into(),
            crate::result::format_time(r.create_time_ms).into(),
            (!line.running)
                .then(|| crate::result::format_time(r.finished_ms))
                .into(),
            (!r.error.is_empty()).then(|| r.error.clone()).into(),
        ]);
    }
    Ok(Output::Rows(rs))
}
