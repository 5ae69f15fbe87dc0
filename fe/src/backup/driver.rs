//! The one loop that drives every long job. A kind (BACKUP, RESTORE)
//! declares its step for the current state, its timeout and its cleanup; the
//! loop runs steps until the job is done, racing each against the job's
//! cancel signal and its deadline, and hands any failure to the kind's
//! cancel. Task retries are the kinds' business, through one policy in
//! [`super::tasks::with_retries`].
//!
//! ```text
//!  loop until FINISHED / CANCELLED:
//!      select { kind.step()  |  CANCEL  |  deadline }
//!          Ok  ──▶ next state (the step persisted what its state requires)
//!          Err ──▶ kind.cancel(status): cleanup + CANCELLED persisted
//!      publish the job to SHOW
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use catalog::JobStatus;
use conf::FeConfig;

use super::tasks::{Step, common};
use super::{Backups, JobCtl};
use crate::cluster::now_ms;

/// A kind of long job. Its record is the job itself: the loop keeps the
/// live copy in [`JobCtl::job`] for SHOW after every step.
pub(super) trait JobKind: Clone + Send + Sync + Sized + 'static {
    /// FINISHED or CANCELLED.
    fn is_done(&self) -> bool;

    /// When the job runs out of time, epoch ms.
    fn deadline_ms(&self, config: &FeConfig) -> i64;

    /// The status of a job that ran out of time.
    fn timeout_status(&self) -> JobStatus;

    /// The status recorded for a cancel asked with `status` (a user's cancel
    /// of a RESTORE names the state it stopped in, as StarRocks does).
    fn cancelled_status(&self, status: JobStatus) -> JobStatus {
        status
    }

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

/// Drives `job` until it is FINISHED or CANCELLED.
pub(super) async fn drive<J: JobKind>(b: &Arc<Backups>, ctl: &Arc<JobCtl<J>>, mut job: J) {
    let mut cancel_rx = ctl.cancel.subscribe();
    while !job.is_done() {
        let left = Duration::from_millis(u64::try_from(job.deadline_ms(&b.config) - now_ms()).unwrap_or(0));
        let timeout = job.timeout_status();
        let outcome = tokio::select! {
            r = job.step(b, ctl) => r,
            cancelled = cancel_rx.wait_for(Option::is_some) => {
                Err(cancelled.ok().and_then(|c| c.clone()).unwrap_or_else(|| common("user cancelled")))
            }
            () = tokio::time::sleep(left) => Err(timeout),
        };
        if let Err(status) = outcome {
            let status = job.cancelled_status(status);
            job.cancel(b, ctl, status).await;
        }
        *ctl.job.lock() = job.clone();
    }
}

/// The deadline of a job created at `create_time_ms` with `timeout_s`
/// (`debug_timeout_millis_per_second` shortens a second in tests).
pub(super) fn deadline(create_time_ms: i64, timeout_s: u64, config: &FeConfig) -> i64 {
    create_time_ms + (timeout_s * config.debug_timeout_millis_per_second) as i64
}
