//! What `SHOW JOBS` lists about a job once it ended, and the byte counts
//! every job carries while it runs.
//!
//! A database keeps one job record (its last job, [`super::Job`]); the
//! history keeps a small summary of every job that ended, for
//! `job_history_keep_seconds`, so SHOW JOBS still lists them after a
//! restart and after the database ran newer jobs.

use serde::{Deserialize, Serialize};

/// Bytes and rows a job moved. Persisted in the job record at its
/// transitions (absent in older records: nothing counted yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobProgress {
    /// Bytes of the job's files that are in place: transferred, or found
    /// intact and not transferred again.
    #[serde(default)]
    pub bytes_done: u64,
    /// Bytes of every file the job moves (0: not known yet).
    #[serde(default)]
    pub bytes_total: u64,
    /// Rows backed up (BACKUP) or restored (RESTORE), once known.
    #[serde(default)]
    pub rows: u64,
}

/// The kinds of long jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobType {
    /// BACKUP SNAPSHOT.
    Backup,
    /// RESTORE SNAPSHOT.
    Restore,
}

impl JobType {
    /// The name SHOW JOBS prints in `Type`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Backup => "BACKUP",
            Self::Restore => "RESTORE",
        }
    }
}

/// One ended job, as SHOW JOBS lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The job's id (`-1` for a job cancelled before it got one).
    pub job_id: i64,
    /// Its kind.
    pub job_type: JobType,
    /// Database id.
    pub db_id: u64,
    /// Database name when the job ran.
    pub db_name: String,
    /// Snapshot label.
    pub label: String,
    /// Repository name.
    pub repo_name: String,
    /// `FINISHED` or `CANCELLED`.
    pub state: String,
    /// Bytes and rows moved.
    #[serde(default)]
    pub progress: JobProgress,
    /// Submit time, epoch ms.
    pub create_time_ms: i64,
    /// When it ended, epoch ms.
    pub finished_ms: i64,
    /// The rendered status of a job that failed or was cancelled; empty when OK.
    #[serde(default)]
    pub error: String,
}

impl JobRecord {
    /// The history key: submit time, then database id. A database runs one
    /// job at a time, so no two jobs share a key, and keys sort by age.
    pub fn key(&self) -> (i64, u64) {
        (self.create_time_ms, self.db_id)
    }
}
