//! BACKUP and RESTORE jobs: the durable part of their state machines.
//!
//! The catalog keeps each database's last job (spec §1). A job record is
//! rewritten at the transitions of spec §6 that persist; what happens between
//! them (task progress, error texts) is rebuilt after a restart by re-running
//! the step from the last persisted state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job_history::{JobProgress, JobRecord, JobType};
use super::job_status::{JobPause, JobStatus};
use super::restore_job::RestoreJob;

/// The last job of one database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// A BACKUP SNAPSHOT job.
    Backup(Box<BackupJob>),
    /// A RESTORE SNAPSHOT job.
    Restore(Box<RestoreJob>),
}

impl Job {
    /// The database the job belongs to.
    pub fn db_id(&self) -> u64 {
        match self {
            Job::Backup(j) => j.db_id,
            Job::Restore(j) => j.db_id,
        }
    }

    /// True once FINISHED or CANCELLED.
    pub fn is_done(&self) -> bool {
        match self {
            Job::Backup(j) => j.state.is_done(),
            Job::Restore(j) => j.state.is_done(),
        }
    }

    /// What the history keeps of the job once it ended; `None` while it runs.
    pub fn record(&self) -> Option<JobRecord> {
        self.is_done().then(|| self.summary())
    }

    /// True while paused.
    pub fn is_paused(&self) -> bool {
        match self {
            Job::Backup(j) => j.pause.is_paused(),
            Job::Restore(j) => j.pause.is_paused(),
        }
    }

    /// The job as SHOW JOBS lists it: `State` is `PAUSED` while paused, and
    /// `finished_ms` is the submit time until it ended.
    pub fn summary(&self) -> JobRecord {
        // Both kinds name these fields alike.
        macro_rules! summary {
            ($j:expr, $kind:expr) => {
                JobRecord {
                    job_id: $j.job_id,
                    job_type: $kind,
                    db_id: $j.db_id,
                    db_name: $j.db_name.clone(),
                    label: $j.label.clone(),
                    repo_name: $j.repo_name.clone(),
                    state: if $j.pause.is_paused() {
                        "PAUSED"
                    } else {
                        $j.state.name()
                    }
                    .to_string(),
                    progress: $j.progress,
                    create_time_ms: $j.create_time_ms,
                    finished_ms: $j.finished_ms.unwrap_or($j.create_time_ms),
                    error: if $j.status.is_ok() {
                        String::new()
                    } else {
                        $j.status.render()
                    },
                }
            };
        }
        match self {
            Job::Backup(j) => summary!(j, JobType::Backup),
            Job::Restore(j) => summary!(j, JobType::Restore),
        }
    }
}

/// States of a backup job, in order (spec §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackupState {
    /// Choosing replicas and capturing versions and schemas.
    Pending,
    /// BEs make snapshots.
    Snapshoting,
    /// Upload tasks are being planned.
    UploadSnapshot,
    /// BEs upload snapshot files.
    Uploading,
    /// Releasing BE snapshots, preparing meta and info.
    SaveMeta,
    /// Writing `__meta` and `__info_<ts>` to the repository.
    UploadInfo,
    /// Done.
    Finished,
    /// Cancelled by the user, a failure or the timeout.
    Cancelled,
}

impl BackupState {
    /// The name SHOW BACKUP prints.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Snapshoting => "SNAPSHOTING",
            Self::UploadSnapshot => "UPLOAD_SNAPSHOT",
            Self::Uploading => "UPLOADING",
            Self::SaveMeta => "SAVE_META",
            Self::UploadInfo => "UPLOAD_INFO",
            Self::Finished => "FINISHED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// True once FINISHED or CANCELLED.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Finished | Self::Cancelled)
    }
}

/// A table named in BACKUP, with the partitions chosen (empty: all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupTableRef {
    /// Table name.
    pub table: String,
    /// Partition names; empty means every partition.
    pub partitions: Vec<String>,
}

/// One tablet replica's snapshot on a BE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabletSnapshot {
    /// Table id.
    pub table_id: u64,
    /// Partition id.
    pub partition_id: u64,
    /// Index id.
    pub index_id: u64,
    /// Tablet id.
    pub tablet_id: u64,
    /// Backend holding the snapshot.
    pub backend_id: u64,
    /// Version captured.
    pub version: u64,
    /// Snapshot directory on the BE (empty until made).
    #[serde(default)]
    pub path: String,
    /// File names in the snapshot directory.
    #[serde(default)]
    pub files: Vec<String>,
    /// Stored names (with checksum) once uploaded.
    #[serde(default)]
    pub uploaded: Vec<String>,
}

/// A BACKUP SNAPSHOT job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupJob {
    /// `-1` until PENDING first runs; a fresh id on every PENDING entry.
    pub job_id: i64,
    /// Snapshot label.
    pub label: String,
    /// Database id.
    pub db_id: u64,
    /// Database name.
    pub db_name: String,
    /// Repository name.
    pub repo_name: String,
    /// Current persisted state.
    pub state: BackupState,
    /// What was asked for, expanded to tables.
    pub objects: Vec<BackupTableRef>,
    /// Submit time, epoch ms; also the backup timestamp.
    pub create_time_ms: i64,
    /// When every BE snapshot was made.
    #[serde(default)]
    pub snapshot_finished_ms: Option<i64>,
    /// When every upload finished.
    #[serde(default)]
    pub upload_finished_ms: Option<i64>,
    /// When the job finished or was cancelled.
    #[serde(default)]
    pub finished_ms: Option<i64>,
    /// Timeout in seconds.
    pub timeout_s: u64,
    /// Outcome so far.
    pub status: JobStatus,
    /// Task signature → last error of that task.
    #[serde(default)]
    pub task_errors: BTreeMap<String, String>,
    /// Table records captured in PENDING, trimmed to the chosen partitions.
    #[serde(default)]
    pub tables: Vec<serde_json::Value>,
    /// One snapshot per tablet, planned in PENDING.
    #[serde(default)]
    pub snapshots: Vec<TabletSnapshot>,
    /// Pauses (absent in older records: never paused).
    #[serde(default)]
    pub pause: JobPause,
    /// Bytes and rows moved (absent in older records: nothing counted yet).
    #[serde(default)]
    pub progress: JobProgress,
}
