//! RocksDB wrapper: open with column families, atomic synced batches, scans.

use std::path::{Path, PathBuf};

use parking_lot::RwLock;
use rocksdb::{ColumnFamilyDescriptor, DB, IteratorMode, Options, WriteBatch, WriteOptions};

use crate::error::CatalogError;
use crate::keys::ALL_CFS;

/// Key/value pairs read by a scan.
pub(crate) type KeyValues = Vec<(Vec<u8>, Vec<u8>)>;

/// One pending write of a batch.
pub(crate) enum Write {
    Put {
        cf: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        cf: &'static str,
        key: Vec<u8>,
    },
}

/// The durable copy of the catalog.
///
/// A failed write (a full disk) leaves RocksDB in a background-error state
/// in which it refuses every later write, and the C API this crate uses
/// cannot resume it. So a failed write closes the database, and the next
/// write opens it again: RocksDB recovers its WAL on open, and the write
/// that failed was never applied to the in-memory catalog. Once space is
/// back the FE writes again without a restart.
pub(crate) struct Store {
    path: PathBuf,
    db: RwLock<Option<DB>>,
}

fn open_db(path: &Path) -> Result<DB, CatalogError> {
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    // The catalog is small; keep RocksDB's memory and file counts modest.
    opts.set_max_open_files(256);
    opts.set_keep_log_file_num(4);
    let cfs = ALL_CFS
        .iter()
        .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
    Ok(DB::open_cf_descriptors(&opts, path, cfs)?)
}

fn cf<'a>(db: &'a DB, name: &str) -> Result<&'a rocksdb::ColumnFamily, CatalogError> {
    db.cf_handle(name).ok_or_else(|| CatalogError::Corrupt {
        key: name.to_string(),
        reason: "column family missing".to_string(),
    })
}

impl Store {
    /// Opens (creating if needed) the store and all its column families.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        Ok(Self {
            path: path.to_path_buf(),
            db: RwLock::new(Some(open_db(path)?)),
        })
    }

    fn closed() -> CatalogError {
        CatalogError::Storage(
            "the catalog store is closed after a failed write; it reopens on the next write".into(),
        )
    }

    /// Reads one value.
    pub fn get(&self, cf_name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, CatalogError> {
        let guard = self.db.read();
        let db = guard.as_ref().ok_or_else(Self::closed)?;
        Ok(db.get_cf(cf(db, cf_name)?, key)?)
    }

    /// Every key/value pair of a column family, in key order.
    pub fn scan(&self, cf_name: &str) -> Result<KeyValues, CatalogError> {
        let guard = self.db.read();
        let db = guard.as_ref().ok_or_else(Self::closed)?;
        let mut out = Vec::new();
        for item in db.iterator_cf(cf(db, cf_name)?, IteratorMode::Start) {
            let (k, v) = item?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// Writes all changes atomically and syncs the WAL before returning.
    pub fn write(&self, writes: Vec<Write>) -> Result<(), CatalogError> {
        let mut guard = self.db.write();
        if guard.is_none() {
            *guard = Some(open_db(&self.path)?);
            tracing::info!(path = %self.path.display(), "catalog store reopened");
        }
        let db = guard.as_ref().ok_or_else(Self::closed)?;
        let mut batch = WriteBatch::default();
        for write in writes {
            match write {
                Write::Put { cf: name, key, value } => batch.put_cf(cf(db, name)?, key, value),
                Write::Delete { cf: name, key } => batch.delete_cf(cf(db, name)?, key),
            }
        }
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        if let Err(e) = db.write_opt(batch, &opts) {
            tracing::error!(path = %self.path.display(), error = %e, "catalog write failed; the store reopens on the next write");
            *guard = None;
            return Err(e.into());
        }
        Ok(())
    }
}
