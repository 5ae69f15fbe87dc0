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
