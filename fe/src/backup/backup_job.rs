//! The BACKUP state machine (spec §6.1): one method per state, each
//! idempotent, the record persisted on entry to UPLOAD_SNAPSHOT, SAVE_META,
//! UPLOAD_INFO, FINISHED and CANCELLED. SNAPSHOTING and UPLOADING are not
//! persisted: after a restart the job re-enters PENDING or UPLOAD_SNAPSHOT and
//! re-sends its tasks (BEs re-make snapshots and skip files already uploaded).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::time::Duration;

use catalog::{BackupJob, BackupState, JobStatus, StatusCode, Table, TabletSnapshot};
use futures::StreamExt;
use repository::info::{self, IndexInfo, JobInfo, PartitionInfo, PhysicalPartitionInfo, TableInfo};
use repository::meta::SnapshotMeta;
use repository::{TabletPath, layout};
use rpc::pb;

use super::driver::{self, JobKind};
use super::progress::TaskBytes;
use super::tasks::{
    Step, TASK_CONCURRENCY, TaskError, client, common, report_transfer, repository, rpc_error,
    start_progress, tasks_of, transfer_error, with_retries,
};
use super::{Backups, JobCtl};
use crate::cluster::now_ms;

/// How long UPLOAD_INFO waits between attempts.
const INFO_RETRY: Duration = Duration::from_secs(3);

/// Tablets per MakeSnapshots request.
const SNAPSHOT_BATCH: usize = 1024;

impl JobKind for BackupJob {
    driver::job_record_fields!();

    fn timeout_status(&self) -> JobStatus {
        JobStatus::err(StatusCode::Timeout, "")
    }

    fn persist(&self, b: &Backups) -> Step {
        b.persist(self).map_err(|e| common(e.to_string()))
    }

    fn step<'a>(
        &'a mut self,
        b: &'a Backups,
        ctl: &'a JobCtl<Self>,
    ) -> impl Future<Output = Step> + Send + 'a {
        step(b, ctl, self)
    }

    async fn cancel(&mut self, b: &Backups, ctl: &JobCtl<Self>, status: JobStatus) {
        cancel(b, ctl, self, status);
        release_label(b, self).await;
    }
}

async fn step(b: &Backups, ctl: &JobCtl<BackupJob>, job: &mut BackupJob) -> Step {
    match job.state {
        BackupState::Pending => {
            pending(b, job)?;
            job.state = BackupState::Snapshoting;
        }
        BackupState::Snapshoting => {
            snapshoting(b, ctl, job).await?;
            job.snapshot_finished_ms = Some(now_ms());
            job.state = BackupState::UploadSnapshot;
            persist(b, job)?;
        }
        BackupState::UploadSnapshot => job.state = BackupState::Uploading,
        BackupState::Uploading => {
            uploading(b, ctl, job).await?;
            job.upload_finished_ms = Some(now_ms());
            job.state = BackupState::SaveMeta;
            persist(b, job)?;
        }
        BackupState::SaveMeta => {
            release(b, job);
            job.state = BackupState::UploadInfo;
            persist(b, job)?;
        }
        BackupState::UploadInfo => {
            // A repository that refuses the write (full, read-only, gone) is
            // retried `backup_task_retry_limit` times, then the job is cancelled
            // with the cause instead of holding its database until the timeout.
            let mut tries = 0;
            while let Err(e) = upload_info(b, job).await {
                tries += 1;
                if tries > b.config().backup_task_retry_limit {
                    return Err(common(format!("failed to upload snapshot info: {e}")));
                }
                ctl.volatile.lock().task_errors.insert("upload_info".into(), e);
                tokio::time::sleep(INFO_RETRY).await;
            }
            ctl.volatile.lock().task_errors.clear();
            release_label(b, job).await;
            job.state = BackupState::Finished;
            job.finished_ms = Some(now_ms());
            persist(b, job)?;
        }
        BackupState::Finished | BackupState::Cancelled => {}
    }
    *ctl.job.lock() = job.clone();
    Ok(())
}

fn persist(b: &Backups, job: &BackupJob) -> Step {
    b.persist(job).map_err(|e| common(e.to_string()))
}

/// Gives back the label reserved at submission; best effort (a reservation
/// left behind only keeps the label taken, as an unfinished snapshot does).
async fn release_label(b: &Backups, job: &BackupJob) {
    let Ok(record) = repository(b, &job.repo_name) else {
        return;
    };
    let released = match super::repos::open(&record).await {
        Ok(repo) => repo.release_label(&job.label).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = released {
        tracing::warn!(label = %job.label, "cannot release the snapshot label: {e}");
    }
}

/// Cancels: records the status, releases BE snapshots, persists CANCELLED.
/// Files already in the repository stay (spec §6.3).
fn cancel(b: &Backups, ctl: &JobCtl<BackupJob>, job: &mut BackupJob, status: JobStatus) {
    tracing::info!(label = %job.label, state = job.state.name(), status = %status.render(), "backup cancelled");
    job.status = status;
    job.task_errors = std::mem::take(&mut ctl.volatile.lock().task_errors);
    ctl.volatile.lock().unfinished.clear();
    release(b, job);
    job.state = BackupState::Cancelled;
    job.finished_ms = Some(now_ms());
    if let Err(e) = b.persist(job) {
        tracing::error!(label = %job.label, "cannot persist cancelled backup job: {e}");
    }
}

/// PENDING: a fresh job id; the tables' definitions and each tablet's visible
/// version are captured now, so later loads are not in the snapshot.
fn pending(b: &Backups, job: &mut BackupJob) -> Step {
    job.job_id = b
        .catalog
        .update(|txn| Ok::<_, crate::FeError>(txn.next_id()))
        .map_err(|e| common(e.to_string()))? as i64;
    let alive: BTreeSet<u64> = b.cluster.alive_backends().iter().map(|be| be.id).collect();
    let state = b.catalog.read();
    if state.database_by_id(job.db_id).is_none() {
        return Err(common(format!("database {} has been dropped", job.db_id)));
    }
    let (mut tables, mut snapshots, mut rows) = (Vec::new(), Vec::new(), 0);
    for r in &job.objects {
        let table = state
            .table(job.db_id, &r.table)
            .ok_or_else(|| common(format!("table {} has been dropped", r.table)))?;
        let mut copy = table.clone();
        if !r.partitions.is_empty() {
            if let Some(p) = r.partitions.iter().find(|p| table.partition(p).is_none()) {
                return Err(common(format!("partition {p} has been dropped")));
            }
            copy.partitions.retain(|p| r.partitions.contains(&p.name));
        }
        for p in &copy.partitions {
            rows += p.row_count;
            for tablet in &p.tablets {
                let mut usable: Vec<_> = tablet
                    .replicas
                    .iter()
                    .filter(|r| r.version >= p.visible_version)
                    .collect();
                usable.sort_by_key(|r| (!alive.contains(&r.backend_id), r.id));
                let replica = usable.first().ok_or_else(|| {
                    common(format!(
                        "failed to choose replica to make snapshot for tablet {}. visible version: {}",
                        tablet.id, p.visible_version
                    ))
                })?;
                snapshots.push(TabletSnapshot {
                    table_id: table.id,
                    partition_id: p.id,
                    index_id: table.index_id,
                    tablet_id: tablet.id,
                    backend_id: replica.backend_id,
                    version: p.visible_version,
                    path: String::new(),
                    files: vec![],
                    uploaded: vec![],
                });
            }
        }
        let record =
            serde_json::from_slice(&catalog::model::encode(&copy)).map_err(|e| common(e.to_string()))?;
        tables.push(record);
    }
    job.tables = tables;
    job.snapshots = snapshots;
    job.progress.rows = rows;
    Ok(())
}

/// SNAPSHOTING: every chosen replica makes its snapshot, in one request per
/// BE and [`SNAPSHOT_BATCH`] tablets; each batch is durable when it returns.
async fn snapshoting(b: &Backups, ctl: &JobCtl<BackupJob>, job: &mut BackupJob) -> Step {
    let job_id = job.job_id as u64;
    ctl.volatile.lock().unfinished = job
        .snapshots
        .iter()
        .map(|s| (s.tablet_id.to_string(), s.backend_id.to_string()))
        .collect();
    let mut by_backend: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, s) in job.snapshots.iter().enumerate() {
        by_backend.entry(s.backend_id).or_default().push(i);
    }
    let batches: Vec<(u64, Vec<usize>)> = by_backend
        .into_iter()
        .flat_map(|(be, indices)| {
            indices
                .chunks(SNAPSHOT_BATCH)
                .map(|c| (be, c.to_vec()))
                .collect::<Vec<_>>()
        })
        .collect();
    let snapshots = &job.snapshots;
    let mut results = futures::stream::iter(batches)
        .map(|(backend_id, indices)| async move {
            let tablets: Vec<pb::SnapshotTablet> = indices
                .iter()
                .map(|&i| pb::SnapshotTablet {
                    tablet_id: snapshots[i].tablet_id,
                    version: snapshots[i].version,
                })
                .collect();
            let sig = tablets[0].tablet_id.to_string();
            let made = with_retries(b, ctl, &sig, || {
                let tablets = tablets.clone();
                async move {
                    let mut c = client(b, backend_id)?;
                    let req = pb::MakeSnapshotsRequest { job_id, tablets };
                    c.make_snapshots(req)
                        .await
                        .map(|r| r.into_inner().snapshots)
                        .map_err(|e| rpc_error(backend_id, e))
                }
            })
            .await;
            (indices, made)
        })
        .buffer_unordered(TASK_CONCURRENCY);
    let mut done = Vec::new();
    while let Some((indices, made)) = results.next().await {
        let made = made?;
        if made.len() != indices.len() {
            return Err(common(format!(
                "backend made {} snapshots for {} tablets",
                made.len(),
                indices.len()
            )));
        }
        let mut v = ctl.volatile.lock();
        for (&i, m) in indices.iter().zip(made) {
            v.unfinished.remove(&snapshots[i].tablet_id.to_string());
            done.push((i, m));
        }
    }
    drop(results);
    for (i, made) in done {
        let s = &mut job.snapshots[i];
        s.path = made.snapshot_path;
        s.files = made.files;
    }
    Ok(())
}

/// UPLOADING: `max_upload_task_per_be` UPLOAD tasks per BE (0: one per tablet).
async fn uploading(b: &Backups, ctl: &JobCtl<BackupJob>, job: &mut BackupJob) -> Step {
    let spec = super::repos::spec(&repository(b, &job.repo_name)?);
    let mut by_backend: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, s) in job.snapshots.iter().enumerate() {
        by_backend.entry(s.backend_id).or_default().push(i);
    }
    let tasks = tasks_of(by_backend, b.config().max_upload_task_per_be);
    start_progress(ctl, &tasks);
    let label = job.label.clone();
    let db_id = job.db_id;
    let snapshots = job.snapshots.clone();
    let mut results = futures::stream::iter(tasks)
        .map(|(sig, backend_id, indices)| {
            let tablets: Vec<pb::UploadTablet> = indices
                .iter()
                .map(|&i| {
                    let s = &snapshots[i];
                    let path = TabletPath {
                        db_id,
                        table_id: s.table_id,
                        partition_id: s.partition_id,
                        index_id: s.index_id,
                        tablet_id: s.tablet_id,
                    };
                    pb::UploadTablet {
                        tablet_id: s.tablet_id,
                        snapshot_path: s.path.clone(),
                        remote_dir: path.dir(&label),
                    }
                })
                .collect();
            let req = pb::UploadRequest {
                job_id: job.job_id as u64,
                repository: Some(spec.clone()),
                tablets,
            };
            async move {
                let done = with_retries(b, ctl, &sig, || {
                    upload_task(b, ctl, &sig, backend_id, req.clone())
                })
                .await;
                (sig, done)
            }
        })
        .buffer_unordered(TASK_CONCURRENCY);
    let by_tablet: HashMap<u64, usize> = job
        .snapshots
        .iter()
        .enumerate()
        .map(|(i, s)| (s.tablet_id, i))
        .collect();
    while let Some((sig, done)) = results.next().await {
        for tablet in done? {
            let s = by_tablet
                .get(&tablet.tablet_id)
                .map(|&i| &mut job.snapshots[i])
                .ok_or_else(|| {
                    common(format!(
                        "upload task {sig} reported unknown tablet {}",
                        tablet.tablet_id
                    ))
                })?;
            let uploaded: BTreeSet<&str> = tablet
                .stored_names
                .iter()
                .map(|n| layout::split_checksum(n).map_or(n.as_str(), |(name, _)| name))
                .collect();
            let expected: BTreeSet<&str> = s.files.iter().map(String::as_str).collect();
            if uploaded != expected {
                return Err(common(format!(
                    "upload task {sig} uploaded files {uploaded:?} of tablet {}, snapshot has {expected:?}",
                    s.tablet_id
                )));
            }
            s.uploaded = tablet.stored_names;
        }
        ctl.volatile.lock().unfinished.remove(&sig);
    }
    let mut v = ctl.volatile.lock();
    v.progress.clear();
    v.transfer.fold_into(&mut job.progress);
    Ok(())
}

/// One UPLOAD task, following its progress stream to the end.
async fn upload_task(
    b: &Backups,
    ctl: &JobCtl<BackupJob>,
    sig: &str,
    backend_id: u64,
    req: pb::UploadRequest,
) -> Result<Vec<pb::UploadedTablet>, TaskError> {
    let total = req.tablets.len() as u32;
    let mut c = client(b, backend_id)?;
    let mut stream = c
        .upload(req)
        .await
        .map_err(|e| transfer_error(backend_id, e))?
        .into_inner();
    let mut done = Vec::new();
    let mut finished = 0;
    while let Some(progress) = stream
        .message()
        .await
        .map_err(|e| transfer_error(backend_id, e))?
    {
        finished = progress.finished_num;
        let bytes = TaskBytes {
            moved: progress.bytes,
            skipped: progress.bytes_skipped,
            total: progress.bytes_total,
        };
        report_transfer(ctl, sig, finished, total, bytes);
        done.extend(progress.done);
    }
    if finished != total || done.len() as u32 != total {
        return Err(TaskError::Retry(format!(
            "backend {backend_id}: upload ended after {finished} of {total} tablets"
        )));
    }
    Ok(done)
}

/// Removes the BE snapshot directories of a job; failures only leave
/// directories behind, so this never blocks the job.
fn release(b: &Backups, job: &BackupJob) {
    let mut by_backend: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for s in job.snapshots.iter().filter(|s| !s.path.is_empty()) {
        by_backend.entry(s.backend_id).or_default().push(s.path.clone());
    }
    for (backend_id, snapshot_paths) in by_backend {
        let Ok(mut c) = client(b, backend_id) else {
            continue;
        };
        tokio::spawn(async move {
            if let Err(e) = c
                .release_snapshot(pb::ReleaseSnapshotRequest { snapshot_paths })
                .await
            {
                tracing::warn!(backend_id, "release snapshot failed: {}", e.message());
            }
        });
    }
}

/// UPLOAD_INFO: `__meta` then `__info_<timestamp>`, which completes the snapshot.
async fn upload_info(b: &Backups, job: &BackupJob) -> Result<(), String> {
    let record = repository(b, &job.repo_name).map_err(|s| s.msg)?;
    let repo = super::repos::open(&record).await.map_err(|e| e.to_string())?;
    repo.write_meta(&job.label, &SnapshotMeta::new(job.tables.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let info = job_info(job, b.catalog.read().cluster_id())?;
    repo.write_job_info(&info, &layout::backup_timestamp(job.create_time_ms))
        .await
        .map_err(|e| e.to_string())
}

/// The job-info document of a finished upload (spec §8.3).
pub(super) fn job_info(job: &BackupJob, cluster_id: u64) -> Result<JobInfo, String> {
    let uploaded: HashMap<u64, &Vec<String>> =
        job.snapshots.iter().map(|s| (s.tablet_id, &s.uploaded)).collect();
    let mut objects = BTreeMap::new();
    for record in &job.tables {
        let bytes = serde_json::to_vec(record).map_err(|e| e.to_string())?;
        let table: Table = catalog::model::decode("backup meta", &bytes).map_err(|e| e.to_string())?;
        let mut partitions = BTreeMap::new();
        for p in &table.partitions {
            let mut tablets = BTreeMap::new();
            for t in &p.tablets {
                let names = uploaded.get(&t.id).map(|n| n.to_vec()).unwrap_or_default();
                tablets.insert(t.id.to_string(), names);
            }
            let index = IndexInfo {
                id: table.index_id,
                schema_hash: table.schema_hash,
                tablets,
                tablets_order: p.tablets.iter().map(|t| t.id.to_string()).collect(),
            };
            let physical = PhysicalPartitionInfo {
                id: p.id,
                version: p.visible_version,
                indexes: BTreeMap::from([(table.name.clone(), index)]),
            };
            partitions.insert(
                p.name.clone(),
                PartitionInfo {
                    id: p.id,
                    version: p.visible_version,
                    version_hash: 0,
                    indexes: BTreeMap::new(),
                    sub_partitions: BTreeMap::from([(p.id.to_string(), physical)]),
                },
            );
        }
        objects.insert(
            table.name.clone(),
            TableInfo {
                id: table.id,
                auto_increment_id: None,
                partitions,
            },
        );
    }
    Ok(JobInfo {
        name: job.label.clone(),
        database: job.db_name.clone(),
        id: job.db_id,
        backup_time: job.create_time_ms,
        meta_version: info::META_VERSION,
        starrocks_meta_version: info::STARROCKS_META_VERSION,
        backup_result: info::SUCCEED.into(),
        backup_objects: objects,
        cluster_id: Some(cluster_id),
        starling_info_version: info::STARLING_INFO_VERSION,
    })
}
