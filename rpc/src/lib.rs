//! The FE ⇄ BE contract.
//!
//! ```text
//!   FE ──gRPC `starling.backend.Backend`──▶ BE   (heartbeats, tablet tasks)
//! ```
//!
//! The service is defined in `proto/backend.proto` and compiled by `build.rs`
//! (with Debian's `protoc`). The FE uses [`BackendClient`]; the BE implements
//! [`pb::backend_server::Backend`] and serves it with [`BackendServer`].

#![warn(missing_docs)]

/// Generated protobuf messages and the gRPC service.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("starling.backend");
}

pub use pb::backend_client::BackendClient;
pub use pb::backend_server::BackendServer;

/// Version string both processes report.
pub const STARLING_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the FE asks a BE to stream over Arrow Flight `do_get`: one tablet's
/// rows at one version. Sent as JSON in the Flight ticket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScanTicket {
    /// The tablet.
    pub tablet_id: u64,
    /// Read rowsets up to and including this version.
    pub version: u64,
    /// Columns to return, in order; `None` for all stored columns.
    pub columns: Option<Vec<String>>,
    /// For PRIMARY KEY tables, the key columns: later versions replace earlier
    /// rows with the same key, and rows whose `__op` is 1 delete them.
    pub primary_key: Option<Vec<String>>,
    /// Conjunctive row filters the BE may apply (the FE applies them again).
    #[serde(default)]
    pub filters: Vec<ScanFilter>,
    /// A plan fragment (crate `fragment`) to run over the rows instead of
    /// returning them: the BE streams the fragment's output.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "base64_bytes")]
    pub fragment: Option<Vec<u8>>,
}

/// Optional bytes as a base64 string in JSON.
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| STANDARD.decode(t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A `column <op> literal` filter pushed to the BE.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScanFilter {
    /// Stored column name.
    pub column: String,
    /// `=`, `!=`, `<`, `<=`, `>` or `>=`.
    pub op: String,
    /// The literal as text; the BE casts it to the column's type.
    pub value: String,
}

impl ScanTicket {
    /// Encodes the ticket bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a ticket is plain data")
    }

    /// Decodes ticket bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Name of the optional operation column of PRIMARY KEY loads (0 upsert, 1 delete),
/// as in StarRocks.
pub const OP_COLUMN: &str = "__op";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_round_trip_with_and_without_a_fragment() {
        let mut ticket = ScanTicket {
            tablet_id: 7,
            version: 3,
            columns: Some(vec!["a".into()]),
            primary_key: None,
            filters: vec![],
            fragment: None,
        };
        let plain = ticket.encode();
        assert!(!String::from_utf8_lossy(&plain).contains("fragment"));
        assert_eq!(ScanTicket::decode(&plain).expect("decode"), ticket);
        ticket.fragment = Some(vec![0, 1, 2, 255]);
        let with = ticket.encode();
        assert!(String::from_utf8_lossy(&with).contains("\"fragment\":\"AAEC/w==\""));
        assert_eq!(ScanTicket::decode(&with).expect("decode"), ticket);
        let bad = br#"{"tablet_id":1,"version":1,"columns":null,"primary_key":null,"fragment":"!!"}"#;
        assert!(ScanTicket::decode(bad).is_err());
    }
}
