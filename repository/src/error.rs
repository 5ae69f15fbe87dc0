//! Repository errors. Their texts are the ones StarRocks shows in job
//! statuses and statement errors (spec §8.2).

/// What can go wrong talking to a repository.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The location string is not one we can open.
    #[error("{0}")]
    InvalidLocation(String),
    /// The storage refused or failed an operation.
    #[error("{0}")]
    Storage(String),
    /// A logical file must exist exactly once (with its checksum suffix).
    #[error("Expected one file with path: {path}. get: {found}")]
    NotOneFile {
        /// The full path without the checksum suffix.
        path: String,
        /// How many objects matched.
        found: usize,
    },
    /// A stored name lacks the 32-character MD5 suffix.
    #[error("file name should contains checksum: {0}")]
    NoChecksum(String),
    /// Content does not hash to the MD5 in its name.
    #[error("md5sum does not equal. local: {local}, remote: {remote}, file: {path}")]
    BadChecksum {
        /// MD5 of the bytes read.
        local: String,
        /// MD5 recorded in the name.
        remote: String,
        /// The full path of the stored file.
        path: String,
    },
    /// The repository's `__repo_info` is unusable.
    #[error("{0}")]
    RepoInfo(String),
    /// A stored document could not be decoded.
    #[error("{0}")]
    BadFormat(String),
    /// A file an operation needs is not in the repository (its full path).
    #[error("file not found in repository: {0}")]
    NotFound(String),
    /// Local disk I/O failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl RepoError {
    /// True when the error is a content check failure (StarRocks' `BAD_FILE`).
    pub fn is_bad_file(&self) -> bool {
        matches!(self, RepoError::BadChecksum { .. } | RepoError::NoChecksum(_))
    }
}

impl From<object_store::Error> for RepoError {
    fn from(e: object_store::Error) -> Self {
        RepoError::Storage(e.to_string())
    }
}
