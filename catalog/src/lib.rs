//! Starling's metadata: databases, tables, partitions, tablets, replicas,
//! backends and users, kept in memory and persisted in RocksDB.
//!
//! ```text
//!   FE handler ──update(|txn| …)──▶ Catalog ──one WriteBatch──▶ Store (RocksDB)
//!                                     │
//!                                     └── in-memory State (read by every query)
//! ```
//!
//! The whole catalog lives in memory, as in StarRocks; RocksDB is its durable
//! copy. Every change goes through [`Catalog::update`]: the closure reads the
//! current state and records [`Change`]s; they are written as one atomic,
//! synced write batch (together with the id counter) and only then applied in
//! memory, so an acknowledged change survives `kill -9` and a failed write leaves
//! both copies untouched. Start reading at [`Catalog`], then [`model`].
//!
//! This crate knows no SQL and no networking.

#![warn(missing_docs)]

mod catalog;
mod error;
mod keys;
pub mod model;
mod store;

pub use catalog::{Catalog, Change, State, Txn};
pub use error::CatalogError;
pub use model::*;
