//! Catalog errors.

/// What can go wrong reading or writing the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// RocksDB failed (open, read, or write).
    #[error("catalog storage error: {0}")]
    Storage(String),
    /// A persisted value could not be decoded: the catalog is corrupt or was
    /// written by a newer version.
    #[error("corrupt catalog value under key {key}: {reason}")]
    Corrupt {
        /// The key whose value failed.
        key: String,
        /// Why it failed.
        reason: String,
    },
    /// A persisted value carries a format version this build cannot read.
    #[error("catalog value under key {key} has format version {found}, newest known is {known}")]
    UnsupportedVersion {
        /// The key whose value failed.
        key: String,
        /// Version found on disk.
        found: u32,
        /// Newest version this build reads.
        known: u32,
    },
}

impl From<rocksdb::Error> for CatalogError {
    fn from(e: rocksdb::Error) -> Self {
        CatalogError::Storage(e.to_string())
    }
}
