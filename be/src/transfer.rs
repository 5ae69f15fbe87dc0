//! UPLOAD (and, for RESTORE, DOWNLOAD) between snapshot directories and a
//! repository: tablets move in parallel, bounded by a per-BE worker pool and
//! an optional byte-rate limit shared by every transfer of that kind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use repository::{RateLimiter, Repository};
use rpc::pb;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tonic::Status;

use crate::BeError;
use crate::storage::TabletStore;

/// Worker pools and rate limits of one BE.
pub struct Transfers {
    upload_slots: Arc<Semaphore>,
    upload_limit: Option<Arc<RateLimiter>>,
}

impl Transfers {
    /// Pools sized from `be.conf` (0 workers = one per core).
    pub fn new(config: &conf::BeConfig) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let workers = |n: u32| if n == 0 { cores } else { n as usize };
        Self {
            upload_slots: Arc::new(Semaphore::new(workers(config.upload_worker_count))),
            upload_limit: RateLimiter::new(config.upload_rate_limit_bytes_per_second).map(Arc::new),
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

/// Runs an UPLOAD task. Progress messages go to the returned receiver as
/// tablets finish; dropping the receiver aborts the task.
pub fn upload(
    store: Arc<TabletStore>,
    transfers: &Transfers,
    req: pb::UploadRequest,
) -> mpsc::Receiver<Result<pb::UploadProgress, Status>> {
    let (tx, rx) = mpsc::channel(16);
    let slots = Arc::clone(&transfers.upload_slots);
    let limit = transfers.upload_limit.clone();
    tokio::spawn(async move {
        let repo = match open_repository(req.repository).await {
            Ok(r) => Arc::new(r),
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let total = req.tablets.len() as u32;
        let mut work = JoinSet::new();
        for tablet in req.tablets {
            let (repo, slots, limit, store) = (
                Arc::clone(&repo),
                Arc::clone(&slots),
                limit.clone(),
                Arc::clone(&store),
            );
            work.spawn(async move {
                let _slot = slots
                    .acquire_owned()
                    .await
                    .map_err(|e| BeError::Transport(e.to_string()))?;
                upload_tablet(&store, &repo, &tablet, limit.as_deref()).await
            });
        }
        let (mut finished, mut bytes) = (0u32, 0u64);
        if total == 0 {
            let _ = tx.send(Ok(pb::UploadProgress::default())).await;
        }
        while let Some(joined) = work.join_next().await {
            let outcome = joined
                .map_err(|e| Status::internal(e.to_string()))
                .and_then(|r| r.map_err(Status::from));
            let message = outcome.map(|(done, sent)| {
                finished += 1;
                bytes += sent;
                pb::UploadProgress {
                    finished_num: finished,
                    total_num: total,
                    bytes,
                    done: vec![done],
                }
            });
            let failed = message.is_err();
            // The FE went away or the task failed: stop every tablet of it.
            if tx.send(message).await.is_err() || failed {
                work.abort_all();
                return;
            }
        }
    });
    rx
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
