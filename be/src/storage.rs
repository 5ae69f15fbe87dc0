//! Tablet replicas on local disk.
//!
//! Layout under the storage root:
//!
//! ```text
//! <root>/cluster_id                      bound on the first heartbeat
//! <root>/data/<tablet_id>/<schema_hash>/meta.json
//! <root>/data/<tablet_id>/<schema_hash>/txn_<txn>_<part>.parquet   written, not yet published
//! <root>/data/<tablet_id>/<schema_hash>/v<version>_<txn>_<part>.parquet   published rowset files
//! <root>/trash/                          dropped tablets before removal
//! <root>/snapshot/                       BACKUP snapshots and RESTORE staging (see snapshot, restore)
//! ```
//!
//! `meta.json` is versioned (`format_version`) like every persisted format;
//! version 1 (no rowsets) is still read (`be/tests/compat`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::batch;
use crate::cache::ColumnCache;
use crate::error::BeError;

/// Current tablet meta format. 2 added `rowsets`.
pub const TABLET_META_VERSION: u32 = 2;

/// One published load of a tablet: the files holding its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowsetMeta {
    /// The version this rowset made visible.
    pub version: u64,
    /// The load transaction that wrote it.
    pub txn_id: u64,
    /// Parquet files, relative to the tablet's schema directory.
    pub files: Vec<String>,
    /// Rows in the files.
    pub rows: u64,
    /// Bytes of the files.
    pub bytes: u64,
}

/// A replica's meta, in its schema directory.
pub const META_FILE: &str = "meta.json";

/// A replica's next meta, written unsynced by batch tasks and renamed over
/// [`META_FILE`] once a file-system sync made it durable.
pub const NEXT_META: &str = "meta.next";

/// Stripes of the per-tablet meta lock.
const META_LOCK_STRIPES: u64 = 64;

/// What a BE records about one tablet replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TabletMeta {
    /// Format of this record.
    pub format_version: u32,
    /// Tablet id.
    pub tablet_id: u64,
    /// Schema hash.
    pub schema_hash: u32,
    /// Owning table.
    pub table_id: u64,
    /// Owning partition.
    pub partition_id: u64,
    /// Owning index.
    pub index_id: u64,
    /// Newest version present.
    pub version: u64,
    /// Table schema as sent by the FE.
    pub schema_json: String,
    /// Published rowsets in version order (absent in format 1).
    #[serde(default)]
    pub rowsets: Vec<RowsetMeta>,
}

/// The tablets of one storage root.
pub struct TabletStore {
    root: PathBuf,
    /// Serialise meta updates of one tablet (publish, create, drop, move) so
    /// each is a clean read-modify-write of its `meta.json`; striped by tablet
    /// id, so updates of different tablets (and their fsyncs) run in parallel.
    meta_locks: Vec<parking_lot::Mutex<()>>,
    /// Decoded columns of rowset files, for scans.
    pub(crate) columns: ColumnCache,
}

impl TabletStore {
    /// Opens (creating) the storage root.
    pub fn open(root: PathBuf) -> Result<Self, BeError> {
        std::fs::create_dir_all(root.join("data"))?;
        std::fs::create_dir_all(root.join("trash"))?;
        Ok(Self {
            root,
            meta_locks: (0..META_LOCK_STRIPES)
                .map(|_| parking_lot::Mutex::new(()))
                .collect(),
            columns: ColumnCache::new(0),
        })
    }

    /// This store with scans keeping up to `bytes` of decoded columns in
    /// memory (0: none).
    pub fn with_column_cache(mut self, bytes: usize) -> Self {
        self.columns = ColumnCache::new(bytes);
        self
    }

    /// The storage root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn tablet_dir(&self, tablet_id: u64) -> PathBuf {
        self.root.join("data").join(tablet_id.to_string())
    }

    /// Binds this BE to a cluster on first contact; refuses any other cluster later.
    pub fn bind_cluster(&self, cluster_id: u64) -> Result<(), BeError> {
        let path = self.root.join("cluster_id");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let owned: u64 = text.trim().parse().map_err(|_| BeError::CorruptMeta {
                    path: path.display().to_string(),
                    reason: "cluster id is not a number".into(),
                })?;
                if owned != cluster_id {
                    return Err(BeError::ClusterMismatch {
                        owned,
                        requested: cluster_id,
                    });
                }
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                write_atomic(&path, cluster_id.to_string().as_bytes())?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Creates an empty replica. Re-creating with the same schema hash is a no-op,
    /// so the FE may retry safely.
    pub fn create(&self, meta: &TabletMeta) -> Result<(), BeError> {
        self.create_many(std::slice::from_ref(meta))
    }

    /// Creates empty replicas, idempotently like [`Self::create`], with two
    /// file-system syncs for the whole batch ([`crate::batch`]): every new
    /// meta is written as [`NEXT_META`], synced, renamed to [`META_FILE`] and
    /// synced again, so a crash leaves each tablet absent or complete.
    pub fn create_many(&self, metas: &[TabletMeta]) -> Result<(), BeError> {
        let staged = batch::map(metas, |meta| self.stage_new(meta))?;
        let staged: Vec<(u64, PathBuf)> = staged.into_iter().flatten().collect();
        if staged.is_empty() {
            return Ok(());
        }
        batch::sync_filesystem(&self.root)?;
        batch::map(&staged, |(tablet_id, dir)| {
            let _guard = self.meta_lock(*tablet_id).lock();
            publish_next_meta(dir)
        })?;
        batch::sync_filesystem(&self.root)
    }

    /// Writes the meta of a replica that does not exist yet as [`NEXT_META`];
    /// `None` when the replica exists already.
    fn stage_new(&self, meta: &TabletMeta) -> Result<Option<(u64, PathBuf)>, BeError> {
        let _guard = self.meta_lock(meta.tablet_id).lock();
        if let Some(existing) = self.meta(meta.tablet_id)? {
            if existing.schema_hash != meta.schema_hash {
                return Err(BeError::SchemaHashMismatch {
                    tablet_id: meta.tablet_id,
                    existing: existing.schema_hash,
                    requested: meta.schema_hash,
                });
            }
            return Ok(None);
        }
        let dir = self.tablet_dir(meta.tablet_id).join(meta.schema_hash.to_string());
        std::fs::create_dir_all(&dir)?;
        stage_next_meta(&dir, meta)?;
        Ok(Some((meta.tablet_id, dir)))
    }

    /// The lock that serialises meta updates of `tablet_id`.
    pub(crate) fn meta_lock(&self, tablet_id: u64) -> &parking_lot::Mutex<()> {
        &self.meta_locks[(tablet_id % META_LOCK_STRIPES) as usize]
    }

    /// Writes a tablet's meta into its schema directory (caller holds the lock).
    pub(crate) fn save_meta_at(&self, dir: &Path, meta: &TabletMeta) -> Result<(), BeError> {
        write_atomic(&dir.join(META_FILE), &encode_meta(dir, meta)?)
    }

    /// The directory holding a tablet's meta and files.
    pub fn schema_dir(&self, tablet_id: u64) -> Result<PathBuf, BeError> {
        first_subdir(&self.tablet_dir(tablet_id))?.ok_or(BeError::TabletNotFound(tablet_id))
    }

    /// Reads a replica's meta, if the tablet exists.
    pub fn meta(&self, tablet_id: u64) -> Result<Option<TabletMeta>, BeError> {
        let dir = self.tablet_dir(tablet_id);
        let Some(schema_dir) = first_subdir(&dir)? else {
            return Ok(None);
        };
        read_meta_file(&schema_dir.join(META_FILE))
    }

    /// Removes a replica: renamed into `trash/` first (atomic), then deleted,
    /// or with `keep` left there until [`TabletStore::gc_trash`] expires it.
    pub fn drop_tablet_keeping(&self, tablet_id: u64, keep: bool) -> Result<bool, BeError> {
        let _guard = self.meta_lock(tablet_id).lock();
        let dir = self.tablet_dir(tablet_id);
        if !dir.exists() {
            return Ok(false);
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let trash = self.root.join("trash").join(format!("{tablet_id}.{now_ms}"));
        std::fs::rename(&dir, &trash)?;
        if !keep {
            std::fs::remove_dir_all(&trash)?;
        }
        Ok(true)
    }

    /// Removes a replica at once.
    pub fn drop_tablet(&self, tablet_id: u64) -> Result<bool, BeError> {
        self.drop_tablet_keeping(tablet_id, false)
    }

    /// Deletes the replicas kept in `trash/` longer than `expire` before
    /// `now` (their names carry when they were moved there). Returns how many.
    pub fn gc_trash(
        &self,
        expire: std::time::Duration,
        now: std::time::SystemTime,
    ) -> Result<usize, BeError> {
        let now_ms = now
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let mut removed = 0;
        for entry in std::fs::read_dir(self.root.join("trash"))? {
            let Some(entry) = gone_is_none(entry)? else {
                continue;
            };
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(at) = name.rsplit_once('.').and_then(|(_, ms)| ms.parse::<u128>().ok()) else {
                continue;
            };
            if now_ms.saturating_sub(at) > expire.as_millis() {
                match std::fs::remove_dir_all(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(removed)
    }

    /// Every replica held, with how long ago its directory was made or last
    /// changed at its top level.
    pub fn list_tablets(&self) -> Result<Vec<(u64, std::time::Duration)>, BeError> {
        let now = std::time::SystemTime::now();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.root.join("data"))? {
            let Some(entry) = gone_is_none(entry)? else {
                continue;
            };
            let Ok(tablet_id) = entry.file_name().to_string_lossy().parse::<u64>() else {
                continue;
            };
            let Some(meta) = gone_is_none(entry.metadata())? else {
                continue;
            };
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            out.push((tablet_id, age));
        }
        Ok(out)
    }

    /// Number of tablet replicas and bytes of their files. Loads, restores
    /// and drops rename and remove files while this walks: what vanishes
    /// under it is skipped, not an error.
    pub fn usage(&self) -> Result<(u64, u64), BeError> {
        let mut tablets = 0;
        let mut bytes = 0;
        for entry in std::fs::read_dir(self.root.join("data"))? {
            let Some(entry) = gone_is_none(entry)? else {
                continue;
            };
            let Some(kind) = gone_is_none(entry.file_type())? else {
                continue;
            };
            if kind.is_dir() {
                tablets += 1;
                bytes += dir_size(&entry.path())?;
            }
        }
        Ok((tablets, bytes))
    }
}

/// The serialized form of `meta`, which lives in `dir`.
pub(crate) fn encode_meta(dir: &Path, meta: &TabletMeta) -> Result<Vec<u8>, BeError> {
    serde_json::to_vec_pretty(meta).map_err(|e| BeError::CorruptMeta {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })
}

/// Writes `meta` unsynced as the [`NEXT_META`] of the replica in `dir`; a
/// file-system sync must follow before [`publish_next_meta`].
pub(crate) fn stage_next_meta(dir: &Path, meta: &TabletMeta) -> Result<(), BeError> {
    Ok(std::fs::write(dir.join(NEXT_META), encode_meta(dir, meta)?)?)
}

/// Renames the [`NEXT_META`] staged in `dir` over [`META_FILE`] (caller holds
/// the tablet's meta lock). A retry that finds it already renamed succeeds.
pub(crate) fn publish_next_meta(dir: &Path) -> Result<(), BeError> {
    match std::fs::rename(dir.join(NEXT_META), dir.join(META_FILE)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && dir.join(META_FILE).is_file() => Ok(()),
        other => Ok(other?),
    }
}

/// Reads a tablet meta file (a replica's, or one inside a snapshot); `None` when absent.
pub(crate) fn read_meta_file(path: &Path) -> Result<Option<TabletMeta>, BeError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let meta: TabletMeta = serde_json::from_slice(&bytes).map_err(|e| BeError::CorruptMeta {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    if meta.format_version > TABLET_META_VERSION {
        return Err(BeError::CorruptMeta {
            path: path.display().to_string(),
            reason: format!("unknown format version {}", meta.format_version),
        });
    }
    Ok(Some(meta))
}

fn first_subdir(dir: &Path) -> Result<Option<PathBuf>, BeError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            return Ok(Some(entry.path()));
        }
    }
    Ok(None)
}

/// `Ok(None)` for a file or directory that no longer exists.
fn gone_is_none<T>(result: std::io::Result<T>) -> std::io::Result<Option<T>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Bytes of the files under `dir`; entries removed meanwhile count as 0.
fn dir_size(dir: &Path) -> Result<u64, BeError> {
    let mut total = 0;
    let Some(entries) = gone_is_none(std::fs::read_dir(dir))? else {
        return Ok(0);
    };
    for entry in entries {
        let Some(entry) = gone_is_none(entry)? else {
            continue;
        };
        let Some(meta) = gone_is_none(entry.metadata())? else {
            continue;
        };
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// Writes a file so that readers see the old or the new content, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BeError> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn meta(id: u64, hash: u32) -> TabletMeta {
        TabletMeta {
            format_version: TABLET_META_VERSION,
            tablet_id: id,
            schema_hash: hash,
            table_id: 1,
            partition_id: 2,
            index_id: 3,
            version: 1,
            schema_json: "{}".into(),
            rowsets: Vec::new(),
        }
    }

    #[test]
    fn create_is_idempotent_and_drop_removes() {
        let dir = tempfile::tempdir().unwrap();
        let store = TabletStore::open(dir.path().to_path_buf()).unwrap();
        store.create(&meta(7, 11)).unwrap();
        store.create(&meta(7, 11)).unwrap();
        assert!(store.create(&meta(7, 12)).is_err());
        assert_eq!(store.meta(7).unwrap().unwrap().schema_hash, 11);
        assert_eq!(store.usage().unwrap().0, 1);
        assert!(store.drop_tablet(7).unwrap());
        assert!(!store.drop_tablet(7).unwrap());
        assert!(store.meta(7).unwrap().is_none());
        assert_eq!(std::fs::read_dir(dir.path().join("trash")).unwrap().count(), 0);
    }

    #[test]
    fn kept_replicas_wait_in_trash_until_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let store = TabletStore::open(dir.path().to_path_buf()).unwrap();
        store.create(&meta(7, 11)).unwrap();
        store.create(&meta(8, 11)).unwrap();
        let listed: Vec<u64> = store.list_tablets().unwrap().iter().map(|t| t.0).collect();
        assert_eq!(listed.len(), 2);
        assert!(store.drop_tablet_keeping(7, true).unwrap());
        assert_eq!(store.list_tablets().unwrap().len(), 1);
        let hour = std::time::Duration::from_secs(3600);
        let now = std::time::SystemTime::now();
        assert_eq!(store.gc_trash(hour, now).unwrap(), 0, "kept for now");
        assert_eq!(store.gc_trash(hour, now + 2 * hour).unwrap(), 1, "expired later");
        assert_eq!(std::fs::read_dir(dir.path().join("trash")).unwrap().count(), 0);
    }

    #[test]
    fn create_many_creates_the_missing_replicas_of_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = TabletStore::open(dir.path().to_path_buf()).unwrap();
        store.create(&meta(7, 11)).unwrap();
        let batch: Vec<TabletMeta> = (7..57).map(|id| meta(id, 11)).collect();
        store.create_many(&batch).unwrap();
        assert_eq!(store.usage().unwrap().0, 50);
        for id in 7..57 {
            let dir = store.schema_dir(id).unwrap();
            assert_eq!(
                std::fs::read_dir(&dir).unwrap().count(),
                1,
                "only meta.json in {dir:?}"
            );
            assert_eq!(store.meta(id).unwrap().unwrap(), meta(id, 11));
        }
        let clash = [meta(60, 11), meta(8, 12)];
        assert!(matches!(
            store.create_many(&clash),
            Err(BeError::SchemaHashMismatch { tablet_id: 8, .. })
        ));
    }

    #[test]
    fn usage_never_fails_while_files_come_and_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = TabletStore::open(dir.path().to_path_buf()).unwrap();
        for id in 1..20 {
            store.create(&meta(id, 1)).unwrap();
        }
        let data = dir.path().join("data");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let churn = {
            let (data, stop) = (data.clone(), std::sync::Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // What loads, restores and drops do: files and whole
                    // tablet directories appear, are renamed and vanish.
                    let t = data.join(format!("{}", 1000 + i % 7));
                    let _ = std::fs::create_dir_all(t.join("nested"));
                    let _ = std::fs::write(t.join("nested/part.tmp"), b"rows");
                    let _ = std::fs::rename(t.join("nested/part.tmp"), t.join("nested/part.parquet"));
                    let _ = std::fs::remove_dir_all(&t);
                    i += 1;
                }
            })
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        let mut walks = 0;
        while std::time::Instant::now() < deadline {
            let (tablets, _) = store.usage().expect("a racing walk never fails");
            assert!(tablets >= 19);
            walks += 1;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        churn.join().unwrap();
        assert!(walks > 10, "{walks}");
        assert_eq!(dir_size(&data.join("no-such-tablet")).unwrap(), 0);
    }

    #[test]
    fn cluster_binding_refuses_a_second_cluster() {
        let dir = tempfile::tempdir().unwrap();
        let store = TabletStore::open(dir.path().to_path_buf()).unwrap();
        store.bind_cluster(5).unwrap();
        store.bind_cluster(5).unwrap();
        assert!(matches!(
            store.bind_cluster(6),
            Err(BeError::ClusterMismatch {
                owned: 5,
                requested: 6
            })
        ));
    }
}
