//! The one loop that drives every long job. A kind (BACKUP, RESTORE)
//! declares its step for the current state, its timeout and its cleanup; the
//! loop runs steps until the job is done, racing each against the job's
//! cancel and pause signals and its deadline, and hands any failure to the
//! kind's cancel. Task retries are the kinds' business, through one policy in
//! [`super::tasks::with_retries`].
//!
//! ```text
//!  loop until FINISHED / CANCELLED:
//!      paused:  wait for RESUME (persisted) or CANCEL
//!      select { kind.step()  |  CANCEL  |  PAUSE  |  deadline }
//!          Ok    ──▶ next state (the step persisted what its state requires)
//!          PAUSE ──▶ the step is dropped and runs again on RESUME (steps are
//!                    idempotent; finished tablets are skipped); PAUSED persisted
//!          Err   ──▶ kind.cancel(status): cleanup + CANCELLED persisted
//!      publish the job to SHOW
//! ```
//!
//! Time spent paused does not count against the job's timeout.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use catalog::{JobPause, JobProgress, JobStatus, StatusCode};
use conf::FeConfig;

use super::tasks::Step;
use super::{Backups, JobCtl};
use crate::cluster::now_ms;

/// A kind of long job. Its record is the job itself: the loop keeps the
/// live copy in [`JobCtl::job`] for SHOW after every step.
pub(super) trait JobKind: Clone + Send + Sync + Sized + 'static {
    /// FINISHED or CANCELLED.
    fn is_done(&self) -> bool;

    /// The job's label.
    fn label(&self) -> &str;

    /// The name of the state it is in, as SHOW prints it.
    fn state_name(&self) -> &'static str;

    /// Whether the current state may be paused (a RESTORE that began to
    /// commit finishes instead: no table is ever left half-committed).
    fn can_pause(&self) -> bool {
        true
    }

    /// When the job runs out of time, epoch ms.
    fn deadline_ms(&self, config: &FeConfig) -> i64;

    /// The status of a job that ran out of time.
    fn timeout_status(&self) -> JobStatus;

    /// The status a job cancelled for `cause` ends with: the one place a
    /// cause becomes StarRocks' `Status` text (a user's cancel of a RESTORE
    /// names the state it stopped in, as StarRocks does).
    fn cancelled_status(&self, cause: Cancel) -> JobStatus {
        match cause {
            Cancel::User => JobStatus::err(StatusCode::CommonError, USER_CANCELLED),
            Cancel::Timeout => self.timeout_status(),
            Cancel::Failed(status) => status,
        }
    }

    /// The job's pauses.
    fn pause(&self) -> &JobPause;

    /// The job's pauses, to change.
    fn pause_mut(&mut self) -> &mut JobPause;

    /// The job's outcome so far, to change.
    fn status_mut(&mut self) -> &mut JobStatus;

    /// The job's byte and row counts, to change.
    fn progress_mut(&mut self) -> &mut JobProgress;

    /// Writes the job record.
    fn persist(&self, b: &Backups) -> Step;

    /// Runs the step of the current state and moves to the next. Steps are
    /// idempotent: after an FE restart the step of the last persisted state
    /// runs again.
    fn step<'a>(
        &'a mut self,
        b: &'a Backups,
        ctl: &'a JobCtl<Self>,
    ) -> impl Future<Output = Step> + Send + 'a;

    /// Ends the job CANCELLED with `status`: undoes what it must, persists it.
    fn cancel<'a>(
        &'a mut self,
        b: &'a Backups,
        ctl: &'a JobCtl<Self>,
        status: JobStatus,
    ) -> impl Future<Output = ()> + Send + 'a;
}

/// The [`JobKind`] methods that only read or lend a job record's common
/// fields (`state`, `label`, `create_time_ms`, `timeout_s`, `pause`,
/// `status`, `progress`), which BACKUP and RESTORE records name alike.
macro_rules! job_record_fields {
    () => {
        fn is_done(&self) -> bool {
            self.state.is_done()
        }

        fn deadline_ms(&self, config: &conf::FeConfig) -> i64 {
            super::driver::deadline(self.create_time_ms, self.timeout_s, config)
        }

        fn label(&self) -> &str {
            &self.label
        }

        fn state_name(&self) -> &'static str {
            self.state.name()
        }

        fn pause(&self) -> &catalog::JobPause {
            &self.pause
        }

        fn pause_mut(&mut self) -> &mut catalog::JobPause {
            &mut self.pause
        }

        fn status_mut(&mut self) -> &mut catalog::JobStatus {
            &mut self.status
        }

        fn progress_mut(&mut self) -> &mut catalog::JobProgress {
            &mut self.progress
        }
    };
}
pub(super) use job_record_fields;

/// StarRocks' text for a job its user cancelled.
pub(super) const USER_CANCELLED: &str = "user cancelled";

/// Why a job is cancelled.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cancel {
    /// CANCEL BACKUP / CANCEL RESTORE / CANCEL JOB.
    User,
    /// The job ran out of time.
    Timeout,
    /// A step failed for good.
    Failed(JobStatus),
}

/// What interrupted a step.
enum Interrupt {
    Cancelled(Cancel),
    /// A step failed in a job that pauses on errors.
    FailedPausing(JobStatus),
    Paused,
}

/// Drives `job` until it is FINISHED or CANCELLED.
pub(super) async fn drive<J: JobKind>(b: &Arc<Backups>, ctl: &Arc<JobCtl<J>>, mut job: J) {
    let mut cancel_rx = ctl.cancel.subscribe();
    let mut pause_rx = ctl.pause.subscribe();
    let cancelled = |c: Result<tokio::sync::watch::Ref<'_, Option<Cancel>>, _>| {
        c.ok().and_then(|c| c.clone()).unwrap_or(Cancel::User)
    };
    while !job.is_done() {
        if job.pause().is_paused() {
            let outcome = tokio::select! {
                _ = pause_rx.wait_for(|paused| !*paused) => {
                    let pause = job.pause_mut();
                    pause.total_ms = pause.paused_ms(now_ms());
                    pause.since_ms = None;
                    // An error that paused the job is retried now.
                    *job.status_mut() = JobStatus::ok();
                    job.persist(b).err().map(Cancel::Failed)
                }
                c = cancel_rx.wait_for(Option::is_some) => Some(cancelled(c)),
            };
            if let Some(cause) = outcome {
                let status = job.cancelled_status(cause);
                job.cancel(b, ctl, status).await;
            }
            *ctl.job.lock() = job.clone();
            continue;
        }
        let deadline = job.deadline_ms(&b.config()) + job.pause().paused_ms(now_ms());
        let left = Duration::from_millis(u64::try_from(deadline - now_ms()).unwrap_or(0));
        let pausable = job.can_pause();
        let job_pauses_on_error = job.pause().on_error && pausable;
        let delay = Duration::from_millis(b.config().debug_job_step_delay_ms);
        let step = async {
            // A test knob: every state lasts a while, so a test can act in it.
            tokio::time::sleep(delay).await;
            job.step(b, ctl).await
        };
        let outcome = tokio::select! {
            r = step => r.map_err(|status| {
                if job_pauses_on_error {
                    Interrupt::FailedPausing(status)
                } else {
                    Interrupt::Cancelled(Cancel::Failed(status))
                }
            }),
            c = cancel_rx.wait_for(Option::is_some) => Err(Interrupt::Cancelled(cancelled(c))),
            _ = pause_rx.wait_for(|paused| *paused), if pausable => Err(Interrupt::Paused),
            () = tokio::time::sleep(left) => Err(Interrupt::Cancelled(Cancel::Timeout)),
        };
        match outcome {
            Ok(()) => {}
            Err(Interrupt::Paused) => pause(b, ctl, &mut job, None).await,
            Err(Interrupt::FailedPausing(status)) => {
                tracing::info!(label = job.label(), status = %status.render(), "job paused on its error");
                ctl.pause.send_replace(true);
                pause(b, ctl, &mut job, Some(status)).await;
            }
            Err(Interrupt::Cancelled(cause)) => {
                let status = job.cancelled_status(cause);
                ctl.volatile.lock().transfer.fold_into(job.progress_mut());
                job.cancel(b, ctl, status).await;
            }
        }
        *ctl.job.lock() = job.clone();
    }
}

/// Pauses `job` (with the error that paused it, if any) and persists it.
async fn pause<J: JobKind>(b: &Backups, ctl: &JobCtl<J>, job: &mut J, error: Option<JobStatus>) {
    job.pause_mut().since_ms = Some(now_ms());
    ctl.volatile.lock().transfer.fold_into(job.progress_mut());
    if let Some(status) = error {
        *job.status_mut() = status;
    }
    ctl.volatile.lock().unfinished.clear();
    if let Err(status) = job.persist(b) {
        job.cancel(b, ctl, status).await;
    }
}

/// The deadline of a job created at `create_time_ms` with `timeout_s`
/// (`debug_timeout_millis_per_second` shortens a second in tests).
pub(super) fn deadline(create_time_ms: i64, timeout_s: u64, config: &FeConfig) -> i64 {
    create_time_ms + (timeout_s * config.debug_timeout_millis_per_second) as i64
}
