//! The `__meta` file: the definitions of the backed-up tables.
//!
//! Encoding (ours; StarRocks uses the same frame around its own Gson model):
//! a 4-byte big-endian length, then that many bytes of UTF-8 JSON
//!
//! ```json
//! {"v": 1, "tables": [ <table record>, ... ]}
//! ```
//!
//! where each table record is the catalog's versioned table record (its own
//! `v` field says which revision) trimmed to the backed-up partitions. The
//! records carry everything needed to re-create a table exactly: columns,
//! keys, partitioning with ranges, distribution and buckets, properties,
//! partitions with visible versions and tablets in bucket order.

use serde::{Deserialize, Serialize};

use crate::RepoError;

/// Current revision of the envelope.
pub const SNAPSHOT_META_VERSION: u32 = 1;

/// The decoded `__meta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// Envelope revision.
    pub v: u32,
    /// Table records, opaque to this crate.
    pub tables: Vec<serde_json::Value>,
}

impl SnapshotMeta {
    /// A meta of the current revision.
    pub fn new(tables: Vec<serde_json::Value>) -> Self {
        Self {
            v: SNAPSHOT_META_VERSION,
            tables,
        }
    }

    /// Frames the meta for storage.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(json.len() + 4);
        out.extend_from_slice(&(json.len() as u32).to_be_bytes());
        out.extend_from_slice(&json);
        out
    }

    /// Reads a stored meta; newer envelope revisions are refused.
    pub fn decode(bytes: &[u8]) -> Result<Self, RepoError> {
        let bad = |why: String| RepoError::BadFormat(format!("invalid backup meta: {why}"));
        let (len, body) = bytes
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("too short".into()))?;
        let len = u32::from_be_bytes(*len) as usize;
        if body.len() != len {
            return Err(bad(format!("length {len} but {} bytes follow", body.len())));
        }
        let meta: SnapshotMeta = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
        if meta.v > SNAPSHOT_META_VERSION {
            return Err(bad(format!(
                "format version {} is newer than {SNAPSHOT_META_VERSION}",
                meta.v
            )));
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks_the_frame() {
        let meta = SnapshotMeta::new(vec![serde_json::json!({"v": 1, "name": "t"})]);
        let bytes = meta.encode();
        assert_eq!(SnapshotMeta::decode(&bytes).expect("decodes"), meta);
        assert!(SnapshotMeta::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(SnapshotMeta::decode(b"ab").is_err());
    }

    #[test]
    fn reads_the_version_1_fixture() {
        let bytes = std::fs::read(
            std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
                .join("tests/compat/meta_v1.bin"),
        )
        .expect("fixture");
        let meta = SnapshotMeta::decode(&bytes).expect("v1 stays readable");
        assert_eq!(meta.v, 1);
        assert_eq!(meta.tables[0]["name"], "t1");
    }
}
