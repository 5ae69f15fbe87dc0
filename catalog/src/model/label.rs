//! Load labels: each load's unique name in its database, and its outcome.

use serde::{Deserialize, Serialize};

/// A finished load, remembered so that its label cannot be reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadLabel {
    /// The database the label belongs to.
    pub db_id: u64,
    /// The label.
    pub label: String,
    /// The load's transaction id.
    pub txn_id: u64,
    /// The table loaded.
    pub table_id: u64,
    /// `VISIBLE` once published.
    pub state: String,
    /// Rows loaded.
    pub loaded_rows: u64,
    /// Rows filtered out as malformed.
    pub filtered_rows: u64,
    /// When the load finished, epoch milliseconds.
    pub finished_ms: i64,
}
