//! Snapshot repositories registered with `CREATE REPOSITORY`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A named handle on a remote location. `properties` hold credentials: the
/// `Debug` form leaves them out, and nothing shows them to clients.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// Id from the catalog counter.
    pub id: u64,
    /// Unique name.
    pub name: String,
    /// `yyyy-MM-dd HH:mm:ss`, adopted from the remote `__repo_info` when one existed.
    pub create_time: String,
    /// Created with `READ ONLY`.
    pub read_only: bool,
    /// Location without trailing `/`.
    pub location: String,
    /// Broker name; empty for broker-less repositories.
    pub broker: String,
    /// Storage properties (credentials, endpoint, region).
    pub properties: BTreeMap<String, String>,
}

impl fmt::Debug for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repository")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("read_only", &self.read_only)
            .field("location", &self.location)
            .field("property_keys", &self.properties.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
