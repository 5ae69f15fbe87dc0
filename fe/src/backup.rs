//! Disaster recovery: repositories, BACKUP jobs and snapshot listings
//! (spec §4–§8).
//!
//! ```text
//! handler ──▶ repos (CREATE/DROP/SHOW REPOSITORIES)
//!         ──▶ submit (BACKUP analysis + submission) ──▶ Backups::spawn ──▶ backup_job::run
//!         ──▶ show (SHOW/CANCEL BACKUP), snapshots (SHOW/DROP SNAPSHOT)
//! ```
//!
//! A job's durable state is its catalog record (`catalog::Job`), rewritten at
//! the persisted transitions of spec §6.1; a driver task per running job moves
//! it along and keeps a live copy plus volatile progress in a [`JobCtl`] for
//! SHOW. After an FE restart [`Backups::resume`] restarts every unfinished job
//! from its last persisted state.

mod backup_job;
mod repos;
mod show;
mod snapshots;
mod submit;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use catalog::{BackupJob, Catalog, Change, Job, JobStatus};
use conf::FeConfig;
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::error::FeError;

pub use repos::{create_repository, drop_repository, show_repositories};
pub use show::{cancel_backup, show_backup};
pub use snapshots::{drop_snapshot, show_snapshot};
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
}

/// A running job's live state and control handles.
pub struct JobCtl {
    /// The job as the driver currently sees it (state may be ahead of the catalog).
    pub job: Mutex<BackupJob>,
    /// Progress for SHOW.
    pub volatile: Mutex<Volatile>,
    cancel: watch::Sender<Option<JobStatus>>,
    done: watch::Sender<bool>,
}

/// The BACKUP machinery of one FE.
pub struct Backups {
    catalog: Arc<Catalog>,
    cluster: Arc<Cluster>,
    config: FeConfig,
    running: Mutex<HashMap<u64, Arc<JobCtl>>>,
    submit_lock: tokio::sync::Mutex<()>,
}

impl Backups {
    /// The machinery over a catalog and cluster.
    pub fn new(catalog: Arc<Catalog>, cluster: Arc<Cluster>, config: FeConfig) -> Arc<Self> {
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
        let unfinished: Vec<BackupJob> = self
            .catalog
            .read()
            .jobs()
            .filter(|j| !j.is_done())
            .map(|j| match j {
                Job::Backup(b) => b.as_ref().clone(),
            })
            .collect();
        for job in unfinished {
            tracing::info!(label = %job.label, state = job.state.name(), "resuming backup job");
            self.spawn(job);
        }
    }

    /// Starts the driver of `job`.
    fn spawn(self: &Arc<Self>, job: BackupJob) {
        let (cancel, _) = watch::channel(None);
        let (done, _) = watch::channel(false);
        let ctl = Arc::new(JobCtl {
            job: Mutex::new(job.clone()),
            volatile: Mutex::new(Volatile::default()),
            cancel,
            done,
        });
        self.running.lock().insert(job.db_id, Arc::clone(&ctl));
        let this = Arc::clone(self);
        tokio::spawn(async move {
            backup_job::run(&this, &ctl, job).await;
            this.running.lock().retain(|_, c| !Arc::ptr_eq(c, &ctl));
            let _ = ctl.done.send(true);
        });
    }

    /// The live control of a database's running job.
    fn running(&self, db_id: u64) -> Option<Arc<JobCtl>> {
        self.running.lock().get(&db_id).cloned()
    }

    /// The last job of a database: the live copy while it runs, else the record.
    pub fn last_job(&self, db_id: u64) -> Option<(BackupJob, Volatile)> {
        if let Some(ctl) = self.running(db_id) {
            return Some((ctl.job.lock().clone(), ctl.volatile.lock().clone()));
        }
        match self.catalog.read().job(db_id)? {
            Job::Backup(b) => Some((b.as_ref().clone(), Volatile::default())),
        }
    }

    /// True when some unfinished job uses repository `name`.
    pub fn repository_in_use(&self, name: &str) -> bool {
        self.running
            .lock()
            .values()
            .any(|c| c.job.lock().repo_name == name)
    }

    /// True when an unfinished backup writes snapshot `label` of repository `repo`.
    pub fn writing_snapshot(&self, repo: &str, label: &str) -> bool {
        self.running.lock().values().any(|c| {
            let job = c.job.lock();
            job.repo_name == repo && job.label == label
        })
    }

    /// Persists a job record.
    fn persist(&self, job: &BackupJob) -> Result<(), FeError> {
        self.catalog.update(|txn| {
            txn.push(Change::PutJob(Box::new(Job::Backup(Box::new(job.clone())))));
            Ok::<_, FeError>(())
        })
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
