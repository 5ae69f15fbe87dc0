//! Tablet snapshots for BACKUP: hard links of the immutable rowset files a
//! tablet holds at a version, plus its meta trimmed to that version.
//!
//! ```text
//! <root>/snapshot/<job_id>/<tablet_id>/meta.json
//! <root>/snapshot/<job_id>/<tablet_id>/v<version>_<txn>_<part>.parquet   (hard links)
//! <root>/snapshot/restore/...            RESTORE staging, see [`crate::restore`]
//! ```
//!
//! Rowset files never change once published, so a link is a consistent copy;
//! rows published after the snapshot's version are not in it.

use std::path::{Path, PathBuf};

use crate::storage::{TabletStore, encode_meta};
use crate::{BeError, batch};

/// The name of the tablet meta inside a snapshot.
pub const SNAPSHOT_META: &str = "meta.json";

impl TabletStore {
    /// Directory holding every snapshot of this BE.
    pub fn snapshot_root(&self) -> PathBuf {
        self.root().join("snapshot")
    }

    /// Makes (or re-makes) the snapshot of `tablet_id` at `version` for `job_id`.
    /// Returns its directory and file names.
    pub fn make_snapshot(
        &self,
        job_id: u64,
        tablet_id: u64,
        version: u64,
    ) -> Result<(PathBuf, Vec<String>), BeError> {
        Ok(self.make_snapshots(job_id, &[(tablet_id, version)])?.remove(0))
    }

    /// Makes the snapshots of many `(tablet, version)`s for `job_id`, spread
    /// over a few threads and made durable by one file-system sync
    /// ([`crate::batch`]) before they are returned, in the order asked.
    pub fn make_snapshots(
        &self,
        job_id: u64,
        tablets: &[(u64, u64)],
    ) -> Result<Vec<(PathBuf, Vec<String>)>, BeError> {
        let made = batch::map(tablets, |&(tablet_id, version)| {
            self.link_snapshot(job_id, tablet_id, version)
        })?;
        if !made.is_empty() {
            batch::sync_filesystem(self.root())?;
        }
        Ok(made)
    }

    /// One snapshot, written but not yet synced.
    fn link_snapshot(
        &self,
        job_id: u64,
        tablet_id: u64,
        version: u64,
    ) -> Result<(PathBuf, Vec<String>), BeError> {
        let _guard = self.meta_lock(tablet_id).lock();
        let meta = self.meta(tablet_id)?.ok_or(BeError::TabletNotFound(tablet_id))?;
        if meta.version < version {
            return Err(BeError::VersionMissing {
                tablet_id,
                have: meta.version,
                want: version,
            });
        }
        let source = self.schema_dir(tablet_id)?;
        let dir = self
            .snapshot_root()
            .join(job_id.to_string())
            .join(tablet_id.to_string());
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let mut snapshot = meta.clone();
        snapshot.rowsets.retain(|r| r.version <= version);
        snapshot.version = version;
        let mut files = Vec::new();
        for rowset in &snapshot.rowsets {
            for file in &rowset.files {
                std::fs::hard_link(source.join(file), dir.join(file))?;
                files.push(file.clone());
            }
        }
        // A fresh directory nobody reads before the batch's sync: no rename needed.
        std::fs::write(dir.join(SNAPSHOT_META), encode_meta(&dir, &snapshot)?)?;
        files.push(SNAPSHOT_META.to_string());
        Ok((dir, files))
    }

    /// Resolves a snapshot path sent by the FE. Only the shape [`Self::make_snapshot`]
    /// returns, `<snapshot root>/<job id>/<tablet id>`, is accepted: nothing outside
    /// the snapshot root, not the root itself, and not RESTORE's staging (`restore/`).
    pub fn snapshot_dir(&self, path: &str) -> Result<PathBuf, BeError> {
        let root = self.snapshot_root();
        let path = Path::new(path);
        let is_id = |c: &std::path::Component<'_>| match c {
            std::path::Component::Normal(s) => s.to_str().is_some_and(|s| s.parse::<u64>().is_ok()),
            _ => false,
        };
        let inside = path.strip_prefix(&root).is_ok_and(|rel| {
            let parts: Vec<_> = rel.components().collect();
            parts.len() == 2 && parts.iter().all(is_id)
        });
        if !inside {
            return Err(BeError::BadData {
                tablet_id: 0,
                reason: format!("not a snapshot path: {}", path.display()),
            });
        }
        Ok(path.to_path_buf())
    }

    /// Removes snapshot directories (and job directories left empty). Idempotent.
    pub fn release_snapshots(&self, paths: &[String]) -> Result<(), BeError> {
        for path in paths {
            let dir = self.snapshot_dir(path)?;
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
            if let Some(job_dir) = dir.parent()
                && job_dir != self.snapshot_root()
            {
                // Fails harmlessly while other tablets of the job remain.
                let _ = std::fs::remove_dir(job_dir);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{RowsetMeta, TABLET_META_VERSION, TabletMeta};

    fn store_with_two_versions() -> (tempfile::TempDir, TabletStore) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = TabletStore::open(dir.path().to_path_buf()).expect("open");
        let mut meta = TabletMeta {
            format_version: TABLET_META_VERSION,
            tablet_id: 7,
            schema_hash: 1,
            table_id: 1,
            partition_id: 2,
            index_id: 3,
            version: 1,
            schema_json: "{}".into(),
            rowsets: vec![],
        };
        store.create(&meta).expect("create");
        let schema_dir = store.schema_dir(7).expect("dir");
        for (version, name) in [(2u64, "v2_10_0.parquet"), (3, "v3_11_0.parquet")] {
            std::fs::write(schema_dir.join(name), name.as_bytes()).expect("write");
            meta.rowsets.push(RowsetMeta {
                version,
                txn_id: 10,
                files: vec![name.into()],
                rows: 1,
                bytes: name.len() as u64,
            });
            meta.version = version;
        }
        store.save_meta_at(&schema_dir, &meta).expect("save");
        (dir, store)
    }

    #[test]
    fn snapshot_holds_exactly_the_rowsets_up_to_its_version() {
        let (_dir, store) = store_with_two_versions();
        let (path, files) = store.make_snapshot(99, 7, 2).expect("snapshot");
        assert_eq!(files, vec!["v2_10_0.parquet", "meta.json"]);
        assert!(!path.join("v3_11_0.parquet").exists());
        let meta: TabletMeta =
            serde_json::from_slice(&std::fs::read(path.join("meta.json")).expect("read")).expect("json");
        assert_eq!((meta.version, meta.rowsets.len()), (2, 1));
        // Re-making is allowed and gives the same result.
        assert_eq!(store.make_snapshot(99, 7, 2).expect("again").1, files);
        let err = store.make_snapshot(99, 7, 4).expect_err("too new");
        assert!(
            matches!(err, BeError::VersionMissing { have: 3, want: 4, .. }),
            "{err}"
        );
        store
            .release_snapshots(&[path.display().to_string()])
            .expect("release");
        assert!(!path.exists());
        assert!(store.release_snapshots(&["/etc".into()]).is_err());
    }

    #[test]
    fn release_cannot_reach_outside_one_snapshot() {
        let (_dir, store) = store_with_two_versions();
        let staging = store.staging_dir(5, 7);
        std::fs::create_dir_all(&staging).expect("mkdir");
        let root = store.snapshot_root();
        for odd in [
            root.clone(),
            root.join("99"),
            root.join("restore"),
            root.join("restore").join("5"),
            root.join("99").join("7").join(".."),
            root.join("99").join("..").join("restore"),
            store.root().join("data").join("7"),
        ] {
            let odd = odd.display().to_string();
            assert!(
                store.release_snapshots(std::slice::from_ref(&odd)).is_err(),
                "{odd}"
            );
        }
        assert!(staging.exists());
        assert!(store.schema_dir(7).is_ok());
    }
}
