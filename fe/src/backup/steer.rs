//! `PAUSE` and `RESUME` of a database's running BACKUP or RESTORE
//! (Starling's; StarRocks has neither). The driver ([`super::driver`]) does
//! the pausing; this module checks the request and waits until it holds.

use std::time::{Duration, Instant};

use catalog::Job;
use parser::ast::JobAction;

use super::JobCtl;
use super::driver::JobKind;
use crate::Fe;
use crate::error::FeError;
use crate::result::Output;

/// How long PAUSE and RESUME wait for the driver to act.
const WAIT: Duration = Duration::from_secs(30);

/// `{PAUSE|RESUME} {BACKUP|RESTORE} FROM db`.
pub async fn steer(fe: &Fe, database: &str, restore: bool, resume: bool) -> Result<Output, FeError> {
    let db_id = super::show::db_id(fe, database)?;
    if restore {
        let ctl = fe
            .backups
            .running_restore(db_id)
            .ok_or_else(|| FeError::common("No restore is currently running"))?;
        steer_job(&ctl, resume).await
    } else {
        let ctl = fe
            .backups
            .running_backup(db_id)
            .ok_or_else(|| FeError::common("No backup job is currently running"))?;
        steer_job(&ctl, resume).await
    }
}

/// `{PAUSE|RESUME|CANCEL} JOB id`: the same as the statements by database,
/// for the job with that id.
pub async fn job_by_id(fe: &Fe, action: JobAction, job_id: u64) -> Result<Output, FeError> {
    let found = {
        let state = fe.catalog.read();
        state.jobs().find_map(|job| {
            let (id, db_id, restore) = match job {
                Job::Backup(b) => (b.job_id, b.db_id, false),
                Job::Restore(r) => (r.job_id, r.db_id, true),
            };
            (u64::try_from(id).ok() == Some(job_id))
                .then(|| state.database_by_id(db_id).map(|d| (d.name.clone(), restore)))
                .flatten()
        })
    };
    let Some((database, restore)) = found else {
        return Err(FeError::common(format!("Unknown job id {job_id}")));
    };
    match (action, restore) {
        (JobAction::Cancel, false) => super::cancel_backup(fe, &database).await,
        (JobAction::Cancel, true) => super::cancel_restore(fe, &database).await,
        (action, restore) => steer(fe, &database, restore, action == JobAction::Resume).await,
    }
}

async fn steer_job<J: JobKind>(ctl: &JobCtl<J>, resume: bool) -> Result<Output, FeError> {
    let job = ctl.job.lock().clone();
    let verb = if resume { "resumed" } else { "paused" };
    let refuse = |why: String| FeError::common(format!("Job with label {} {why}", job.label()));
    if job.is_done() {
        return Err(refuse(format!("can not be {verb}. state: {}", job.state_name())));
    }
    match (resume, job.pause().is_paused()) {
        (true, false) => return Err(refuse("is not paused".into())),
        (false, true) => return Err(refuse("is already paused".into())),
        (false, false) if !job.can_pause() => {
            return Err(refuse(format!(
                "can not be paused in state {}: it finishes first",
                job.state_name()
            )));
        }
        _ => {}
    }
    ctl.pause.send_replace(!resume);
    let deadline = Instant::now() + WAIT;
    loop {
        let now = ctl.job.lock().clone();
        if now.pause().is_paused() != resume {
            return Ok(Output::ok());
        }
        if now.is_done() {
            return Err(refuse(format!("can not be {verb}. state: {}", now.state_name())));
        }
        if Instant::now() > deadline {
            return Err(refuse(format!("was not {verb} in time")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
