//! Loads: rows in, a new visible version out.
//!
//! ```text
//!  INSERT / Stream Load ──▶ convert (to the table's types, defaults, NOT NULL)
//!        ──▶ route (partition by range, bucket by hash) ──▶ txn:
//!            write parts to every replica ─▶ publish version on every tablet of
//!            each touched partition ─▶ one catalog batch: versions + label
//! ```
//!
//! A load is all or nothing: every replica must store its part, or the
//! transaction is aborted and nothing becomes visible (Starling does not load
//! onto a quorum). Rows become visible only when the catalog batch that raises
//! the partitions' visible versions is written.

pub mod columns;
pub mod convert;
pub mod hash;
pub mod parse;
pub mod route;
pub mod statement;
pub mod txn;
