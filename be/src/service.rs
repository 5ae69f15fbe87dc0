//! The gRPC task service the FE calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rpc::pb;
use tonic::{Request, Response, Status};

use crate::http::FeAddress;
use crate::storage::{TABLET_META_VERSION, TabletMeta, TabletStore};
use crate::transfer::Transfers;

/// The ports a BE serves on.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    /// The task service (gRPC).
    pub be: u16,
    /// The HTTP port.
    pub http: u16,
}

/// Implements `starling.backend.Backend` over a [`TabletStore`].
pub struct BackendService {
    store: Arc<TabletStore>,
    ports: Ports,
    backend_id: AtomicU64,
    start_time_ms: i64,
    transfers: Arc<Transfers>,
    fe_http: FeAddress,
}

impl BackendService {
    /// A service for `store`, reachable on `ports`; heartbeats tell
    /// `fe_http` where the FE's HTTP port is.
    pub fn new(store: Arc<TabletStore>, ports: Ports, transfers: Arc<Transfers>, fe_http: FeAddress) -> Self {
        Self {
            store,
            ports,
            backend_id: AtomicU64::new(0),
            start_time_ms: chrono::Utc::now().timestamp_millis(),
            transfers,
            fe_http,
        }
    }

    /// Runs blocking disk work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&TabletStore) -> Result<T, crate::BeError> + Send + 'static,
    ) -> Result<T, Status> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| Status::internal(format!("task failed: {e}")))?
            .map_err(Status::from)
    }
}

#[tonic::async_trait]
impl pb::backend_server::Backend for BackendService {
    type UploadStream = tokio_stream::wrappers::ReceiverStream<Result<pb::UploadProgress, Status>>;
    type DownloadStream = tokio_stream::wrappers::ReceiverStream<Result<pb::DownloadProgress, Status>>;

    async fn make_snapshots(
        &self,
        request: Request<pb::MakeSnapshotsRequest>,
    ) -> Result<Response<pb::MakeSnapshotsResponse>, Status> {
        let req = request.into_inner();
        let tablets: Vec<(u64, u64)> = req.tablets.iter().map(|t| (t.tablet_id, t.version)).collect();
        let made = self
            .blocking(move |store| store.make_snapshots(req.job_id, &tablets))
            .await?;
        let snapshots = made
            .into_iter()
            .map(|(path, files)| pb::MadeSnapshot {
                snapshot_path: path.display().to_string(),
                files,
            })
            .collect();
        Ok(Response::new(pb::MakeSnapshotsResponse { snapshots }))
    }

    async fn upload(
        &self,
        request: Request<pb::UploadRequest>,
    ) -> Result<Response<Self::UploadStream>, Status> {
        let rx = crate::transfer::upload(Arc::clone(&self.store), &self.transfers, request.into_inner());
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }

    async fn release_snapshot(
        &self,
        request: Request<pb::ReleaseSnapshotRequest>,
    ) -> Result<Response<pb::ReleaseSnapshotResponse>, Status> {
        let paths = request.into_inner().snapshot_paths;
        self.blocking(move |store| store.release_snapshots(&paths))
            .await?;
        Ok(Response::new(pb::ReleaseSnapshotResponse {}))
    }

    async fn download(
        &self,
        request: Request<pb::DownloadRequest>,
    ) -> Result<Response<Self::DownloadStream>, Status> {
        let rx = crate::download::download(Arc::clone(&self.store), &self.transfers, request.into_inner());
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }

    async fn move_snapshot(
        &self,
        request: Request<pb::MoveRequest>,
    ) -> Result<Response<pb::MoveResponse>, Status> {
        let req = request.into_inner();
        let job_id = req.job_id;
        let tablets = self
            .blocking(move |store| {
                let tablets: Vec<(u64, u64)> = req.tablets.iter().map(|t| (t.tablet_id, t.version)).collect();
                let stats = store.install_staged_many(job_id, &tablets)?;
                Ok(tablets
                    .iter()
                    .zip(stats)
                    .map(|(&(tablet_id, _), (rows, data_bytes))| pb::TabletStat {
                        tablet_id,
                        rows,
                        data_bytes,
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        tracing::debug!(job_id, tablets = tablets.len(), "restored snapshots installed");
        Ok(Response::new(pb::MoveResponse { tablets }))
    }

    async fn release_restore(
        &self,
        request: Request<pb::ReleaseRestoreRequest>,
    ) -> Result<Response<pb::ReleaseRestoreResponse>, Status> {
        let job_id = request.into_inner().job_id;
        self.blocking(move |store| store.release_restore(job_id)).await?;
        Ok(Response::new(pb::ReleaseRestoreResponse {}))
    }

    async fn get_config(
        &self,
        _request: Request<pb::GetConfigRequest>,
    ) -> Result<Response<pb::GetConfigResponse>, Status> {
        let (now, defaults) = (self.transfers.config(), conf::BeConfig::default());
        let entries = conf::BeConfig::FIELDS
            .iter()
            .map(|f| pb::ConfigEntry {
                name: f.key.to_string(),
                value: now.get(f.key).unwrap_or_default(),
                r#type: f.ty.to_string(),
                default_value: defaults.get(f.key).unwrap_or_default(),
                mutable: conf::BeConfig::MUTABLE.contains(&f.key),
            })
            .collect();
        Ok(Response::new(pb::GetConfigResponse { entries }))
    }

    async fn update_config(
        &self,
        request: Request<pb::UpdateConfigRequest>,
    ) -> Result<Response<pb::UpdateConfigResponse>, Status> {
        let req = request.into_inner();
        self.transfers.update(&req.name, &req.value)?;
        Ok(Response::new(pb::UpdateConfigResponse {}))
    }

    async fn heartbeat(
        &self,
        request: Request<pb::HeartbeatRequest>,
    ) -> Result<Response<pb::HeartbeatResponse>, Status> {
        if let Some(peer) = request.remote_addr() {
            let port = u16::try_from(request.get_ref().fe_http_port).unwrap_or(0);
            *self.fe_http.lock() = (port > 0).then(|| std::net::SocketAddr::new(peer.ip(), port));
        }
        let req = request.into_inner();
        let cluster_id = req.cluster_id;
        let (tablets, used) = self
            .blocking(move |store| {
                store.bind_cluster(cluster_id)?;
                // Usage is informational: failing to measure it must not make
                // the FE think this BE is dead.
                Ok(store.usage().unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot measure storage usage");
                    (0, 0)
                }))
            })
            .await?;
        self.backend_id.store(req.backend_id, Ordering::Relaxed);
        let (total, available) = disk_space(self.store.root());
        Ok(Response::new(pb::HeartbeatResponse {
            backend_id: req.backend_id,
            be_port: u32::from(self.ports.be),
            http_port: u32::from(self.ports.http),
            tablet_count: tablets,
            data_used_bytes: used,
            disk_total_bytes: total,
            disk_available_bytes: available,
            start_time_ms: self.start_time_ms,
            version: rpc::STARLING_VERSION.to_string(),
            storage_root: self.store.root().display().to_string(),
            uploaded_bytes: crate::transfer::UPLOADED_BYTES.load(std::sync::atomic::Ordering::Relaxed),
            downloaded_bytes: crate::transfer::DOWNLOADED_BYTES.load(std::sync::atomic::Ordering::Relaxed),
        }))
    }

    async fn create_tablets(
        &self,
        request: Request<pb::CreateTabletsRequest>,
    ) -> Result<Response<pb::CreateTabletsResponse>, Status> {
        let metas: Vec<TabletMeta> = request
            .into_inner()
            .tablets
            .into_iter()
            .map(|req| TabletMeta {
                format_version: TABLET_META_VERSION,
                tablet_id: req.tablet_id,
                schema_hash: req.schema_hash,
                table_id: req.table_id,
                partition_id: req.partition_id,
                index_id: req.index_id,
                version: req.version,
                schema_json: req.schema_json,
                rowsets: Vec::new(),
            })
            .collect();
        let count = metas.len();
        self.blocking(move |store| store.create_many(&metas)).await?;
        tracing::debug!(count, "tablets created");
        Ok(Response::new(pb::CreateTabletsResponse {}))
    }

    async fn write_rowset(
        &self,
        request: Request<pb::WriteRowsetRequest>,
    ) -> Result<Response<pb::WriteRowsetResponse>, Status> {
        let req = request.into_inner();
        let (rows, bytes) = self
            .blocking(move |store| store.write_part(req.tablet_id, req.txn_id, req.part, &req.arrow_ipc))
            .await?;
        Ok(Response::new(pb::WriteRowsetResponse { rows, bytes }))
    }

    async fn publish_version(
        &self,
        request: Request<pb::PublishVersionRequest>,
    ) -> Result<Response<pb::PublishVersionResponse>, Status> {
        let req = request.into_inner();
        let tablets = self
            .blocking(move |store| {
                let mut stats = Vec::with_capacity(req.tablet_ids.len());
                for tablet_id in req.tablet_ids {
                    let (rows, data_bytes) = store.publish(tablet_id, req.txn_id, req.version)?;
                    stats.push(pb::TabletStat {
                        tablet_id,
                        rows,
                        data_bytes,
                    });
                }
                Ok(stats)
            })
            .await?;
        Ok(Response::new(pb::PublishVersionResponse { tablets }))
    }

    async fn abort_txn(
        &self,
        request: Request<pb::AbortTxnRequest>,
    ) -> Result<Response<pb::AbortTxnResponse>, Status> {
        let req = request.into_inner();
        self.blocking(move |store| {
            for tablet_id in req.tablet_ids {
                store.abort(tablet_id, req.txn_id)?;
            }
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::AbortTxnResponse {}))
    }

    async fn drop_tablet(
        &self,
        request: Request<pb::DropTabletRequest>,
    ) -> Result<Response<pb::DropTabletResponse>, Status> {
        let req = request.into_inner();
        let (tablet_id, keep) = (req.tablet_id, req.keep_in_trash);
        let existed = self
            .blocking(move |store| store.drop_tablet_keeping(tablet_id, keep))
            .await?;
        tracing::debug!(tablet_id, existed, keep, "tablet dropped");
        Ok(Response::new(pb::DropTabletResponse { existed }))
    }

    async fn list_tablets(
        &self,
        _request: Request<pb::ListTabletsRequest>,
    ) -> Result<Response<pb::ListTabletsResponse>, Status> {
        let listed = self.blocking(|store| store.list_tablets()).await?;
        let tablets = listed
            .into_iter()
            .map(|(tablet_id, age)| pb::ListedTablet {
                tablet_id,
                age_seconds: age.as_secs(),
            })
            .collect();
        Ok(Response::new(pb::ListTabletsResponse { tablets }))
    }
}

/// Total and available bytes of the filesystem holding `path`.
fn disk_space(path: &std::path::Path) -> (u64, u64) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return (0, 0);
    };
    // SAFETY: statvfs only writes into the zeroed struct we pass and reads the
    // NUL-terminated path, which outlives the call.
    unsafe {
        let mut stat: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c_path.as_ptr(), &mut stat) != 0 {
            return (0, 0);
        }
        let frsize = stat.f_frsize as u64;
        (stat.f_blocks as u64 * frsize, stat.f_bavail as u64 * frsize)
    }
}
