//! Backends (BE processes) registered with `ALTER SYSTEM ADD BACKEND`.

use serde::{Deserialize, Serialize};

/// A registered BE. Liveness is not persisted: the FE learns it from heartbeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backend {
    /// Catalog-wide unique id.
    pub id: u64,
    /// Host name or IP the FE connects to.
    pub host: String,
    /// Port of the BE's task service.
    pub port: u16,
    /// When the backend was added, epoch milliseconds.
    pub added_ms: i64,
}

impl Backend {
    /// `host:port`, as users name a backend.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}
