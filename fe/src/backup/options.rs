//! The properties every long job takes on top of StarRocks' own:
//! `debug_pause_on` and `wait` (Starling's job control), and `"wait"`'s
//! blocking answer.

use std::time::Duration;

use super::Backups;
use crate::error::{ErrorCode, FeError};
use crate::result::{ColType, Column, Output, ResultSet, Value};

/// Starling's properties of BACKUP and RESTORE.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct JobOptions {
    /// `"debug_pause_on" = "error"`: a failed step pauses the job, with its
    /// error in `Status`, instead of cancelling it (`never`, the default, cancels).
    pub pause_on_error: bool,
    /// `"wait" = "true"`: the statement returns when the job ended.
    pub wait: bool,
}

impl JobOptions {
    /// Takes `key` when it is one of these properties; `Ok(false)` leaves it
    /// to the statement's own keys.
    pub fn take(&mut self, key: &str, value: &str) -> Result<bool, FeError> {
        let choice = |allowed: [(&str, bool); 2]| {
            let v = value.trim().to_ascii_lowercase();
            allowed
                .iter()
                .find(|(name, _)| *name == v)
                .map(|(_, b)| *b)
                .ok_or_else(|| {
                    FeError::analysis_code(
                        ErrorCode::Common,
                        format!(
                            "Invalid {key} value: {value}; allowed values: {}, {}",
                            allowed[0].0, allowed[1].0
                        ),
                    )
                })
        };
        match key {
            "debug_pause_on" => self.pause_on_error = choice([("error", true), ("never", false)])?,
            "wait" => self.wait = choice([("true", true), ("false", false)])?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The answer to a statement submitted with `"wait" = "true"`: blocks until
/// the database's job ended, then one row (`job_id, status,
/// fraction_completed, rows, bytes`) for a FINISHED job, the job's error for
/// a CANCELLED one. The job does not depend on this wait: a client that goes
/// away leaves it running.
pub(super) async fn wait_for_job(b: &Backups, db_id: u64, create_time_ms: i64) -> Result<Output, FeError> {
    // The driver persists the job before it signals; a job resumed at FE
    // start may not have its driver registered yet, and once it ended a newer
    // job of the database may have replaced it (its record is in the history).
    let record = loop {
        let driver = b.running.lock().get(&db_id).cloned();
        if let Some(driver) = driver.filter(|d| d.create_time_ms() == create_time_ms) {
            let _ = driver.done_signal().wait_for(|d| *d).await;
        }
        let (ended, running) = {
            let state = b.catalog.read();
            // The database's last job, or (when a newer one replaced it) the history.
            let ended = state
                .job(db_id)
                .and_then(catalog::Job::record)
                .filter(|r| r.create_time_ms == create_time_ms)
                .or_else(|| {
                    state
                        .job_history()
                        .find(|r| r.key() == (create_time_ms, db_id))
                        .cloned()
                });
            let running = state
                .job(db_id)
                .is_some_and(|j| !j.is_done() && j.summary().create_time_ms == create_time_ms);
            (ended, running)
        };
        match ended {
            Some(r) => break r,
            None if running => tokio::time::sleep(Duration::from_millis(100)).await,
            None => return Err(FeError::common("the job is no longer listed in SHOW JOBS")),
        }
    };
    if record.state != "FINISHED" {
        return Err(FeError::common(format!(
            "{} job {} (label {}) ended {}: {}",
            record.job_type.name(),
            record.job_id,
            record.label,
            record.state,
            record.error
        )));
    }
    let typed = Column::typed;
    let mut rs = ResultSet {
        columns: vec![
            typed("job_id", ColType::BigInt),
            Column::text("status"),
            typed("fraction_completed", ColType::Double),
            typed("rows", ColType::UBigInt),
            typed("bytes", ColType::UBigInt),
        ],
        rows: Vec::new(),
    };
    rs.push(vec![
        Value::Int(record.job_id),
        record.state.into(),
        Value::Double(1.0),
        Value::UInt(record.progress.rows),
        Value::UInt(record.progress.bytes_done),
    ]);
    Ok(Output::Rows(rs))
}
