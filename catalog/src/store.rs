//! RocksDB wrapper: open with column families, atomic synced batches, scans.

use std::path::Path;

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
pub(crate) struct Store {
    db: DB,
}

impl Store {
    /// Opens (creating if needed) the store and all its column families.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        // The catalog is small; keep RocksDB's memory and file counts modest.
        opts.set_max_open_files(256);
        opts.set_keep_log_file_num(4);
        let cfs = ALL_CFS
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        Ok(Self { db })
    }

    fn cf(&self, name: &str) -> Result<&rocksdb::ColumnFamily, CatalogError> {
        self.db.cf_handle(name).ok_or_else(|| CatalogError::Corrupt {
            key: name.to_string(),
            reason: "column family missing".to_string(),
        })
    }

    /// Reads one value.
    pub fn get(&self, cf: &str, key: &[u8]) -> Result<Option<Vec<u8>>, CatalogError> {
        Ok(self.db.get_cf(self.cf(cf)?, key)?)
    }

    /// Every key/value pair of a column family, in key order.
    pub fn scan(&self, cf: &str) -> Result<KeyValues, CatalogError> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(cf)?, IteratorMode::Start) {
            let (k, v) = item?;
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// Writes all changes atomically and syncs the WAL before returning.
    pub fn write(&self, writes: Vec<Write>) -> Result<(), CatalogError> {
        let mut batch = WriteBatch::default();
        for write in writes {
            match write {
                Write::Put { cf, key, value } => batch.put_cf(self.cf(cf)?, key, value),
                Write::Delete { cf, key } => batch.delete_cf(self.cf(cf)?, key),
            }
        }
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        self.db.write_opt(batch, &opts)?;
        Ok(())
    }
}
