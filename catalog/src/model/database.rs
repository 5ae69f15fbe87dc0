//! Databases.

use serde::{Deserialize, Serialize};

/// A database: a named set of tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    /// Catalog-wide unique id.
    pub id: u64,
    /// Name, case-sensitive as in StarRocks.
    pub name: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
}
