//! Backend errors.

/// What can fail inside a BE.
#[derive(Debug, thiserror::Error)]
pub enum BeError {
    /// Local disk I/O failed.
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    /// The gRPC server failed.
    #[error("transport error: {0}")]
    Transport(String),
    /// A configuration key that cannot be set, or a bad value for one.
    #[error("{0}")]
    Config(String),
    /// A tablet exists with a different schema hash than requested.
    #[error("tablet {tablet_id} already exists with schema hash {existing}, requested {requested}")]
    SchemaHashMismatch {
        /// The tablet.
        tablet_id: u64,
        /// Schema hash on disk.
        existing: u32,
        /// Schema hash requested.
        requested: u32,
    },
    /// The BE already belongs to another cluster.
    #[error("backend belongs to cluster {owned}, heartbeat from cluster {requested}")]
    ClusterMismatch {
        /// Cluster id stored on disk.
        owned: u64,
        /// Cluster id of the heartbeat.
        requested: u64,
    },
    /// A replica lacks the version a snapshot asks for.
    #[error("tablet {tablet_id} has version {have}, snapshot wants version {want}")]
    VersionMissing {
        /// The tablet.
        tablet_id: u64,
        /// Newest version held.
        have: u64,
        /// Version asked for.
        want: u64,
    },
    /// A repository operation failed.
    #[error("{0}")]
    Repository(#[from] repository::RepoError),
    /// A repository operation on one tablet's files failed.
    #[error("tablet {tablet_id}: {source}")]
    TabletFile {
        /// The tablet whose files were transferred.
        tablet_id: u64,
        /// What the repository said.
        source: repository::RepoError,
    },
    /// No such tablet on this BE.
    #[error("tablet {0} not found")]
    TabletNotFound(u64),
    /// Data sent by the FE could not be decoded.
    #[error("bad load data for tablet {tablet_id}: {reason}")]
    BadData {
        /// The tablet.
        tablet_id: u64,
        /// Why.
        reason: String,
    },
    /// A task named a file that is not a plain file name (a `/` or `..` in it).
    #[error("invalid file name '{name}' for tablet {tablet_id}")]
    InvalidFileName {
        /// The tablet.
        tablet_id: u64,
        /// The name as sent.
        name: String,
    },
    /// A restore's staged snapshot is absent, incomplete or not the one expected.
    #[error("restore job {job_id}, tablet {tablet_id}: {reason}")]
    BadStaging {
        /// The restore job.
        job_id: u64,
        /// The target tablet.
        tablet_id: u64,
        /// What is wrong with the staging directory.
        reason: String,
    },
    /// A replica changed while a task was rewriting it; the task may be retried.
    #[error("tablet {tablet_id} changed while {task} was installing it")]
    Concurrent {
        /// The tablet.
        tablet_id: u64,
        /// The task that noticed.
        task: &'static str,
    },
    /// A `be.conf` value is not valid.
    #[error("invalid value '{value}' for {key}: {reason}")]
    BadConfig {
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// Tablet metadata on disk could not be read.
    #[error("corrupt tablet meta {path}: {reason}")]
    CorruptMeta {
        /// File path.
        path: String,
        /// Why.
        reason: String,
    },
}

impl From<BeError> for tonic::Status {
    fn from(err: BeError) -> Self {
        match err {
            BeError::SchemaHashMismatch { .. } => tonic::Status::already_exists(err.to_string()),
            BeError::ClusterMismatch { .. } => tonic::Status::permission_denied(err.to_string()),
            BeError::TabletNotFound(_) => tonic::Status::not_found(err.to_string()),
            BeError::Config(_) => tonic::Status::invalid_argument(err.to_string()),
            BeError::BadData { .. } => tonic::Status::invalid_argument(err.to_string()),
            BeError::VersionMissing { .. } => tonic::Status::failed_precondition(err.to_string()),
            BeError::InvalidFileName { .. } => tonic::Status::invalid_argument(err.to_string()),
            BeError::BadStaging { .. } => tonic::Status::failed_precondition(err.to_string()),
            BeError::Concurrent { .. } => tonic::Status::aborted(err.to_string()),
            BeError::Repository(ref e) if e.is_bad_file() => tonic::Status::data_loss(err.to_string()),
            BeError::Repository(repository::RepoError::NotFound(_)) => {
                tonic::Status::not_found(err.to_string())
            }
            BeError::TabletFile { ref source, .. } if source.is_bad_file() => {
                tonic::Status::data_loss(err.to_string())
            }
            BeError::TabletFile {
                source: repository::RepoError::NotFound(_),
                ..
            } => tonic::Status::not_found(err.to_string()),
            _ => tonic::Status::internal(err.to_string()),
        }
    }
}
