//! The FE's view of its backends: liveness from heartbeats, task RPCs, and
//! replica placement.
//!
//! Membership is persisted in the catalog (`ALTER SYSTEM ADD BACKEND`); liveness
//! is volatile and rebuilt from heartbeats after an FE restart.

mod placement;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use catalog::{Backend, Catalog};
use futures::future::join_all;
use parking_lot::{Mutex, RwLock};
use rpc::BackendClient;
use rpc::pb;
use tonic::transport::{Channel, Endpoint};

pub use placement::place_replicas;

use crate::error::FeError;

/// Tablets per CREATE request to one backend.
const CREATE_BATCH: usize = 1024;

/// Largest gRPC message sent to or accepted from a BE.
pub const MAX_MESSAGE: usize = 256 * 1024 * 1024;

/// What heartbeats taught us about one backend.
#[derive(Debug, Clone, Default)]
pub struct BackendStatus {
    /// Whether the last heartbeat succeeded.
    pub alive: bool,
    /// Time of the last heartbeat attempt, epoch ms (0: never).
    pub last_heartbeat_ms: i64,
    /// When the BE process started, epoch ms (0: unknown).
    pub start_time_ms: i64,
    /// Why the last heartbeat failed, empty if it did not.
    pub err_msg: String,
    /// Tablet replicas the BE holds.
    pub tablet_num: u64,
    /// Bytes of tablet data.
    pub data_used_bytes: u64,
    /// Filesystem size.
    pub disk_total_bytes: u64,
    /// Filesystem free space.
    pub disk_available_bytes: u64,
    /// BE version string.
    pub version: String,
    /// The BE's HTTP port (0: unknown).
    pub http_port: u16,
    /// Bytes the BE's BACKUP uploads moved since it started.
    pub uploaded_bytes: u64,
    /// Bytes the BE's RESTORE downloads moved since it started.
    pub downloaded_bytes: u64,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").finish_non_exhaustive()
    }
}

/// Backends, their liveness, and connections to them.
pub struct Cluster {
    catalog: Arc<Catalog>,
    status: RwLock<HashMap<u64, BackendStatus>>,
    channels: Mutex<HashMap<u64, (String, Channel)>>,
    rpc_timeout: Duration,
    /// The FE's HTTP port, sent with heartbeats (BEs check credentials there).
    http_port: std::sync::atomic::AtomicU32,
}

impl Cluster {
    /// A cluster view over the catalog's backends.
    pub fn new(catalog: Arc<Catalog>, rpc_timeout: Duration) -> Self {
        Self {
            catalog,
            status: RwLock::new(HashMap::new()),
            channels: Mutex::new(HashMap::new()),
            rpc_timeout,
            http_port: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Tells BEs, with every heartbeat, the FE's HTTP port.
    pub fn set_http_port(&self, port: u16) {
        self.http_port
            .store(u32::from(port), std::sync::atomic::Ordering::Relaxed);
    }

    /// A gRPC client for a backend; channels are created lazily and reused.
    pub fn client(&self, be: &Backend) -> Result<BackendClient<Channel>, FeError> {
        Ok(BackendClient::new(self.channel(be)?)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE))
    }

    /// The connection to a backend (task service and Flight share it).
    pub fn channel(&self, be: &Backend) -> Result<Channel, FeError> {
        let address = be.address();
        let mut channels = self.channels.lock();
        if let Some((addr, channel)) = channels.get(&be.id)
            && *addr == address
        {
            return Ok(channel.clone());
        }
        let endpoint = Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| FeError::common(format!("invalid backend address {address}: {e}")))?
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true);
        let channel = endpoint.connect_lazy();
        channels.insert(be.id, (address, channel.clone()));
        Ok(channel)
    }

    /// Liveness of one backend.
    pub fn status(&self, backend_id: u64) -> BackendStatus {
        self.status.read().get(&backend_id).cloned().unwrap_or_default()
    }

    /// Registered backends whose last heartbeat succeeded, by id.
    pub fn alive_backends(&self) -> Vec<Backend> {
        let status = self.status.read();
        self.catalog
            .read()
            .backends()
            .filter(|b| status.get(&b.id).is_some_and(|s| s.alive))
            .cloned()
            .collect()
    }

    /// Sends one round of heartbeats to every registered backend, concurrently.
    pub async fn heartbeat_all(&self) {
        let (backends, cluster_id) = {
            let state = self.catalog.read();
            (state.backends().cloned().collect::<Vec<_>>(), state.cluster_id())
        };
        let mut tasks = Vec::new();
        let timeout = self.rpc_timeout;
        let fe_http_port = self.http_port.load(std::sync::atomic::Ordering::Relaxed);
        for be in backends {
            let client = self.client(&be);
            tasks.push(async move {
                let result = match client {
                    Ok(mut c) => {
                        let call = c.heartbeat(pb::HeartbeatRequest {
                            cluster_id,
                            backend_id: be.id,
                            fe_time_ms: now_ms(),
                            fe_http_port,
                        });
                        match tokio::time::timeout(timeout, call).await {
                            Ok(r) => r
                                .map(tonic::Response::into_inner)
                                .map_err(|s| s.message().to_string()),
                            Err(_) => Err(format!("heartbeat timed out after {}s", timeout.as_secs())),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                (be.id, result)
            });
        }
        let results = join_all(tasks).await;
        let now = now_ms();
        let known: Vec<u64> = self.catalog.read().backends().map(|b| b.id).collect();
        let mut status = self.status.write();
        status.retain(|id, _| known.contains(id));
        for (id, result) in results {
            let entry = status.entry(id).or_default();
            entry.last_heartbeat_ms = now;
            match result {
                Ok(resp) => {
                    if !entry.alive {
                        tracing::info!(backend_id = id, "backend is alive");
                    }
                    entry.alive = true;
                    entry.err_msg.clear();
                    entry.start_time_ms = resp.start_time_ms;
                    entry.tablet_num = resp.tablet_count;
                    entry.data_used_bytes = resp.data_used_bytes;
                    entry.disk_total_bytes = resp.disk_total_bytes;
                    entry.disk_available_bytes = resp.disk_available_bytes;
                    entry.version = resp.version;
                    entry.uploaded_bytes = resp.uploaded_bytes;
                    entry.http_port = u16::try_from(resp.http_port).unwrap_or(0);
                    entry.downloaded_bytes = resp.downloaded_bytes;
                }
                Err(msg) => {
                    if entry.alive {
                        tracing::warn!(backend_id = id, error = %msg, "backend heartbeat failed");
                    }
                    entry.alive = false;
                    entry.err_msg = msg;
                }
            }
        }
    }

    /// Heartbeats every `interval` until `shutdown` resolves.
    pub async fn run_heartbeats(
        self: Arc<Self>,
        interval: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = ticker.tick() => self.heartbeat_all().await,
            }
        }
    }

    /// Creates tablet replicas on their backends: one request per backend and
    /// [`CREATE_BATCH`] tablets, all in parallel; fails with the first error
    /// (the caller removes what was created).
    pub async fn create_tablets(
        &self,
        requests: Vec<(Backend, pb::CreateTabletRequest)>,
    ) -> Result<(), FeError> {
        let mut by_backend: HashMap<u64, (Backend, Vec<pb::CreateTabletRequest>)> = HashMap::new();
        for (be, req) in requests {
            by_backend
                .entry(be.id)
                .or_insert_with(|| (be, Vec::new()))
                .1
                .push(req);
        }
        let mut tasks = Vec::new();
        for (be, tablets) in by_backend.into_values() {
            for chunk in tablets.chunks(CREATE_BATCH) {
                let mut client = self.client(&be)?;
                let address = be.address();
                let req = pb::CreateTabletsRequest {
                    tablets: chunk.to_vec(),
                };
                tasks.push(async move {
                    let first = req.tablets.first().map_or(0, |t| t.tablet_id);
                    let count = req.tablets.len();
                    client.create_tablets(req).await.map_err(|s| {
                        FeError::common(format!(
                            "Failed to create {count} tablets (first {first}) on backend {address}: {}",
                            s.message()
                        ))
                    })
                });
            }
        }
        for result in join_all(tasks).await {
            result?;
        }
        Ok(())
    }

    /// Drops tablet replicas; failures are logged, not returned (a BE that is down
    /// keeps an orphan replica, which [`Cluster::sweep_orphans`] finds later).
    pub async fn drop_tablets(&self, replicas: Vec<(Backend, u64)>) {
        self.drop_replicas(replicas, false).await;
    }

    async fn drop_replicas(&self, replicas: Vec<(Backend, u64)>, keep_in_trash: bool) {
        let mut tasks = Vec::new();
        for (be, tablet_id) in replicas {
            let Ok(mut client) = self.client(&be) else {
                continue;
            };
            tasks.push(async move {
                let req = pb::DropTabletRequest {
                    tablet_id,
                    keep_in_trash,
                };
                if let Err(s) = client.drop_tablet(req).await {
                    tracing::warn!(tablet_id, backend = %be.address(), error = %s.message(), "drop tablet failed");
                }
            });
        }
        join_all(tasks).await;
    }

    /// Moves to each alive BE's trash the replicas of tablets the catalog does
    /// not know, once they are older than `grace`: what a crash left between
    /// a catalog change and the BE calls that follow it (a cancelled restore,
    /// a drop while a BE was down). `grace` covers statements that create
    /// replicas before they commit their table. Returns how many were moved.
    pub async fn sweep_orphans(&self, grace: Duration) -> usize {
        let mut orphans = Vec::new();
        for be in self.alive_backends() {
            let Ok(mut client) = self.client(&be) else {
                continue;
            };
            let listed = match client.list_tablets(pb::ListTabletsRequest {}).await {
                Ok(listed) => listed.into_inner().tablets,
                Err(e) => {
                    tracing::debug!(backend = %be.address(), error = %e.message(), "cannot list tablets");
                    continue;
                }
            };
            // Read after listing: a table committed meanwhile is known.
            let known = self.known_tablets();
            orphans.extend(
                listed
                    .into_iter()
                    .filter(|t| t.age_seconds >= grace.as_secs() && !known.contains(&t.tablet_id))
                    .map(|t| (be.clone(), t.tablet_id)),
            );
        }
        for (be, tablet_id) in &orphans {
            tracing::info!(tablet_id, backend = %be.address(), "orphan replica moved to trash");
        }
        let moved = orphans.len();
        self.drop_replicas(orphans, true).await;
        moved
    }

    /// Every tablet id of every table in the catalog.
    fn known_tablets(&self) -> std::collections::HashSet<u64> {
        let state = self.catalog.read();
        state
            .databases()
            .flat_map(|db| state.tables(db.id))
            .flat_map(|t| t.partitions.iter())
            .flat_map(|p| p.tablets.iter().map(|tablet| tablet.id))
            .collect()
    }

    /// Sweeps orphans every `interval` until `shutdown` resolves.
    pub async fn run_orphan_sweeps(
        self: Arc<Self>,
        interval: Duration,
        grace: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                _ = ticker.tick() => {
                    self.sweep_orphans(grace).await;
                }
            }
        }
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
