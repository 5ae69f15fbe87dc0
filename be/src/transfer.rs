//! UPLOAD (and, for RESTORE, [`crate::download`]) between snapshot directories
//! and a repository: tablets move in parallel, bounded by a per-BE worker pool
//! and an optional byte-rate limit shared by every transfer of that kind.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use repository::{RateLimiter, Repository};
use rpc::pb;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tonic::Status;

use crate::storage::TabletStore;
use crate::{BeError, batch};

/// Worker pools and rate limits of one BE.
pub struct Transfers {
    upload_slots: Arc<Semaphore>,
    upload_limit: Option<Arc<RateLimiter>>,
    pub(crate) download_slots: Arc<Semaphore>,
    pub(crate) download_limit: Option<Arc<RateLimiter>>,
}

impl Transfers {
    /// Pools sized from `be.conf`, 0 meaning eight workers per core: each
    /// transfer waits on the disk and on the shared MD5 pool far more than it
    /// uses a core, and the more files are in flight, the fuller the MD5
    /// lanes ([`repository::hasher`]).
    pub fn new(config: &conf::BeConfig) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = |n: u32| if n == 0 { cores * 8 } else { n as usize };
        Self {
            upload_slots: Arc::new(Semaphore::new(workers(config.upload_worker_count))),
            upload_limit: RateLimiter::new(config.upload_rate_limit_bytes_per_second).map(Arc::new),
            download_slots: Arc::new(Semaphore::new(workers(config.download_worker_count))),
            download_limit: RateLimiter::new(config.download_rate_limit_bytes_per_second).map(Arc::new),
        }
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

/// A progress message of a transfer task: counts, cumulative bytes and what
/// the message reports as finished.
pub(crate) trait Progress: Default + Send + 'static {
    /// What one finished tablet reports.
    type Done: Send + 'static;
    /// The message after `finished` of `total` tablets, `bytes` moved so far.
    fn new(finished: u32, total: u32, bytes: u64, done: Self::Done) -> Self;
    /// True for the message that completes the task.
    fn completes(&self) -> bool;
}

/// Both progress messages carry the same counts; only what a tablet reports differs.
macro_rules! progress_message {
    ($message:ty, $done:ty) => {
        impl Progress for $message {
            type Done = $done;
            fn new(finished_num: u32, total_num: u32, bytes: u64, done: Self::Done) -> Self {
                Self {
                    finished_num,
                    total_num,
                    bytes,
                    done: vec![done],
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

/// Runs `work` for every tablet against the repository `spec` names, at most
/// as many at once as `slots` has permits. Each tablet reports what it
/// finished and the bytes it moved; a message goes to the returned receiver as
/// each finishes. The first failure ends the stream with its status and
/// aborts the other tablets; so does dropping the receiver.
pub(crate) fn run_tablets<T, P, F, Fut>(
    spec: Option<pb::RepositorySpec>,
    slots: Arc<Semaphore>,
    tablets: Vec<T>,
    work: F,
) -> mpsc::Receiver<Result<P, Status>>
where
    T: Send + 'static,
    P: Progress,
    F: Fn(Arc<Repository>, T) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(P::Done, u64), BeError>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        let closed = tx.clone();
        tokio::select! {
            () = drive(spec, slots, tablets, work, tx) => {}
            // The FE went away: dropping the tasks' JoinSet aborts them.
            () = closed.closed() => {}
        }
    });
    rx
}

async fn drive<T, P, F, Fut>(
    spec: Option<pb::RepositorySpec>,
    slots: Arc<Semaphore>,
    tablets: Vec<T>,
    work: F,
    tx: mpsc::Sender<Result<P, Status>>,
) where
    T: Send + 'static,
    P: Progress,
    F: Fn(Arc<Repository>, T) -> Fut,
    Fut: Future<Output = Result<(P::Done, u64), BeError>> + Send + 'static,
{
    let repo = match open_repository(spec).await {
        Ok(r) => Arc::new(r),
        Err(e) => {
            let _ = tx.send(Err(e)).await;
            return;
        }
    };
    let total = tablets.len() as u32;
    if total == 0 {
        let _ = tx.send(Ok(P::default())).await;
        return;
    }
    let mut running = JoinSet::new();
    for tablet in tablets {
        let slots = Arc::clone(&slots);
        let job = work(Arc::clone(&repo), tablet);
        running.spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .map_err(|e| BeError::Transport(e.to_string()))?;
            job.await
        });
    }
    let (mut finished, mut bytes) = (0u32, 0u64);
    while let Some(joined) = running.join_next().await {
        let outcome = joined
            .map_err(|e| Status::internal(e.to_string()))
            .and_then(|r| r.map_err(Status::from));
        let message = outcome.map(|(done, moved)| {
            finished += 1;
            bytes += moved;
            P::new(finished, total, bytes, done)
        });
        let failed = message.is_err();
        if tx.send(message).await.is_err() || failed {
            running.abort_all();
            return;
        }
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
    let limit = transfers.upload_limit.clone();
    let local_root = req
        .repository
        .as_ref()
        .and_then(|spec| repository::location::local_dir(&spec.location))
        .map(Path::to_path_buf);
    let progress = run_tablets(
        req.repository,
        Arc::clone(&transfers.upload_slots),
        req.tablets,
        move |repo, tablet| {
            let (store, limit) = (Arc::clone(&store), limit.clone());
            async move { upload_tablet(&store, &repo, &tablet, limit.as_deref()).await }
        },
    );
    match local_root {
        Some(root) => durable_at_end(root, progress),
        None => progress,
    }
}

async fn upload_tablet(
    store: &TabletStore,
    repo: &Repository,
    tablet: &pb::UploadTablet,
    limit: Option<&RateLimiter>,
) -> Result<(pb::UploadedTablet, u64), BeError> {
    let dir: PathBuf = store.snapshot_dir(&tablet.snapshot_path)?;
    let existing = repo.list_dir(&tablet.remote_dir).await?.files;
    let mut names: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    let mut stored = Vec::with_capacity(names.len());
    let mut sent = 0u64;
    for name in &names {
        let already = existing.iter().find(|f| &f.name == name);
        let up = repo
            .upload_file(&dir.join(name), &tablet.remote_dir, name, already, limit)
            .await?;
        if up.transferred {
            sent += up.size;
        }
        if let Some(written) = up.local_path {
            tokio::task::spawn_blocking(move || batch::start_writeback(&written))
                .await
                .map_err(|e| BeError::Transport(format!("task failed: {e}")))?;
        }
        stored.push(up.stored_name);
    }
    Ok((
        pb::UploadedTablet {
            tablet_id: tablet.tablet_id,
            stored_names: stored,
        },
        sent,
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

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
            vec![1u64, 2, 3],
            move |_, id| {
                let guard = Dropped(Arc::clone(&counter));
                let outcome = (id == 1).then(|| first.lock().take());
                async move {
                    let _guard = guard;
                    match outcome {
                        Some(Some(err)) => Err(err),
                        Some(None) => Ok((id, 10)),
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
        drop(rx);
        wait_for(&dropped, 3).await;
    }
}
