//! The RESTORE state machine (spec §6.2): one method per state, each
//! idempotent. The record is persisted at submission, with the plan and the
//! catalog changes it implies (one write), on entry to DOWNLOAD and COMMIT,
//! and at FINISHED/CANCELLED (each one write with its catalog changes).
//! SNAPSHOTING, DOWNLOADING and COMMITTING are not persisted: after a restart
//! the job re-enters PENDING, DOWNLOAD or COMMIT and re-sends its tasks (BEs
//! keep verified staged files and MOVE is idempotent).
//!
//! Starling's DOWNLOAD stages files in a directory of the job's own on each
//! BE, so SNAPSHOTING has no target snapshots to make; it only marks the
//! point where every replica exists.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::time::Duration;

use catalog::{Change, Job, JobStatus, RestoreJob, RestoreState, StatusCode, Table, TableState};
use futures::StreamExt;
use rpc::pb;

use super::driver::{self, Cancel, JobKind};
use super::progress::TaskBytes;
use super::restore_plan::{self, Source};
use super::tasks::{
    Step, TASK_CONCURRENCY, TaskError, client, common, report_transfer, repository, rpc_error,
    start_progress, tasks_of, transfer_error, with_retries,
};
use super::{Backups, JobCtl};
use crate::FeError;
use crate::cluster::now_ms;

type Ctl = JobCtl<RestoreJob>;

impl JobKind for RestoreJob {
    driver::job_record_fields!();

    fn timeout_status(&self) -> JobStatus {
        JobStatus::err(
            StatusCode::Timeout,
            format!("restore job with label: {}  timeout.", self.label),
        )
    }

    fn cancelled_status(&self, cause: Cancel) -> JobStatus {
        match cause {
            Cancel::User => JobStatus::err(
                StatusCode::CommonError,
                format!("{}, current state: {}", driver::USER_CANCELLED, self.state.name()),
            ),
            Cancel::Timeout => self.timeout_status(),
            Cancel::Failed(status) => status,
        }
    }

    fn can_pause(&self) -> bool {
        !matches!(self.state, RestoreState::Commit | RestoreState::Committing)
    }

    fn persist(&self, b: &Backups) -> Step {
        b.persist_restore(self).map_err(|e| common(e.to_string()))
    }

    fn step<'a>(&'a mut self, b: &'a Backups, ctl: &'a Ctl) -> impl Future<Output = Step> + Send + 'a {
        step(b, ctl, self)
    }

    fn cancel<'a>(
        &'a mut self,
        b: &'a Backups,
        ctl: &'a Ctl,
        status: JobStatus,
    ) -> impl Future<Output = ()> + Send + 'a {
        cancel(b, ctl, self, status)
    }
}

async fn step(b: &Backups, ctl: &Ctl, job: &mut RestoreJob) -> Step {
    check_targets(b, job)?;
    match job.state {
        RestoreState::Pending => {
            pending(b, job).await?;
            job.meta_prepared_ms = Some(now_ms());
            job.state = RestoreState::Snapshoting;
        }
        RestoreState::Snapshoting => {
            job.snapshot_finished_ms = Some(now_ms());
            job.state = RestoreState::Download;
            persist(b, job)?;
        }
        RestoreState::Download => job.state = RestoreState::Downloading,
        RestoreState::Downloading => {
            downloading(b, ctl, job).await?;
            job.download_finished_ms = Some(now_ms());
            job.state = RestoreState::Commit;
            persist(b, job)?;
        }
        RestoreState::Commit => job.state = RestoreState::Committing,
        RestoreState::Committing => {
            let stats = committing(b, ctl, job).await?;
            finish(b, job, &stats)?;
            release(b, job);
        }
        RestoreState::Finished | RestoreState::Cancelled => {}
    }
    *ctl.job.lock() = job.clone();
    Ok(())
}

fn persist(b: &Backups, job: &RestoreJob) -> Step {
    b.persist_restore(job).map_err(|e| common(e.to_string()))
}

/// Every tick: the database and the tables the job registered must still exist.
fn check_targets(b: &Backups, job: &RestoreJob) -> Step {
    let state = b.catalog.read();
    if state.database_by_id(job.db_id).is_none() {
        return Err(common(format!("database {} has been dropped", job.db_id)));
    }
    let Some(plan) = job.plan.as_ref().filter(|p| p.registered) else {
        return Ok(());
    };
    for t in &plan.tables {
        if state.table_by_id(t.table_id).is_none() {
            return Err(common(format!("table {} has been dropped", t.table_id)));
        }
    }
    Ok(())
}

/// Reads the snapshot's job info and table definitions.
async fn load_source(b: &Backups, job: &RestoreJob) -> Result<Source, JobStatus> {
    let record = repository(b, &job.repo_name)?;
    let repo = super::repos::open(&record)
        .await
        .map_err(|e| common(e.to_string()))?;
    Source::read(&repo, &job.label, &job.backup_timestamp, job.meta_version)
        .await
        .map_err(common)
}

/// PENDING: plan and register (once), then create the new replicas.
async fn pending(b: &Backups, job: &mut RestoreJob) -> Step {
    if job.plan.as_ref().is_none_or(|p| !p.registered) {
        let source = load_source(b, job).await?;
        register(b, job, &source)?;
    }
    create_replicas(b, job).await
}

/// Plans the job and writes, in one catalog batch, the new and changed
/// tables (state RESTORE) together with the job record carrying the plan.
fn register(b: &Backups, job: &mut RestoreJob, source: &Source) -> Step {
    let mut alive: Vec<u64> = b.cluster.alive_backends().iter().map(|be| be.id).collect();
    alive.sort_unstable();
    let registered = b
        .catalog
        .update(|txn| {
            if job.job_id < 0 {
                job.job_id = txn.next_id() as i64;
            }
            let locals: Vec<Option<Table>> = job
                .objects
                .iter()
                .map(|o| txn.state().table(job.db_id, o.target()).cloned())
                .collect();
            let db_name = job.db_name.clone();
            let planned = restore_plan::plan(job, source, &locals, &alive, &mut || txn.next_id(), now_ms())
                .map_err(FeError::common)?;
            for t in &planned.tables {
                let clash = txn
                    .state()
                    .table(job.db_id, &t.name)
                    .is_some_and(|other| other.id != t.id);
                if clash {
                    return Err(FeError::common(format!(
                        "Table {} already exist in db: {db_name}",
                        t.name
                    )));
                }
            }
            let mut plan = planned.plan;
            plan.registered = true;
            let mut next = job.clone();
            next.plan = Some(plan);
            for t in planned.tables {
                txn.push(Change::PutTable(Box::new(t)));
            }
            super::history::put_job(txn, Job::Restore(Box::new(next.clone())), b.history_keep_s());
            Ok::<_, FeError>(next)
        })
        .map_err(|e| common(e.to_string()))?;
    *job = registered;
    Ok(())
}

/// The job's tables as the catalog has them now.
fn planned_tables(b: &Backups, job: &RestoreJob) -> Vec<Table> {
    let state = b.catalog.read();
    job.plan
        .iter()
        .flat_map(|p| &p.tables)
        .filter_map(|t| state.table_by_id(t.table_id).cloned())
        .collect()
}

/// Creates every replica of new tables and partitions (idempotent on the BEs).
async fn create_replicas(b: &Backups, job: &RestoreJob) -> Step {
    let Some(plan) = &job.plan else {
        return Ok(());
    };
    let tables = planned_tables(b, job);
    let backends = backends_by_id(b);
    let schemas: HashMap<u64, String> = tables
        .iter()
        .map(|t| (t.id, crate::ddl::schema::schema_json(t)))
        .collect();
    let by_id: HashMap<u64, &Table> = tables.iter().map(|t| (t.id, t)).collect();
    let mut requests = Vec::new();
    for (backend_id, table_id, partition_id, tablet_id) in restore_plan::new_replicas(plan, &tables) {
        let (Some(be), Some(table)) = (backends.get(&backend_id), by_id.get(&table_id)) else {
            return Err(common(format!("backend {backend_id} does not exist")));
        };
        requests.push((
            be.clone(),
            pb::CreateTabletRequest {
                tablet_id,
                schema_hash: table.schema_hash,
                table_id,
                partition_id,
                index_id: table.index_id,
                version: 1,
                schema_json: schemas[&table_id].clone(),
            },
        ));
    }
    let n = requests.len() as u64;
    let limit = Duration::from_secs((b.config().tablet_create_timeout_second.max(1) * n.max(1)).min(600));
    match tokio::time::timeout(limit, b.cluster.create_tablets(requests)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(common(format!(
            "Failed to create replicas for restore. unfinished marks: {e}"
        ))),
        Err(_) => Err(common(format!(
            "Failed to create replicas for restore. unfinished marks: timed out after {}s",
            limit.as_secs()
        ))),
    }
}

/// DOWNLOADING: every replica's BE fetches and verifies its backed-up tablet.
async fn downloading(b: &Backups, ctl: &Ctl, job: &mut RestoreJob) -> Step {
    let plan = job
        .plan
        .as_ref()
        .ok_or_else(|| common("restore job has no plan"))?;
    let spec = super::repos::spec(&repository(b, &job.repo_name)?);
    let mut by_backend: BTreeMap<u64, Vec<pb::DownloadTablet>> = BTreeMap::new();
    for t in &plan.tablets {
        for &backend_id in &t.backends {
            by_backend
                .entry(backend_id)
                .or_default()
                .push(pb::DownloadTablet {
                    tablet_id: t.tablet_id,
                    remote_dir: t.remote_dir.clone(),
                    stored_names: t.stored_names.clone(),
                });
        }
    }
    let tasks = tasks_of(by_backend, b.config().max_download_task_per_be.max(1));
    start_progress(ctl, &tasks);
    let job_id = job.job_id as u64;
    let mut results = futures::stream::iter(tasks)
        .map(|(sig, backend_id, tablets)| {
            let req = pb::DownloadRequest {
                job_id,
                repository: Some(spec.clone()),
                tablets,
            };
            async move {
                let done = with_retries(b, ctl, &sig, || {
                    download_task(b, ctl, &sig, backend_id, req.clone())
                })
                .await;
                (sig, done)
            }
        })
        .buffer_unordered(TASK_CONCURRENCY);
    while let Some((sig, done)) = results.next().await {
        done?;
        ctl.volatile.lock().unfinished.remove(&sig);
    }
    let mut v = ctl.volatile.lock();
    v.progress.clear();
    v.transfer.fold_into(&mut job.progress);
    Ok(())
}

/// One DOWNLOAD task, following its progress stream to the end.
async fn download_task(
    b: &Backups,
    ctl: &Ctl,
    sig: &str,
    backend_id: u64,
    req: pb::DownloadRequest,
) -> Result<(), TaskError> {
    let total = req.tablets.len() as u32;
    let mut c = client(b, backend_id)?;
    let mut stream = c
        .download(req)
        .await
        .map_err(|e| transfer_error(backend_id, e))?
        .into_inner();
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
    }
    if finished != total {
        return Err(TaskError::Retry(format!(
            "backend {backend_id}: download ended after {finished} of {total} tablets"
        )));
    }
    Ok(())
}

/// COMMITTING: every replica installs its staged files. Returns rows and
/// bytes per tablet.
async fn committing(b: &Backups, ctl: &Ctl, job: &RestoreJob) -> Result<HashMap<u64, (u64, u64)>, JobStatus> {
    let plan = job
        .plan
        .as_ref()
        .ok_or_else(|| common("restore job has no plan"))?;
    let mut by_backend: BTreeMap<u64, Vec<pb::MoveTablet>> = BTreeMap::new();
    for t in &plan.tablets {
        for &backend_id in &t.backends {
            by_backend.entry(backend_id).or_default().push(pb::MoveTablet {
                tablet_id: t.tablet_id,
                version: t.version,
            });
        }
    }
    let tasks = tasks_of(by_backend, b.config().max_download_task_per_be.max(1));
    ctl.volatile.lock().unfinished = tasks
        .iter()
        .map(|(sig, _, t)| (sig.clone(), t.first().map_or(0, |m| m.tablet_id).to_string()))
        .collect();
    let job_id = job.job_id as u64;
    let mut results = futures::stream::iter(tasks)
        .map(|(sig, backend_id, tablets)| async move {
            let req = pb::MoveRequest { job_id, tablets };
            let moved = with_retries(b, ctl, &sig, || {
                let req = req.clone();
                async move {
                    let mut c = client(b, backend_id)?;
                    c.move_snapshot(req)
                        .await
                        .map(|r| r.into_inner().tablets)
                        .map_err(|e| match e.code() {
                            tonic::Code::FailedPrecondition => TaskError::Fatal(JobStatus::err(
                                StatusCode::BadFile,
                                rpc_error(backend_id, e),
                            )),
                            _ => TaskError::Retry(rpc_error(backend_id, e)),
                        })
                }
            })
            .await;
            (sig, moved)
        })
        .buffer_unordered(TASK_CONCURRENCY);
    let mut stats = HashMap::new();
    while let Some((sig, moved)) = results.next().await {
        for s in moved? {
            stats.insert(s.tablet_id, (s.rows, s.data_bytes));
        }
        ctl.volatile.lock().unfinished.remove(&sig);
    }
    Ok(stats)
}

/// The end of COMMITTING, one catalog write: tables back to NORMAL, restored
/// partitions at their backed-up versions, the job FINISHED.
fn finish(b: &Backups, job: &mut RestoreJob, stats: &HashMap<u64, (u64, u64)>) -> Step {
    let plan = job
        .plan
        .clone()
        .ok_or_else(|| common("restore job has no plan"))?;
    let now = now_ms();
    let mut done = job.clone();
    done.state = RestoreState::Finished;
    done.finished_ms = Some(now);
    done.progress.rows = stats.values().map(|(rows, _)| rows).sum();
    b.catalog
        .update(|txn| {
            for planned in &plan.tables {
                let mut table = txn
                    .state()
                    .table_by_id(planned.table_id)
                    .cloned()
                    .ok_or_else(|| FeError::common(format!("table {} has been dropped", planned.table_id)))?;
                table.state = TableState::Normal;
                for pv in &planned.partition_versions {
                    let Some(p) = table.partitions.iter_mut().find(|p| p.id == pv.partition_id) else {
                        return Err(FeError::common(format!(
                            "partition {} has been dropped",
                            pv.partition_id
                        )));
                    };
                    p.visible_version = pv.version;
                    p.visible_version_time_ms = now;
                    let (mut rows, mut bytes) = (0, 0);
                    for tablet in &mut p.tablets {
                        let (r, s) = stats.get(&tablet.id).copied().unwrap_or_default();
                        rows += r;
                        bytes += s;
                        for replica in &mut tablet.replicas {
                            replica.version = pv.version;
                        }
                    }
                    (p.row_count, p.data_size) = (rows, bytes);
                }
                txn.push(Change::PutTable(Box::new(table)));
            }
            super::history::put_job(txn, Job::Restore(Box::new(done.clone())), b.history_keep_s());
            Ok::<_, FeError>(())
        })
        .map_err(|e| common(e.to_string()))?;
    *job = done;
    Ok(())
}

/// Every registered backend by id.
fn backends_by_id(b: &Backups) -> HashMap<u64, catalog::Backend> {
    b.catalog
        .read()
        .backends()
        .map(|be| (be.id, be.clone()))
        .collect()
}

/// Backends holding replicas of the job's tablets.
fn backends_of(job: &RestoreJob) -> BTreeSet<u64> {
    job.plan
        .iter()
        .flat_map(|p| &p.tablets)
        .flat_map(|t| t.backends.iter().copied())
        .collect()
}

/// Removes the job's staging directories; failures leave them to the BE's
/// garbage collection.
fn release(b: &Backups, job: &RestoreJob) {
    let job_id = job.job_id.max(0) as u64;
    for backend_id in backends_of(job) {
        let Ok(mut c) = client(b, backend_id) else {
            continue;
        };
        tokio::spawn(async move {
            if let Err(e) = c.release_restore(pb::ReleaseRestoreRequest { job_id }).await {
                tracing::warn!(backend_id, "release restore staging failed: {}", e.message());
            }
        });
    }
}

/// Cancels (spec §6.3): in one catalog write, drops the tables and partitions
/// the job created, puts existing tables back to NORMAL and records
/// CANCELLED; then drops the new replicas and the staging directories.
/// Partitions already overwritten in COMMITTING stay as they are.
async fn cancel(b: &Backups, ctl: &Ctl, job: &mut RestoreJob, status: JobStatus) {
    tracing::info!(label = %job.label, state = job.state.name(), status = %status.render(), "restore cancelled");
    {
        let mut v = ctl.volatile.lock();
        job.task_errors = std::mem::take(&mut v.task_errors);
        v.unfinished.clear();
        v.progress.clear();
    }
    job.status = status;
    job.state = RestoreState::Cancelled;
    job.finished_ms = Some(now_ms());
    let plan = job.plan.clone().filter(|p| p.registered).unwrap_or_default();
    let outcome = b.catalog.update(|txn| {
        let mut dropped = Vec::new();
        for planned in &plan.tables {
            let Some(mut table) = txn.state().table_by_id(planned.table_id).cloned() else {
                continue;
            };
            let removed: Vec<&catalog::Partition> = table
                .partitions
                .iter()
                .filter(|p| planned.created || planned.added_partitions.contains(&p.id))
                .collect();
            for p in removed {
                for tablet in &p.tablets {
                    dropped.extend(tablet.replicas.iter().map(|r| (r.backend_id, tablet.id)));
                }
            }
            if planned.created {
                txn.push(Change::DeleteTable(table.id));
            } else {
                table
                    .partitions
                    .retain(|p| !planned.added_partitions.contains(&p.id));
                table.state = TableState::Normal;
                txn.push(Change::PutTable(Box::new(table)));
            }
        }
        super::history::put_job(txn, Job::Restore(Box::new(job.clone())), b.history_keep_s());
        Ok::<_, FeError>(dropped)
    });
    match outcome {
        Ok(dropped) => {
            let backends = backends_by_id(b);
            let replicas = dropped
                .into_iter()
                .filter_map(|(be, tablet)| backends.get(&be).map(|be| (be.clone(), tablet)))
                .collect();
            // The job is CANCELLED once that batch is written; removing the
            // replicas on busy BEs must not hold up CANCEL RESTORE.
            let cluster = std::sync::Arc::clone(&b.cluster);
            tokio::spawn(async move { cluster.drop_tablets(replicas).await });
        }
        Err(e) => tracing::error!(label = %job.label, "cannot persist cancelled restore job: {e}"),
    }
    release(b, job);
}
