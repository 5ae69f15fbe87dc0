//! BE calls shared by the BACKUP and RESTORE state machines: clients,
//! signatures, and retries that leave their errors where SHOW finds them.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use catalog::{JobStatus, StatusCode};

use super::progress::TaskBytes;
use super::{Backups, JobCtl};
use crate::cluster::now_ms;

/// BE tasks in flight per job.
pub(super) const TASK_CONCURRENCY: usize = 64;

/// The outcome of one step of a state machine.
pub(super) type Step = Result<(), JobStatus>;

/// A `COMMON_ERROR` status.
pub(super) fn common(msg: impl Into<String>) -> JobStatus {
    JobStatus::err(StatusCode::CommonError, msg)
}

/// Task signatures, unique within this FE process.
pub(super) fn next_signature() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let base = u64::try_from(now_ms()).unwrap_or_default() * 1000;
    let _ = NEXT.compare_exchange(0, base, Ordering::Relaxed, Ordering::Relaxed);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Why a task attempt failed: worth another try, or final with a status.
pub(super) enum TaskError {
    /// Retried up to `backup_task_retry_limit` times, then a `COMMON_ERROR`.
    Retry(String),
    /// Cancels the job at once with this status.
    Fatal(JobStatus),
}

impl From<String> for TaskError {
    fn from(msg: String) -> Self {
        TaskError::Retry(msg)
    }
}

/// Runs `attempt` until it succeeds or the retry limit is reached, recording
/// each failure under `sig` for SHOW's `TaskErrMsg`.
pub(super) async fn with_retries<J, T, E, F, Fut>(
    b: &Backups,
    ctl: &JobCtl<J>,
    sig: &str,
    mut attempt: F,
) -> Result<T, JobStatus>
where
    E: Into<TaskError>,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut tries = 0;
    loop {
        match attempt().await.map_err(Into::into) {
            Ok(v) => {
                ctl.volatile.lock().task_errors.remove(sig);
                return Ok(v);
            }
            Err(TaskError::Fatal(status)) => {
                ctl.volatile
                    .lock()
                    .task_errors
                    .insert(sig.to_string(), status.msg.clone());
                return Err(status);
            }
            Err(TaskError::Retry(e)) => {
                ctl.volatile.lock().task_errors.insert(sig.to_string(), e.clone());
                tries += 1;
                if tries > b.config().backup_task_retry_limit {
                    return Err(common(e));
                }
                tokio::time::sleep(Duration::from_secs(1 << tries.min(4))).await;
            }
        }
    }
}

/// A client of backend `backend_id`.
pub(super) fn client(
    b: &Backups,
    backend_id: u64,
) -> Result<rpc::BackendClient<tonic::transport::Channel>, String> {
    let be = b
        .catalog
        .read()
        .backends()
        .find(|be| be.id == backend_id)
        .cloned()
        .ok_or_else(|| format!("backend {backend_id} does not exist"))?;
    b.cluster.client(&be).map_err(|e| e.to_string())
}

/// A BE error as a task error text.
pub(super) fn rpc_error(backend_id: u64, status: tonic::Status) -> String {
    format!("backend {backend_id}: {}", status.message())
}

/// The one policy for a BE's answer to a transfer task (UPLOAD, DOWNLOAD):
/// a damaged file (a checksum that does not match) or a missing one ends the
/// job, since another attempt reads the same bytes; anything else (a BE
/// restarting, a network error, a full disk) is retried.
pub(super) fn transfer_error(backend_id: u64, status: tonic::Status) -> TaskError {
    let code = match status.code() {
        tonic::Code::DataLoss => StatusCode::BadFile,
        tonic::Code::NotFound => StatusCode::NotFound,
        _ => return TaskError::Retry(rpc_error(backend_id, status)),
    };
    TaskError::Fatal(JobStatus::err(code, rpc_error(backend_id, status)))
}

/// A job's repository record, as a job status when it was dropped.
pub(super) fn repository(b: &Backups, name: &str) -> Result<catalog::Repository, JobStatus> {
    b.catalog
        .read()
        .repository(name)
        .cloned()
        .ok_or_else(|| common(format!("Repository {name} does not exist")))
}

/// Splits each backend's items into tasks with fresh signatures: `per_be`
/// tasks per backend, 0 = one task per item. (RESTORE passes at least 1: its
/// BEs batch a task's tablets, BACKUP's upload each in its own task.)
pub(super) fn tasks_of<T>(
    by_backend: std::collections::BTreeMap<u64, Vec<T>>,
    per_be: u32,
) -> Vec<(String, u64, Vec<T>)> {
    let mut tasks = Vec::new();
    for (backend_id, items) in by_backend {
        let chunk = if per_be == 0 {
            1
        } else {
            items.len().div_ceil(per_be as usize).max(1)
        };
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let part: Vec<T> = items.by_ref().take(chunk).collect();
            tasks.push((next_signature().to_string(), backend_id, part));
        }
    }
    tasks
}

/// Records a transfer task's progress message: `finished` of `total`
/// tablets (SHOW's `Progress`) and its byte counts (SHOW JOBS).
pub(super) fn report_transfer<J>(ctl: &JobCtl<J>, sig: &str, finished: u32, total: u32, bytes: TaskBytes) {
    let mut v = ctl.volatile.lock();
    v.progress.insert(sig.to_string(), (finished, total));
    v.transfer.report(sig, bytes);
}

/// Shows every task as unfinished on its backend, with 0 of its items done.
pub(super) fn start_progress<J, T>(ctl: &JobCtl<J>, tasks: &[(String, u64, Vec<T>)]) {
    let mut v = ctl.volatile.lock();
    v.unfinished = tasks
        .iter()
        .map(|(sig, be, _)| (sig.clone(), be.to_string()))
        .collect();
    v.progress = tasks
        .iter()
        .map(|(sig, _, items)| (sig.clone(), (0, items.len() as u32)))
        .collect();
    v.transfer.restart();
}
