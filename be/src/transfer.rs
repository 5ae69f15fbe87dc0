//! UPLOAD (and, for RESTORE, [`crate::download`]) between snapshot directories
//! and a repository: tablets move in parallel, bounded by a per-BE worker pool
//! and an optional byte-rate limit shared by every transfer of that kind.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use conf::BeConfig;
use repository::{RateLimiter, Repository};
use rpc::pb;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tonic::Status;

use crate::storage::TabletStore;
use crate::{BeError, batch};

/// The worker pool and rate limit of one kind of transfer (upload, download).
pub(crate) struct Lane {
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) limit: Arc<RateLimiter>,
    workers: parking_lot::Mutex<usize>,
}

impl Lane {
    fn new(workers: usize, rate: u64) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(workers)),
            limit: Arc::new(RateLimiter::new(rate)),
            workers: parking_lot::Mutex::new(workers),
        }
    }

    /// Grows the pool at once, or shrinks it as running tablets finish: the
    /// semaphore is fair, so no tablet starts before the shrink took its permits.
    fn resize(&self, workers: usize) {
        let mut current = self.workers.lock();
        if workers > *current {
            self.slots.add_permits(workers - *current);
        } else if workers < *current {
            let slots = Arc::clone(&self.slots);
            let surplus = u32::try_from(*current - workers).unwrap_or(u32::MAX);
            tokio::spawn(async move {
                if let Ok(permits) = slots.acquire_many_owned(surplus).await {
                    permits.forget();
                }
            });
        }
        *current = workers;
    }
}

/// Worker pools and rate limits of one BE, and the configuration they come
/// from; the keys of [`BeConfig::MUTABLE`] change while transfers run.
pub struct Transfers {
    config: parking_lot::RwLock<BeConfig>,
    pub(crate) upload: Lane,
    pub(crate) download: Lane,
}

/// Workers of a pool configured as `n`, 0 meaning eight per core: each
/// transfer waits on the disk and on the shared MD5 pool far more than it
/// uses a core, and the more files are in flight, the fuller the MD5 lanes
/// ([`repository::hasher`]).
fn workers(n: u32) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    if n == 0 { cores * 8 } else { n as usize }
}

impl Transfers {
    /// Pools and limits as `be.conf` sets them.
    pub fn new(config: &BeConfig) -> Self {
        Self {
            upload: Lane::new(
                workers(config.upload_worker_count),
                config.upload_rate_limit_bytes_per_second,
            ),
            download: Lane::new(
                workers(config.download_worker_count),
                config.download_rate_limit_bytes_per_second,
            ),
            config: parking_lot::RwLock::new(config.clone()),
        }
    }

    /// The configuration now.
    pub fn config(&self) -> BeConfig {
        self.config.read().clone()
    }

    /// The configuration with mutable key `key` set to `value`, if it may be.
    pub fn check(&self, key: &str, value: &str) -> Result<BeConfig, BeError> {
        if !BeConfig::MUTABLE.contains(&key) {
            return Err(BeError::Config(format!(
                "Config '{key}' does not exist or is not mutable"
            )));
        }
        let mut next = self.config.read().clone();
        next.set(key, value).map_err(|e| BeError::Config(e.to_string()))?;
        Ok(next)
    }

    /// Sets mutable key `key` to `value`; running transfers adopt it at their
    /// next file (a new rate at once, also for transfers waiting on the old one).
    pub fn update(&self, key: &str, value: &str) -> Result<(), BeError> {
        let next = self.check(key, value)?;
        match key {
            "upload_worker_count" => self.upload.resize(workers(next.upload_worker_count)),
            "download_worker_count" => self.download.resize(workers(next.download_worker_count)),
            "upload_rate_limit_bytes_per_second" => {
                self.upload
                    .limit
                    .set_rate(next.upload_rate_limit_bytes_per_second);
            }
            "download_rate_limit_bytes_per_second" => {
                self.download
                    .limit
                    .set_rate(next.download_rate_limit_bytes_per_second);
            }
            _ => {}
        }
        *self.config.write() = next;
        tracing::info!(key, value, "backend config set");
        Ok(())
    }
}

/// Opens the repository a task names.
async fn open_repository(spec: Option<pb::RepositorySpec>) -> Result<Repository, Status> {
    let spec = spec.ok_or_else(|| Status::invalid_argument("no repository"))?;
    let props: BTreeMap<String, String> = spec.properties.into_iter().collect();
    Repository::open(&spec.name, &spec.location, &props)
        .await
        .map_err(|e| Status::unavailable(e.to_string()))
}

/// Bytes moved by this BE's uploads and downloads since it started, for the
/// FE's metrics (reported with each heartbeat).
pub static UPLOADED_BYTES: AtomicU64 = AtomicU64::new(0);
/// See [`UPLOADED_BYTES`].
pub static DOWNLOADED_BYTES: AtomicU64 = AtomicU64::new(0);

/// The byte counters of one transfer task: what moved, what was already
/// there intact, and the size of every file of the task (0 until known).
#[derive(Debug)]
pub(crate) struct Meter {
    moved: AtomicU64,
    skipped: AtomicU64,
    total: AtomicU64,
    process: &'static AtomicU64,
}

impl Meter {
    /// Counters that also add what moves to the process-wide `process`.
    pub(crate) fn new(process: &'static AtomicU64) -> Arc<Self> {
        Arc::new(Self {
            moved: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            total: AtomicU64::new(0),
            process,
        })
    }

    /// `n` bytes were transferred.
    pub(crate) fn moved(&self, n: u64) {
        self.moved.fetch_add(n, Ordering::Relaxed);
        self.process.fetch_add(n, Ordering::Relaxed);
    }

    /// What the repository's transfers tell of each chunk they write.
    pub(crate) fn counter(self: &Arc<Self>) -> repository::transfer::ByteCounter {
        let meter = Arc::clone(self);
        Arc::new(move |n| meter.moved(n))
    }

    /// `n` bytes were found in place and not transferred.
    pub(crate) fn skipped(&self, n: u64) {
        self.skipped.fetch_add(n, Ordering::Relaxed);
    }

    fn counts(&self) -> Counts {
        Counts {
            moved: self.moved.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of a [`Meter`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) moved: u64,
    pub(crate) skipped: u64,
    pub(crate) total: u64,
}

/// A progress message of a transfer task: counts, cumulative bytes and what
/// the message reports as finished.
pub(crate) trait Progress: Default + Send + 'static {
    /// What one finished tablet reports.
    type Done: Send + 'static;
    /// The message after `finished` of `total` tablets, with the task's byte
    /// counts and the tablet that just finished, if any.
    fn new(finished: u32, total: u32, bytes: Counts, done: Option<Self::Done>) -> Self;
    /// True for the message that completes the task.
    fn completes(&self) -> bool;
}

/// Both progress messages carry the same counts; only what a tablet reports differs.
macro_rules! progress_message {
    ($message:ty, $done:ty) => {
        impl Progress for $message {
            type Done = $done;
            fn new(finished_num: u32, total_num: u32, bytes: Counts, done: Option<Self::Done>) -> Self {
                Self {
                    finished_num,
                    total_num,
                    bytes: bytes.moved,
                    bytes_skipped: bytes.skipped,
                    bytes_total: bytes.total,
                    done: done.into_iter().collect(),
                }
            }
            fn completes(&self) -> bool {
                self.finished_num == self.total_num
            }
        }
    };
}

progress_message!(pb::UploadProgress, pb::UploadedTablet);
progress_message!(pb::DownloadProgress, u64);

/// How often a running task reports its byte counts between tablets.
const TICK: Duration = Duration::from_millis(250);

/// Runs `work` for every tablet against the repository `spec` names, at most
/// as many at once as `slots` has permits, while `size` finds the bytes of
/// the whole task. Each tablet counts its bytes on the task's [`Meter`] and
/// reports what it finished; a message goes to the returned receiver as each
/// finishes, and every [`TICK`] while the counts change. The first failure
/// ends the stream with its status and aborts the other tablets; so does
/// dropping the receiver.
pub(crate) fn run_tablets<T, P, F, Fut, S, SFut>(
    spec: Option<pb::RepositorySpec>,
    slots: Arc<Semaphore>,
    meter: Arc<Meter>,
    tablets: Vec<T>,
    size: S,
    work: F,
) -> mpsc::Receiver<Result<P, Status>>
where
    T: Send + 'static,
    P: Progress,
    F: Fn(Arc<Repository>, T, Arc<Meter>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<P::Done, BeError>> + Send + 'static,
    S: FnOnce(Arc<Repository>) -> SFut + Send + 'static,
    SFut: Future<Output = Result<u64, BeError>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let closed = tx.clone();
        let tasks = Tablets {
            slots,
            meter,
            tablets,
            size,
            work,
        };
        tokio::select! {
            () = drive(spec, tasks, tx) => {}
            // The FE went away: dropping the tasks' JoinSet aborts them.
            () = closed.closed() => {}
        }
    });
    rx
}

/// What [`run_tablets`] runs.
struct Tablets<T, S, F> {
    slots: Arc<Semaphore>,
    meter: Arc<Meter>,
    tablets: Vec<T>,
    size: S,
    work: F,
}

async fn drive<T, P, F, Fut, S, SFut>(
    spec: Option<pb::RepositorySpec>,
    tasks: Tablets<T, S, F>,
    tx: mpsc::Sender<Result<P, Status>>,
) where
    T: Send + 'static,
    P: Progress,
    F: Fn(Arc<Repository>, T, Arc<Meter>) -> Fut,
    Fut: Future<Output = Result<P::Done, BeError>> + Send + 'static,
    S: FnOnce(Arc<Repository>) -> SFut,
    SFut: Future<Output = Result<u64, BeError>> + Send + 'static,
{
    let repo = match open_repository(spec).await {
        Ok(r) => Arc::new(r),
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    let Tablets {
        slots,
        meter,
        tablets,
        size,
        work,
    } = tasks;
    let total = tablets.len() as u32;
    if total == 0 {
        let _ = tx.send(Ok(P::default())).await;
        return;
    }
    let mut sizing = Box::pin(size(Arc::clone(&repo)));
    let mut sized = false;
    let mut running = JoinSet::new();
    for tablet in tablets {
        let slots = Arc::clone(&slots);
        let job = work(Arc::clone(&repo), tablet, Arc::clone(&meter));
        running.spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .map_err(|e| BeError::Transport(e.to_string()))?;
            job.await
        });
    }
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut finished = 0u32;
    let mut reported = Counts::default();
    loop {
        let message = tokio::select! {
            joined = running.join_next() => {
                let Some(joined) = joined else { return };
                let outcome = joined
                    .map_err(|e| Status::internal(e.to_string()))
                    .and_then(|r| r.map_err(Status::from));
                match outcome {
                    Ok(done) => {
                        finished += 1;
                        if finished == total && !sized {
                            // The message that completes the task carries its size.
                            sized = true;
                            record_size(&meter, (&mut sizing).await);
                        }
                        reported = meter.counts();
                        Ok(P::new(finished, total, reported, Some(done)))
                    }
                    Err(e) => Err(e),
                }
            }
            total_bytes = &mut sizing, if !sized => {
                sized = true;
                record_size(&meter, total_bytes);
                continue;
            }
            _ = ticks.tick() => {
                let now = meter.counts();
                if now == reported {
                    continue;
                }
                reported = now;
                Ok(P::new(finished, total, now, None))
            }
        };
        let failed = message.is_err();
        if tx.send(message).await.is_err() || failed {
            running.abort_all();
            return;
        }
        if finished == total {
            return;
        }
    }
}

/// Keeps the size of a task on its meter. A task whose size is unknown still
/// runs; it reports no total.
fn record_size(meter: &Meter, size: Result<u64, BeError>) {
    match size {
        Ok(n) => meter.total.store(n, Ordering::Relaxed),
        Err(e) => tracing::warn!(error = %e, "sizing a transfer task failed"),
    }
}

/// Forwards a transfer task's progress, holding back the message that
/// completes the task until one file-system sync of `root` has made every
/// file it wrote durable ([`crate::batch`]): the FE counts a task done only
/// once it is on disk.
pub(crate) fn durable_at_end<P: Progress>(
    root: PathBuf,
    mut progress: mpsc::Receiver<Result<P, Status>>,
) -> mpsc::Receiver<Result<P, Status>> {
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                next = progress.recv() => next,
                // The FE went away: dropping `progress` aborts the transfer.
                () = tx.closed() => return,
            };
            let Some(mut message) = next else {
                return;
            };
            if message.as_ref().is_ok_and(P::completes) {
                let root = root.clone();
                let synced = tokio::task::spawn_blocking(move || batch::sync_filesystem(&root))
                    .await
                    .map_err(|e| BeError::Transport(format!("task failed: {e}")))
                    .and_then(|r| r);
                if let Err(e) = synced {
                    message = Err(e.into());
                }
            }
            if tx.send(message).await.is_err() {
                return;
            }
        }
    });
    rx
}

/// Runs an UPLOAD task. Progress messages go to the returned receiver as
/// tablets finish; dropping the receiver aborts the task. Into a `file://`
/// repository, each file's writeback starts once it is written and the task
/// completes after one sync of the repository's file system.
pub fn upload(
    store: Arc<TabletStore>,
    transfers: &Transfers,
    req: pb::UploadRequest,
) -> mpsc::Receiver<Result<pb::UploadProgress, Status>> {
    let limit = Arc::clone(&transfers.upload.limit);
    let local_root = req
        .repository
        .as_ref()
        .and_then(|spec| repository::location::local_dir(&spec.location))
        .map(Path::to_path_buf);
    let dirs: Vec<String> = req.tablets.iter().map(|t| t.snapshot_path.clone()).collect();
    let sizing_store = Arc::clone(&store);
    let progress = run_tablets(
        req.repository,
        Arc::clone(&transfers.upload.slots),
        Meter::new(&UPLOADED_BYTES),
        req.tablets,
        move |_| async move {
            tokio::task::spawn_blocking(move || snapshot_bytes(&sizing_store, &dirs))
                .await
                .map_err(|e| BeError::Transport(format!("task failed: {e}")))?
        },
        move |repo, tablet, meter| {
            let (store, limit) = (Arc::clone(&store), Arc::clone(&limit));
            async move { upload_tablet(&store, &repo, &tablet, Some(&limit), &meter).await }
        },
    );
    match local_root {
        Some(root) => durable_at_end(root, progress),
        None => progress,
    }
}

/// The bytes of every file in the snapshot directories `dirs`.
fn snapshot_bytes(store: &TabletStore, dirs: &[String]) -> Result<u64, BeError> {
    let mut total = 0;
    for dir in dirs {
        for entry in std::fs::read_dir(store.snapshot_dir(dir)?)? {
            let meta = entry?.metadata()?;
            if meta.is_file() {
                total += meta.len();
            }
        }
    }
    Ok(total)
}

/// The file names of a snapshot directory, sorted.
fn snapshot_files(dir: &Path) -> Result<Vec<String>, BeError> {
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

async fn upload_tablet(
    store: &TabletStore,
    repo: &Repository,
    tablet: &pb::UploadTablet,
    limit: Option<&RateLimiter>,
    meter: &Arc<Meter>,
) -> Result<pb::UploadedTablet, BeError> {
    let dir: PathBuf = store.snapshot_dir(&tablet.snapshot_path)?;
    let existing = repo.list_dir(&tablet.remote_dir).await?.files;
    let names = snapshot_files(&dir)?;
    let mut stored = Vec::with_capacity(names.len());
    for name in &names {
        let already = existing.iter().find(|f| &f.name == name);
        let up = repo
            .upload_file(
                &dir.join(name),
                &tablet.remote_dir,
                name,
                already,
                limit,
                Some(&meter.counter()),
            )
            .await?;
        if !up.transferred {
            meter.skipped(up.size);
        }
        if let Some(written) = up.local_path {
            tokio::task::spawn_blocking(move || batch::start_writeback(&written))
                .await
                .map_err(|e| BeError::Transport(format!("task failed: {e}")))?;
        }
        stored.push(up.stored_name);
    }
    Ok(pb::UploadedTablet {
        tablet_id: tablet.tablet_id,
        stored_names: stored,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    static TEST_BYTES: AtomicU64 = AtomicU64::new(0);

    /// Counts the tablets whose work was dropped (finished or aborted).
    struct Dropped(Arc<AtomicUsize>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn spec(dir: &std::path::Path) -> Option<pb::RepositorySpec> {
        Some(pb::RepositorySpec {
            name: "r".into(),
            location: format!("file://{}", dir.display()),
            properties: Default::default(),
        })
    }

    /// Starts tablets 1..=3: tablet 1 ends as `first` says, the others never end.
    fn start(
        dir: &std::path::Path,
        first: Option<BeError>,
    ) -> (
        mpsc::Receiver<Result<pb::DownloadProgress, Status>>,
        Arc<AtomicUsize>,
    ) {
        let dropped = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&dropped);
        let first = parking_lot::Mutex::new(first);
        let rx = run_tablets(
            spec(dir),
            Arc::new(Semaphore::new(4)),
            Meter::new(&TEST_BYTES),
            vec![1u64, 2, 3],
            |_| async { Ok(30) },
            move |_, id, meter| {
                let guard = Dropped(Arc::clone(&counter));
                let outcome = (id == 1).then(|| first.lock().take());
                async move {
                    let _guard = guard;
                    match outcome {
                        Some(Some(err)) => Err(err),
                        Some(None) => {
                            meter.moved(10);
                            Ok(id)
                        }
                        None => std::future::pending().await,
                    }
                }
            },
        );
        (rx, dropped)
    }

    async fn wait_for(dropped: &AtomicUsize, n: usize) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while dropped.load(Ordering::SeqCst) < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("tablets stopped");
    }

    #[tokio::test]
    async fn a_failed_tablet_ends_the_stream_and_aborts_the_others() {
        let dir = tempfile::tempdir().expect("tmp");
        let (mut rx, dropped) = start(dir.path(), Some(BeError::TabletNotFound(1)));
        let failure = rx.recv().await.expect("a message").expect_err("failed");
        assert_eq!(failure.code(), tonic::Code::NotFound);
        assert!(rx.recv().await.is_none(), "the stream ends after a failure");
        wait_for(&dropped, 3).await;
    }

    #[tokio::test]
    async fn dropping_the_receiver_aborts_every_tablet() {
        let dir = tempfile::tempdir().expect("tmp");
        let (mut rx, dropped) = start(dir.path(), None);
        let first = rx.recv().await.expect("a message").expect("progress");
        assert_eq!(
            (first.finished_num, first.total_num, first.bytes, first.done),
            (1, 3, 10, vec![1])
        );
        assert!(
            TEST_BYTES.load(Ordering::Relaxed) >= 10,
            "moved bytes count process-wide"
        );
        drop(rx);
        wait_for(&dropped, 3).await;
    }

    #[tokio::test]
    async fn a_worker_pool_grows_at_once_and_shrinks_as_tablets_finish() {
        let lane = Lane::new(2, 0);
        let running: Vec<_> = vec![
            Arc::clone(&lane.slots).acquire_owned().await.expect("slot"),
            Arc::clone(&lane.slots).acquire_owned().await.expect("slot"),
        ];
        assert_eq!(lane.slots.available_permits(), 0);
        lane.resize(4);
        assert_eq!(
            lane.slots.available_permits(),
            2,
            "two more tablets may start now"
        );
        lane.resize(1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The shrink took the free permits; running tablets keep theirs.
        assert_eq!(lane.slots.available_permits(), 0);
        drop(running);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(lane.slots.available_permits(), 1, "one worker once they finished");
        let config = Transfers::new(&BeConfig::default());
        config.update("download_worker_count", "3").expect("mutable");
        assert_eq!(config.config().download_worker_count, 3);
        assert!(config.update("be_port", "1").is_err());
        assert!(config.update("download_worker_count", "x").is_err());
    }

    #[tokio::test]
    async fn a_task_reports_bytes_while_its_tablets_run() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut rx = run_tablets::<u64, pb::DownloadProgress, _, _, _, _>(
            spec(dir.path()),
            Arc::new(Semaphore::new(1)),
            Meter::new(&TEST_BYTES),
            vec![1],
            |_| async { Ok(100) },
            |_, _, meter| async move {
                meter.moved(40);
                meter.skipped(2);
                std::future::pending().await
            },
        );
        let tick = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a tick")
            .expect("a message")
            .expect("progress");
        assert_eq!(
            (
                tick.finished_num,
                tick.total_num,
                tick.bytes,
                tick.bytes_skipped,
                tick.bytes_total
            ),
            (0, 1, 40, 2, 100)
        );
        assert!(tick.done.is_empty());
        assert!(!tick.completes());
    }
}
