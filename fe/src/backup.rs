//! Disaster recovery: repositories, BACKUP and RESTORE jobs, snapshot
//! listings (spec §4–§8).
//!
//! ```text
//! handler ──▶ repos (CREATE/DROP/SHOW REPOSITORIES)
//!         ──▶ submit (BACKUP analysis + submission) ──▶ Backups::spawn ──▶ backup_job::run
//!         ──▶ restore_submit (RESTORE) ──▶ Backups::spawn_restore ──▶ restore_job::run
//!                                                                  └─▶ restore_plan (PENDING, spec §7)
//!         ──▶ show / show_restore (SHOW/CANCEL), snapshots (SHOW/DROP SNAPSHOT)
//! tasks: BE calls with retries, shared by both state machines
//! ```
//!
//! A job's durable state is its catalog record (`catalog::Job`), rewritten at
//! the persisted transitions of spec §6.1/§6.2; a driver task per running job moves
//! it along and keeps a live copy plus volatile progress in a [`JobCtl`] for
//! SHOW. After an FE restart [`Backups::resume`] restarts every unfinished job
//! from its last persisted state.

mod backup_job;
mod driver;
mod history;
mod options;
mod progress;
mod repos;
mod restore_job;
mod restore_plan;
mod restore_submit;
mod show;
mod show_restore;
mod snapshots;
mod steer;
mod submit;
mod tasks;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use catalog::{BackupJob, Catalog, Job, RestoreJob};
use conf::FeConfig;
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::error::FeError;
use crate::live_config::LiveConfig;

pub use history::{JobView, jobs, show_jobs};
pub use repos::{create_repository, drop_repository, show_repositories};
pub use restore_submit::restore;
pub use show::{cancel_backup, show_backup};
pub use show_restore::{cancel_restore, show_restore};
pub use snapshots::{drop_snapshot, show_snapshot};
pub use steer::{job_by_id, steer};
pub use submit::backup;

/// Progress that is not persisted: rebuilt by re-running a step after restart.
#[derive(Debug, Default, Clone)]
pub struct Volatile {
    /// `key=value` pairs of SHOW's `UnfinishedTasks`, by key.
    pub unfinished: BTreeMap<String, String>,
    /// Task signature → (finished, total) while uploading.
    pub progress: BTreeMap<String, (u32, u32)>,
    /// Task signature → its last error.
    pub task_errors: BTreeMap<String, String>,
    /// Bytes of the transfer state running now.
    pub transfer: progress::Transfer,
}

/// A running job's live state and control handles.
pub struct JobCtl<J> {
    /// The job as the driver currently sees it (state may be ahead of the catalog).
    pub job: Mutex<J>,
    /// Progress for SHOW.
    pub volatile: Mutex<Volatile>,
    cancel: watch::Sender<Option<driver::Cancel>>,
    /// True while the job should be paused (PAUSE sets it, RESUME clears it).
    pause: watch::Sender<bool>,
    done: watch::Sender<bool>,
}

impl<J> JobCtl<J> {
    fn new(job: J, paused: bool) -> Arc<Self> {
        let (cancel, _) = watch::channel(None);
        let (pause, _) = watch::channel(paused);
        let (done, _) = watch::channel(false);
        Arc::new(Self {
            job: Mutex::new(job),
            volatile: Mutex::new(Volatile::default()),
            cancel,
            pause,
            done,
        })
    }

    /// Asks the driver to cancel for `cause` and waits (up to 30 s) until it stopped.
    async fn cancel_and_wait(&self, cause: driver::Cancel) -> bool {
        let mut done = self.done.subscribe();
        // `send_replace` stores the value even before the driver subscribed
        // (`send` would drop a cancel that arrives right after the submit).
        self.cancel.send_replace(Some(cause));
        tokio::time::timeout(Duration::from_secs(30), done.wait_for(|d| *d))
            .await
            .is_ok()
    }
}

/// What CANCEL answers once the driver of job `label` was asked to stop:
/// OK when it stopped in CANCELLED; StarRocks' "can not be cancelled" when it
/// finished before the cancel reached it.
fn cancel_answer(label: &str, stopped: bool, state: &str) -> Result<crate::result::Output, FeError> {
    match (stopped, state) {
        (true, "CANCELLED") => Ok(crate::result::Output::ok()),
        (true, "FINISHED") => Err(FeError::common(format!(
            "Failed to cancel job: Job with label {label} can not be cancelled. state: {state}"
        ))),
        _ => Err(FeError::common(format!(
            "Failed to cancel job: Job with label {label} did not stop in time"
        ))),
    }
}

/// The running job of a database.
#[derive(Clone)]
enum Running {
    Backup(Arc<JobCtl<BackupJob>>),
    Restore(Arc<JobCtl<RestoreJob>>),
}

impl Running {
    fn repo_and_label(&self) -> (String, String) {
        match self {
            Running::Backup(c) => {
                let j = c.job.lock();
                (j.repo_name.clone(), j.label.clone())
            }
            Running::Restore(c) => {
                let j = c.job.lock();
                (j.repo_name.clone(), j.label.clone())
            }
        }
    }

    /// A receiver that turns true once the job's driver stopped.
    fn done_signal(&self) -> watch::Receiver<bool> {
        match self {
            Running::Backup(c) => c.done.subscribe(),
            Running::Restore(c) => c.done.subscribe(),
        }
    }

    /// When the job was submitted, epoch ms (with the database, its key).
    fn create_time_ms(&self) -> i64 {
        match self {
            Running::Backup(c) => c.job.lock().create_time_ms,
            Running::Restore(c) => c.job.lock().create_time_ms,
        }
    }

    /// The job as its driver sees it, with its progress.
    fn snapshot(&self) -> (Job, Volatile) {
        match self {
            Running::Backup(c) => (
                Job::Backup(Box::new(c.job.lock().clone())),
                c.volatile.lock().clone(),
            ),
            Running::Restore(c) => (
                Job::Restore(Box::new(c.job.lock().clone())),
                c.volatile.lock().clone(),
            ),
        }
    }

    fn is(&self, done: &watch::Sender<bool>) -> bool {
        match self {
            Running::Backup(c) => std::ptr::eq(&c.done, done),
            Running::Restore(c) => std::ptr::eq(&c.done, done),
        }
    }
}

/// The BACKUP and RESTORE machinery of one FE.
pub struct Backups {
    catalog: Arc<Catalog>,
    cluster: Arc<Cluster>,
    config: Arc<LiveConfig>,
    running: Mutex<HashMap<u64, Running>>,
    submit_lock: tokio::sync::Mutex<()>,
}

impl Backups {
    /// The machinery over a catalog and cluster.
    pub fn new(catalog: Arc<Catalog>, cluster: Arc<Cluster>, config: Arc<LiveConfig>) -> Arc<Self> {
        Arc::new(Self {
            catalog,
            cluster,
            config,
            running: Mutex::new(HashMap::new()),
            submit_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Restarts every unfinished job from its persisted state (FE start).
    pub fn resume(self: &Arc<Self>) {
        if let Err(e) = self
            .catalog
            .update(|txn| history::backfill(txn, self.history_keep_s()))
        {
            tracing::warn!(error = %e, "the job history could not be brought up to date");
        }
        let unfinished: Vec<Job> = self
            .catalog
            .read()
            .jobs()
            .filter(|j| !j.is_done())
            .cloned()
            .collect();
        for job in unfinished {
            match job {
                Job::Backup(b) => {
                    tracing::info!(label = %b.label, state = b.state.name(), "resuming backup job");
                    self.spawn(*b);
                }
                Job::Restore(r) => {
                    tracing::info!(label = %r.label, state = r.state.name(), "resuming restore job");
                    self.spawn_restore(*r);
                }
            }
        }
    }

    /// Registers a running job and runs `drive` to its end.
    fn start<J, F, Fut>(
        self: &Arc<Self>,
        db_id: u64,
        ctl: Arc<JobCtl<J>>,
        wrap: fn(Arc<JobCtl<J>>) -> Running,
        drive: F,
    ) where
        J: Send + 'static,
        F: FnOnce(Arc<Self>, Arc<JobCtl<J>>) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.running.lock().insert(db_id, wrap(Arc::clone(&ctl)));
        let this = Arc::clone(self);
        let run = drive(Arc::clone(self), Arc::clone(&ctl));
        tokio::spawn(async move {
            run.await;
            this.running.lock().retain(|_, r| !r.is(&ctl.done));
            ctl.done.send_replace(true);
        });
    }

    /// Starts the driver of a backup job.
    fn spawn(self: &Arc<Self>, job: BackupJob) {
        let ctl = JobCtl::new(job.clone(), job.pause.is_paused());
        self.start(job.db_id, ctl, Running::Backup, |b, ctl| async move {
            driver::drive(&b, &ctl, job).await;
        });
    }

    /// Starts the driver of a restore job.
    fn spawn_restore(self: &Arc<Self>, job: RestoreJob) {
        let ctl = JobCtl::new(job.clone(), job.pause.is_paused());
        self.start(job.db_id, ctl, Running::Restore, |b, ctl| async move {
            driver::drive(&b, &ctl, job).await;
        });
    }

    /// The live control of a database's running backup.
    fn running_backup(&self, db_id: u64) -> Option<Arc<JobCtl<BackupJob>>> {
        match self.running.lock().get(&db_id)? {
            Running::Backup(c) => Some(Arc::clone(c)),
            Running::Restore(_) => None,
        }
    }

    /// The live control of a database's running restore.
    fn running_restore(&self, db_id: u64) -> Option<Arc<JobCtl<RestoreJob>>> {
        match self.running.lock().get(&db_id)? {
            Running::Restore(c) => Some(Arc::clone(c)),
            Running::Backup(_) => None,
        }
    }

    /// True when a job of any kind runs on the database.
    fn busy(&self, db_id: u64) -> bool {
        self.running.lock().contains_key(&db_id)
            || self.catalog.read().job(db_id).is_some_and(|j| !j.is_done())
    }

    /// The last job of a database when it is a backup: the live copy while it runs, else the record.
    pub fn last_job(&self, db_id: u64) -> Option<(BackupJob, Volatile)> {
        if let Some(ctl) = self.running_backup(db_id) {
            return Some((ctl.job.lock().clone(), ctl.volatile.lock().clone()));
        }
        match self.catalog.read().job(db_id)? {
            Job::Backup(b) => Some((b.as_ref().clone(), Volatile::default())),
            Job::Restore(_) => None,
        }
    }

    /// The last job of a database when it is a restore.
    pub fn last_restore(&self, db_id: u64) -> Option<(RestoreJob, Volatile)> {
        if let Some(ctl) = self.running_restore(db_id) {
            return Some((ctl.job.lock().clone(), ctl.volatile.lock().clone()));
        }
        match self.catalog.read().job(db_id)? {
            Job::Restore(r) => Some((r.as_ref().clone(), Volatile::default())),
            Job::Backup(_) => None,
        }
    }

    /// True when some unfinished job uses repository `name`.
    pub fn repository_in_use(&self, name: &str) -> bool {
        self.running.lock().values().any(|r| r.repo_and_label().0 == name)
    }

    /// True when an unfinished job uses snapshot `label` of repository `repo`.
    pub fn writing_snapshot(&self, repo: &str, label: &str) -> bool {
        self.running
            .lock()
            .values()
            .any(|r| r.repo_and_label() == (repo.to_string(), label.to_string()))
    }

    /// Persists a backup job record.
    fn persist(&self, job: &BackupJob) -> Result<(), FeError> {
        self.catalog.update(|txn| {
            history::put_job(txn, Job::Backup(Box::new(job.clone())), self.history_keep_s());
            Ok::<_, FeError>(())
        })
    }

    /// Persists a restore job record.
    fn persist_restore(&self, job: &RestoreJob) -> Result<(), FeError> {
        self.catalog.update(|txn| {
            history::put_job(txn, Job::Restore(Box::new(job.clone())), self.history_keep_s());
            Ok::<_, FeError>(())
        })
    }

    /// Seconds an ended job stays in SHOW JOBS.
    fn history_keep_s(&self) -> u64 {
        self.config().job_history_keep_seconds
    }

    /// The FE configuration now (its mutable keys may change while jobs run).
    fn config(&self) -> FeConfig {
        self.config.get()
    }

    /// Takes the submission lock (spec §4.4: 10 s, then a clear error).
    async fn submit_guard(&self) -> Result<tokio::sync::MutexGuard<'_, ()>, FeError> {
        tokio::time::timeout(Duration::from_secs(10), self.submit_lock.lock())
            .await
            .map_err(|_| {
                FeError::common("Another backup or restore job is being submitted. Please wait and try again")
            })
    }
}
