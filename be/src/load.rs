//! Load transactions on a tablet: write parts, publish a version, abort.
//!
//! A part is written as `txn_<txn>_<part>.parquet` and is invisible. Publish
//! renames a transaction's parts to `v<version>_<txn>_<part>.parquet` and records
//! them as the rowset of that version in `meta.json`, replacing any rowset at
//! that version or later (such rowsets were published by an FE that crashed
//! before making them visible, so no reader ever saw them).

use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;

use crate::error::BeError;
use crate::rowset;
use crate::storage::{RowsetMeta, TabletStore};

fn part_prefix(txn_id: u64) -> String {
    format!("txn_{txn_id}_")
}

impl TabletStore {
    /// Stores one part of a transaction's rows (Arrow IPC stream bytes).
    pub fn write_part(
        &self,
        tablet_id: u64,
        txn_id: u64,
        part: u32,
        ipc: &[u8],
    ) -> Result<(u64, u64), BeError> {
        let dir = self.schema_dir(tablet_id)?;
        let bad = |e: arrow::error::ArrowError| BeError::BadData {
            tablet_id,
            reason: e.to_string(),
        };
        let reader = StreamReader::try_new(ipc, None).map_err(bad)?;
        let schema = reader.schema();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().map_err(bad)?;
        rowset::write(
            &dir.join(format!("{}{part}.parquet", part_prefix(txn_id))),
            schema,
            &batches,
        )
    }

    /// Publishes a transaction's parts as the rowset of `version`. Returns the
    /// tablet's total (rows, bytes) visible at that version.
    pub fn publish(&self, tablet_id: u64, txn_id: u64, version: u64) -> Result<(u64, u64), BeError> {
        let _guard = self.meta_lock(tablet_id).lock();
        let dir = self.schema_dir(tablet_id)?;
        let mut meta = self.meta(tablet_id)?.ok_or(BeError::TabletNotFound(tablet_id))?;
        let already = meta
            .rowsets
            .iter()
            .any(|r| r.version == version && r.txn_id == txn_id);
        if !already {
            let prefix = part_prefix(txn_id);
            let mut parts: Vec<String> = std::fs::read_dir(&dir)?
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
                .filter(|n| n.starts_with(&prefix) && n.ends_with(".parquet"))
                .collect();
            parts.sort();
            // Rowsets at or past this version were never visible: replace them.
            let stale: Vec<RowsetMeta> = meta
                .rowsets
                .iter()
                .filter(|r| r.version >= version)
                .cloned()
                .collect();
            meta.rowsets.retain(|r| r.version < version);
            let mut files = Vec::with_capacity(parts.len());
            let (mut rows, mut bytes) = (0, 0);
            for part in parts {
                let name = format!("v{version}_{}", &part["txn_".len()..]);
                std::fs::rename(dir.join(&part), dir.join(&name))?;
                let file_bytes = std::fs::metadata(dir.join(&name))?.len();
                rows += parquet_rows(&dir.join(&name))?;
                bytes += file_bytes;
                files.push(name);
            }
            meta.rowsets.push(RowsetMeta {
                version,
                txn_id,
                files,
                rows,
                bytes,
            });
            meta.version = version;
            meta.format_version = crate::storage::TABLET_META_VERSION;
            self.save_meta_at(&dir, &meta)?;
            for r in stale {
                for f in r.files {
                    let _ = std::fs::remove_file(dir.join(f));
                }
            }
        }
        let rows = meta
            .rowsets
            .iter()
            .filter(|r| r.version <= version)
            .map(|r| r.rows)
            .sum();
        let bytes = meta
            .rowsets
            .iter()
            .filter(|r| r.version <= version)
            .map(|r| r.bytes)
            .sum();
        Ok((rows, bytes))
    }

    /// Removes a transaction's unpublished parts.
    pub fn abort(&self, tablet_id: u64, txn_id: u64) -> Result<(), BeError> {
        let Ok(dir) = self.schema_dir(tablet_id) else {
            return Ok(());
        };
        let prefix = part_prefix(txn_id);
        for entry in std::fs::read_dir(&dir)? {
            let name = entry?.file_name().to_string_lossy().to_string();
            if name.starts_with(&prefix) {
                let _ = std::fs::remove_file(dir.join(name));
            }
        }
        Ok(())
    }
}

fn parquet_rows(path: &std::path::Path) -> Result<u64, BeError> {
    let file = std::fs::File::open(path)?;
    let reader =
        parquet::file::reader::SerializedFileReader::new(file).map_err(|e| BeError::CorruptMeta {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    use parquet::file::reader::FileReader;
    Ok(reader.metadata().file_metadata().num_rows().max(0) as u64)
}
