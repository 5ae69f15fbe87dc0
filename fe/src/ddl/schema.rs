//! The schema a table's replicas carry: the JSON a BE stores in each tablet
//! meta, and the schema hash that tells replicas of different tables apart.

use catalog::Table;

/// The schema a BE keeps in its tablet meta.
pub fn schema_json(table: &Table) -> String {
    serde_json::json!({
        "keys_kind": table.keys_kind,
        "columns": table.columns,
        "distribution": table.distribution,
    })
    .to_string()
}

/// A schema hash for a new table: stable for its lifetime, different between
/// tables so stale replicas of a dropped table are never mistaken for new ones.
pub fn schema_hash(table_id: u64, table: &Table) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for byte in schema_json(table).bytes().chain(table_id.to_le_bytes()) {
        h ^= u32::from(byte);
        h = h.wrapping_mul(0x0100_0193);
    }
    h & 0x7fff_ffff
}
