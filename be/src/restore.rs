//! RESTORE on a BE: the staging area DOWNLOAD fills ([`crate::download`]),
//! MOVE (install a staged snapshot into a tablet replica), RELEASE, and the
//! removal of staging that no FE ever released.
//!
//! ```text
//! <root>/snapshot/restore/<job_id>/<tablet_id>/meta.json    the backed-up source tablet's meta
//! <root>/snapshot/restore/<job_id>/<tablet_id>/v<version>_<txn>_<part>.parquet
//!        │ MOVE: hard links, then one atomic meta.json rename
//!        ▼
//! <root>/data/<tablet_id>/<schema_hash>/r<job_id>_v<version>_<txn>_<part>.parquet
//! ```
//!
//! MOVE replaces every rowset of the target replica: RESTORE overwrites. The
//! installed files carry a job prefix so they never collide with the replica's
//! own files; the replica switches to them with a single `meta.json` rename and
//! only then are the files the new meta no longer names deleted. A crash at any
//! point leaves the old tablet or the new one, never a mix; the garbage it may
//! leave is removed by the next MOVE into that replica.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::BeError;
use crate::batch;
use crate::snapshot::SNAPSHOT_META;
use crate::storage::{
    RowsetMeta, TABLET_META_VERSION, TabletMeta, TabletStore, publish_next_meta, read_meta_file,
    stage_next_meta,
};

/// The directory under the snapshot root that holds every restore job's staging.
pub const RESTORE_DIR: &str = "restore";

/// How often abandoned staging is looked for.
const GC_INTERVAL: Duration = Duration::from_secs(3600);

/// Prefix of unpublished load parts (see [`crate::load`]); MOVE leaves them alone.
const LOAD_PART_PREFIX: &str = "txn_";

impl TabletStore {
    /// Directory holding the staging of every restore job.
    pub fn restore_root(&self) -> PathBuf {
        self.snapshot_root().join(RESTORE_DIR)
    }

    /// Where DOWNLOAD stages the files of `tablet_id` for restore job `job_id`.
    pub fn staging_dir(&self, job_id: u64, tablet_id: u64) -> PathBuf {
        self.restore_root()
            .join(job_id.to_string())
            .join(tablet_id.to_string())
    }

    /// MOVE: makes the snapshot staged for `tablet_id` by job `job_id` the whole
    /// content of that replica, at `version` (which the staged meta must carry).
    /// Idempotent. Returns the replica's (rows, bytes) afterwards.
    pub fn install_staged(&self, job_id: u64, tablet_id: u64, version: u64) -> Result<(u64, u64), BeError> {
        let stats = self.install_staged_many(job_id, &[(tablet_id, version)])?;
        stats.into_iter().next().ok_or(BeError::TabletNotFound(tablet_id))
    }

    /// MOVE of a batch of `(tablet_id, version)`, in three phases with one
    /// file-system sync after each of the first two ([`crate::batch`]): link
    /// every staged file into its replica and write each next meta; switch
    /// every replica to its next meta (one rename each); delete the files the
    /// new metas no longer name. Returns (rows, bytes) per tablet, in order.
    pub fn install_staged_many(
        &self,
        job_id: u64,
        tablets: &[(u64, u64)],
    ) -> Result<Vec<(u64, u64)>, BeError> {
        let prepared = batch::map(tablets, |&(tablet_id, version)| {
            self.prepare_install(job_id, tablet_id, version)
        })?;
        batch::sync_filesystem(self.root())?;
        batch::map(&prepared, |p| {
            let _guard = self.meta_lock(p.tablet_id).lock();
            let current = self
                .meta(p.tablet_id)?
                .ok_or(BeError::TabletNotFound(p.tablet_id))?;
            if current != p.base {
                return Err(BeError::Concurrent {
                    tablet_id: p.tablet_id,
                    task: "a restore",
                });
            }
            publish_next_meta(&p.dir)
        })?;
        batch::sync_filesystem(self.root())?;
        batch::map(&prepared, |p| {
            remove_unreferenced(&p.dir, &p.next)?;
            let rows = p.next.rowsets.iter().map(|r| r.rows).sum();
            let bytes = p.next.rowsets.iter().map(|r| r.bytes).sum();
            Ok((rows, bytes))
        })
    }

    /// The first phase of MOVE for one tablet: links its staged files into
    /// the replica under job-prefixed names and writes the replica's next meta.
    fn prepare_install(&self, job_id: u64, tablet_id: u64, version: u64) -> Result<Install, BeError> {
        let bad = |reason: String| BeError::BadStaging {
            job_id,
            tablet_id,
            reason,
        };
        let dir = self.schema_dir(tablet_id)?;
        let staging = self.staging_dir(job_id, tablet_id);
        let source = read_meta_file(&staging.join(SNAPSHOT_META))?.ok_or_else(|| {
            bad(format!(
                "no staged snapshot in {}; it must be downloaded first",
                staging.display()
            ))
        })?;
        if source.version != version {
            return Err(bad(format!(
                "the staged snapshot is at version {}, the restore expects version {version}",
                source.version
            )));
        }
        let mut rowsets = Vec::with_capacity(source.rowsets.len());
        for rowset in source.rowsets.into_iter().filter(|r| r.version <= version) {
            let mut files = Vec::with_capacity(rowset.files.len());
            for name in &rowset.files {
                if !is_plain_name(name) {
                    return Err(bad(format!("{SNAPSHOT_META} names an invalid file '{name}'")));
                }
                let staged = staging.join(name);
                if !staged.is_file() {
                    return Err(bad(format!(
                        "{name}, named in {SNAPSHOT_META}, was not downloaded"
                    )));
                }
                let installed = format!("r{job_id}_{name}");
                link(&staged, &dir.join(&installed))?;
                files.push(installed);
            }
            rowsets.push(RowsetMeta { files, ..rowset });
        }
        let base = self.meta(tablet_id)?.ok_or(BeError::TabletNotFound(tablet_id))?;
        let next = TabletMeta {
            format_version: TABLET_META_VERSION,
            version,
            rowsets,
            ..base.clone()
        };
        stage_next_meta(&dir, &next)?;
        Ok(Install {
            tablet_id,
            dir,
            base,
            next,
        })
    }

    /// RELEASE: removes the staging of restore job `job_id`. Idempotent.
    pub fn release_restore(&self, job_id: u64) -> Result<(), BeError> {
        remove_dir_if_exists(&self.restore_root().join(job_id.to_string()))
    }

    /// Removes the staging of every restore job whose newest file or directory
    /// is older than `expire` at `now`. Returns the job directories removed.
    pub fn gc_restore_staging(&self, expire: Duration, now: SystemTime) -> Result<Vec<PathBuf>, BeError> {
        let entries = match std::fs::read_dir(self.restore_root()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut removed = Vec::new();
        for entry in entries {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let path = entry.path();
            let expired = newest_mtime(&path)
                .map(|newest| now.duration_since(newest).is_ok_and(|age| age > expire))
                .and_then(|expired| {
                    if expired {
                        std::fs::remove_dir_all(&path)?;
                    }
                    Ok(expired)
                });
            match expired {
                Ok(true) => removed.push(path),
                Ok(false) => {}
                // Released meanwhile, or one bad directory: the others still go.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(dir = %path.display(), error = %e, "restore staging clean-up failed")
                }
            }
        }
        Ok(removed)
    }
}

/// One tablet of a MOVE between its phases.
struct Install {
    tablet_id: u64,
    /// The replica's schema directory.
    dir: PathBuf,
    /// The replica's meta when the files were linked.
    base: TabletMeta,
    /// The meta it switches to.
    next: TabletMeta,
}

/// True when `name` is one path segment naming a file: no `/`, no `..`.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && !name.contains("..") && !name.contains(['/', '\\', '\0'])
}

/// Hard-links `from` as `to`. A `to` left by an earlier attempt is kept when it
/// already is the same file, else atomically replaced.
fn link(from: &Path, to: &Path) -> Result<(), BeError> {
    match std::fs::hard_link(from, to) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    if same_file(from, to)? {
        return Ok(());
    }
    let mut tmp = to.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    remove_file_if_exists(&tmp)?;
    std::fs::hard_link(from, &tmp)?;
    std::fs::rename(&tmp, to)?;
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> Result<bool, BeError> {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (std::fs::symlink_metadata(a)?, std::fs::symlink_metadata(b)?);
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

/// Deletes the rowset files in `dir` that `meta` does not name: the replaced
/// rowsets, and what an interrupted MOVE left behind.
fn remove_unreferenced(dir: &Path, meta: &TabletMeta) -> Result<(), BeError> {
    let live: HashSet<&str> = meta
        .rowsets
        .iter()
        .flat_map(|r| r.files.iter().map(String::as_str))
        .collect();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let rowset_file = name.ends_with(".parquet") || name.ends_with(".parquet.tmp");
        if rowset_file
            && !name.starts_with(LOAD_PART_PREFIX)
            && !live.contains(name)
            && entry.file_type()?.is_file()
        {
            remove_file_if_exists(&entry.path())?;
        }
    }
    Ok(())
}

fn remove_file_if_exists(path: &Path) -> Result<(), BeError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

fn remove_dir_if_exists(path: &Path) -> Result<(), BeError> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The newest modification time of `path` and everything under it.
fn newest_mtime(path: &Path) -> std::io::Result<SystemTime> {
    let meta = std::fs::symlink_metadata(path)?;
    let mut newest = meta.modified()?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            match newest_mtime(&entry?.path()) {
                Ok(t) => newest = newest.max(t),
                // Removed while we looked (a download renaming its `.part`).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(newest)
}

/// Stops the staging clean-up task when dropped.
pub struct StagingGc(tokio::task::JoinHandle<()>);

impl Drop for StagingGc {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts removing, now and then hourly, abandoned restore staging
/// (unchanged for `staging_expire_secs`; 0 keeps it) and replicas kept in
/// trash longer than `trash_expire_secs` (0 keeps them).
pub fn spawn_staging_gc(
    store: Arc<TabletStore>,
    staging_expire_secs: u64,
    trash_expire_secs: u64,
) -> StagingGc {
    let staging = (staging_expire_secs > 0).then(|| Duration::from_secs(staging_expire_secs));
    let trash = (trash_expire_secs > 0).then(|| Duration::from_secs(trash_expire_secs));
    StagingGc(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(GC_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let store = Arc::clone(&store);
            let done = tokio::task::spawn_blocking(move || {
                let now = SystemTime::now();
                let staging = staging.map(|e| store.gc_restore_staging(e, now)).transpose();
                let trash = trash.map(|e| store.gc_trash(e, now)).transpose();
                (staging, trash)
            })
            .await;
            match done {
                Ok((staging, trash)) => {
                    match staging {
                        Ok(removed) => {
                            for dir in removed.unwrap_or_default() {
                                tracing::info!(dir = %dir.display(), "removed expired restore staging");
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "restore staging clean-up failed"),
                    }
                    match trash {
                        Ok(Some(n)) if n > 0 => tracing::info!(replicas = n, "removed expired trash"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "trash clean-up failed"),
                    }
                }
                Err(e) => tracing::warn!(error = %e, "clean-up task failed"),
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: u64 = 42;
    const TABLET: u64 = 7;

    fn tablet_meta(tablet_id: u64, schema_hash: u32, version: u64, rowsets: Vec<RowsetMeta>) -> TabletMeta {
        TabletMeta {
            format_version: TABLET_META_VERSION,
            tablet_id,
            schema_hash,
            table_id: tablet_id + 1,
            partition_id: tablet_id + 2,
            index_id: tablet_id + 3,
            version,
            schema_json: format!("{{\"tablet\":{tablet_id}}}"),
            rowsets,
        }
    }

    fn rowset(version: u64, name: &str, rows: u64) -> RowsetMeta {
        RowsetMeta {
            version,
            txn_id: version * 10,
            files: vec![name.to_string()],
            rows,
            bytes: name.len() as u64,
        }
    }

    /// A store with replica 7 at version 2 (one rowset) and an unpublished load part.
    fn store_with_tablet() -> (tempfile::TempDir, TabletStore) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = TabletStore::open(dir.path().to_path_buf()).expect("open");
        store.create(&tablet_meta(TABLET, 11, 1, vec![])).expect("create");
        let schema_dir = store.schema_dir(TABLET).expect("dir");
        std::fs::write(schema_dir.join("v2_20_0.parquet"), "v2_20_0.parquet").expect("write");
        std::fs::write(schema_dir.join("txn_30_0.parquet"), "in flight").expect("write");
        let meta = tablet_meta(TABLET, 11, 2, vec![rowset(2, "v2_20_0.parquet", 5)]);
        store.save_meta_at(&schema_dir, &meta).expect("save");
        (dir, store)
    }

    /// Stages the backup of source tablet 500 at `version` (rowsets v2 and v3) for tablet 7.
    fn stage(store: &TabletStore, version: u64) {
        let staging = store.staging_dir(JOB, TABLET);
        std::fs::create_dir_all(&staging).expect("mkdir");
        let rowsets = vec![rowset(2, "v2_20_0.parquet", 3), rowset(3, "v3_30_0.parquet", 4)];
        for r in &rowsets {
            std::fs::write(staging.join(&r.files[0]), &r.files[0]).expect("write");
        }
        let source = tablet_meta(500, 99, version, rowsets);
        store.save_meta_at(&staging, &source).expect("save");
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn move_installs_the_staged_snapshot_and_replaces_old_rowsets() {
        let (_dir, store) = store_with_tablet();
        stage(&store, 3);
        assert_eq!(store.install_staged(JOB, TABLET, 3).expect("move"), (7, 30));
        let meta = store.meta(TABLET).expect("meta").expect("exists");
        // The replica keeps its own identity and takes the source's rows and version.
        assert_eq!(
            (
                meta.tablet_id,
                meta.schema_hash,
                meta.table_id,
                meta.schema_json.as_str()
            ),
            (TABLET, 11, TABLET + 1, "{\"tablet\":7}")
        );
        assert_eq!(meta.version, 3);
        let installed: Vec<&str> = meta.rowsets.iter().map(|r| r.files[0].as_str()).collect();
        assert_eq!(installed, ["r42_v2_20_0.parquet", "r42_v3_30_0.parquet"]);
        let schema_dir = store.schema_dir(TABLET).expect("dir");
        // The old rowset is gone; the unpublished load part is not ours to remove.
        assert_eq!(
            files(&schema_dir),
            [
                "meta.json",
                "r42_v2_20_0.parquet",
                "r42_v3_30_0.parquet",
                "txn_30_0.parquet"
            ]
        );
        assert_eq!(
            std::fs::read(schema_dir.join("r42_v3_30_0.parquet")).expect("read"),
            b"v3_30_0.parquet"
        );
    }

    #[test]
    fn a_batch_switches_no_replica_when_one_tablet_is_not_staged() {
        let (_dir, store) = store_with_tablet();
        store.create(&tablet_meta(8, 11, 1, vec![])).expect("create");
        stage(&store, 3);
        let err = store
            .install_staged_many(JOB, &[(TABLET, 3), (8, 3)])
            .expect_err("tablet 8 has nothing staged");
        assert!(matches!(err, BeError::BadStaging { tablet_id: 8, .. }), "{err}");
        let meta = store.meta(TABLET).expect("meta").expect("exists");
        assert_eq!(
            (meta.version, meta.rowsets[0].files[0].as_str()),
            (2, "v2_20_0.parquet")
        );
        assert_eq!(store.meta(8).expect("meta").expect("exists").version, 1);
        // The retry with tablet 8 left out installs tablet 7 over the links the
        // failed attempt made.
        assert_eq!(
            store.install_staged_many(JOB, &[(TABLET, 3)]).expect("move"),
            [(7, 30)]
        );
        assert!(
            !store
                .schema_dir(TABLET)
                .expect("dir")
                .join(crate::storage::NEXT_META)
                .exists()
        );
    }

    #[test]
    fn move_twice_gives_the_same_tablet() {
        let (_dir, store) = store_with_tablet();
        stage(&store, 3);
        let schema_dir = store.schema_dir(TABLET).expect("dir");
        // An earlier attempt linked a different file under an installed name and
        // crashed, leaving a half-made link too.
        std::fs::write(schema_dir.join("r42_v2_20_0.parquet"), "stale").expect("write");
        std::fs::write(schema_dir.join("r42_v3_30_0.parquet.tmp"), "stale").expect("write");
        let first = store.install_staged(JOB, TABLET, 3).expect("move");
        let meta = store.meta(TABLET).expect("meta");
        let listing = files(&schema_dir);
        assert_eq!(
            std::fs::read(schema_dir.join("r42_v2_20_0.parquet")).expect("read"),
            b"v2_20_0.parquet"
        );
        assert!(!listing.iter().any(|f| f.ends_with(".tmp")), "{listing:?}");
        assert_eq!(store.install_staged(JOB, TABLET, 3).expect("again"), first);
        assert_eq!(store.meta(TABLET).expect("meta"), meta);
        assert_eq!(files(&schema_dir), listing);
    }

    #[test]
    fn move_refuses_a_wrong_or_missing_staging() {
        let (_dir, store) = store_with_tablet();
        let before = store.meta(TABLET).expect("meta");
        let err = store.install_staged(JOB, TABLET, 3).expect_err("nothing staged");
        assert!(matches!(err, BeError::BadStaging { .. }), "{err}");
        stage(&store, 3);
        let err = store.install_staged(JOB, TABLET, 4).expect_err("version");
        assert_eq!(
            err.to_string(),
            "restore job 42, tablet 7: the staged snapshot is at version 3, the restore expects version 4"
        );
        assert_eq!(tonic::Status::from(err).code(), tonic::Code::FailedPrecondition);
        std::fs::remove_file(store.staging_dir(JOB, TABLET).join("v3_30_0.parquet")).expect("rm");
        let err = store.install_staged(JOB, TABLET, 3).expect_err("incomplete");
        assert!(err.to_string().contains("v3_30_0.parquet"), "{err}");
        // Nothing changed the replica.
        assert_eq!(store.meta(TABLET).expect("meta"), before);
        let err = store.install_staged(JOB, 8, 3).expect_err("no tablet");
        assert!(matches!(err, BeError::TabletNotFound(8)), "{err}");
    }

    #[test]
    fn move_refuses_file_names_that_leave_the_staging() {
        let (_dir, store) = store_with_tablet();
        let staging = store.staging_dir(JOB, TABLET);
        std::fs::create_dir_all(&staging).expect("mkdir");
        let source = tablet_meta(500, 99, 3, vec![rowset(3, "../../../data/7/11/meta.json", 1)]);
        store.save_meta_at(&staging, &source).expect("save");
        let err = store.install_staged(JOB, TABLET, 3).expect_err("traversal");
        assert!(err.to_string().contains("invalid file"), "{err}");
        for bad in ["", ".", "..", "a/b", "..x", "a\\b"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(is_plain_name("v2_1_0.parquet"));
    }

    #[test]
    fn release_removes_the_job_staging_and_is_idempotent() {
        let (_dir, store) = store_with_tablet();
        stage(&store, 3);
        std::fs::create_dir_all(store.staging_dir(JOB + 1, TABLET)).expect("mkdir");
        store.release_restore(JOB).expect("release");
        assert!(!store.restore_root().join(JOB.to_string()).exists());
        assert!(store.staging_dir(JOB + 1, TABLET).exists());
        store.release_restore(JOB).expect("again");
    }

    #[test]
    fn gc_removes_only_expired_staging() {
        let (_dir, store) = store_with_tablet();
        assert!(
            store
                .gc_restore_staging(Duration::ZERO, SystemTime::now())
                .expect("no staging yet")
                .is_empty()
        );
        stage(&store, 3);
        let day = Duration::from_secs(86_400);
        let kept = store.gc_restore_staging(day, SystemTime::now()).expect("gc");
        assert!(kept.is_empty());
        assert!(store.staging_dir(JOB, TABLET).exists());
        let later = SystemTime::now() + 2 * day;
        let removed = store.gc_restore_staging(day, later).expect("gc");
        assert_eq!(removed, [store.restore_root().join(JOB.to_string())]);
        assert!(!store.restore_root().join(JOB.to_string()).exists());
        // The replica itself is untouched.
        assert_eq!(store.meta(TABLET).expect("meta").expect("exists").version, 2);
    }
}
