//! RESTORE jobs (spec §6.2): the record and the plan PENDING computes.
//!
//! The plan (new ids, replica placement, which backed-up tablet feeds which
//! local tablet) is persisted together with the catalog changes it implies,
//! in one write, so a restarted FE continues with exactly the tables and
//! tablets the job already registered and never allocates a second set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job_history::JobProgress;
use super::job_status::{JobPause, JobStatus};

/// States of a RESTORE job, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RestoreState {
    /// Submitted; metadata not prepared yet.
    Pending,
    /// Replicas created, staging prepared on the BEs.
    Snapshoting,
    /// About to send download tasks.
    Download,
    /// BEs download and verify tablet files.
    Downloading,
    /// About to install the downloaded files.
    Commit,
    /// BEs install the files; then the catalog switches over.
    Committing,
    /// Done.
    Finished,
    /// Failed or cancelled.
    Cancelled,
}

impl RestoreState {
    /// The name SHOW RESTORE prints.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Snapshoting => "SNAPSHOTING",
            Self::Download => "DOWNLOAD",
            Self::Downloading => "DOWNLOADING",
            Self::Commit => "COMMIT",
            Self::Committing => "COMMITTING",
            Self::Finished => "FINISHED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// True once FINISHED or CANCELLED.
    pub fn is_done(self) -> bool {
        matches!(self, Self::Finished | Self::Cancelled)
    }
}

/// A table of the snapshot to restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreTableRef {
    /// Its name in the snapshot.
    pub table: String,
    /// The local name (`AS alias`); `None` keeps the snapshot name.
    #[serde(default)]
    pub alias: Option<String>,
    /// The snapshot partitions to restore (all of them unless `PARTITION (...)` was given).
    pub partitions: Vec<String>,
}

impl RestoreTableRef {
    /// The local table name.
    pub fn target(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.table)
    }
}

/// What the job did to one local table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedTable {
    /// Local name.
    pub name: String,
    /// Local id.
    pub table_id: u64,
    /// The job created the table (cancel drops it).
    pub created: bool,
    /// Partitions the job added to an existing table (cancel drops them).
    #[serde(default)]
    pub added_partitions: Vec<u64>,
    /// Every restored local partition and the version it gets at commit
    /// (a list: integer map keys do not survive the versioned encoding).
    pub partition_versions: Vec<PartitionVersion>,
}

/// A restored partition and its backed-up version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionVersion {
    /// Local partition id.
    pub partition_id: u64,
    /// Visible version after commit.
    pub version: u64,
}

/// One local tablet fed by one backed-up tablet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreTablet {
    /// Local table.
    pub table_id: u64,
    /// Local partition.
    pub partition_id: u64,
    /// Local tablet.
    pub tablet_id: u64,
    /// The backed-up version its files carry.
    pub version: u64,
    /// Backends holding its replicas.
    pub backends: Vec<u64>,
    /// The backed-up tablet's directory, relative to the repository root.
    pub remote_dir: String,
    /// The backed-up tablet's files (`<name>.<md5>`).
    pub stored_names: Vec<String>,
}

/// The result of PENDING's planning.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RestorePlan {
    /// Target tables.
    pub tables: Vec<PlannedTable>,
    /// Target tablets.
    pub tablets: Vec<RestoreTablet>,
    /// Whether the catalog changes (tables in state RESTORE, new tables and
    /// partitions) are in place.
    #[serde(default)]
    pub registered: bool,
}

/// A RESTORE SNAPSHOT job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreJob {
    /// `-1` until PENDING assigns one.
    pub job_id: i64,
    /// Snapshot label.
    pub label: String,
    /// The `backup_timestamp` property.
    pub backup_timestamp: String,
    /// Target database.
    pub db_id: u64,
    /// Target database name.
    pub db_name: String,
    /// Repository name.
    pub repo_name: String,
    /// Current state.
    pub state: RestoreState,
    /// `allow_load` (shown, no effect: tables are always locked).
    pub allow_load: bool,
    /// Replicas per restored tablet.
    pub replication_num: u32,
    /// Seconds before the job times out.
    pub timeout_s: u64,
    /// `meta_version` (-1 = the snapshot's).
    pub meta_version: i64,
    /// `starrocks_meta_version` (-1 = the snapshot's).
    pub starrocks_meta_version: i64,
    /// Snapshot tables and partitions to restore.
    pub objects: Vec<RestoreTableRef>,
    /// Submission time, epoch ms.
    pub create_time_ms: i64,
    /// End of PENDING.
    #[serde(default)]
    pub meta_prepared_ms: Option<i64>,
    /// End of SNAPSHOTING.
    #[serde(default)]
    pub snapshot_finished_ms: Option<i64>,
    /// End of DOWNLOADING.
    #[serde(default)]
    pub download_finished_ms: Option<i64>,
    /// FINISHED or CANCELLED time.
    #[serde(default)]
    pub finished_ms: Option<i64>,
    /// `[OK]` or why it was cancelled.
    pub status: JobStatus,
    /// Last error of each failed task.
    #[serde(default)]
    pub task_errors: BTreeMap<String, String>,
    /// Set by PENDING.
    #[serde(default)]
    pub plan: Option<RestorePlan>,
    /// Pauses (absent in older records: never paused).
    #[serde(default)]
    pub pause: JobPause,
    /// Bytes and rows moved (absent in older records: nothing counted yet).
    #[serde(default)]
    pub progress: JobProgress,
}
