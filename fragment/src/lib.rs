//! Plan fragments: the part of a query plan the FE ships to a BE to run next
//! to a tablet's rows, so that only its (small) result crosses the network.
//!
//! ```text
//!   FE plan                                 BE, per tablet
//!   AggregateExec (final)
//!     TabletScanExec ── ScanTicket ────────▶ AggregateExec (partial)
//!       + fragment bytes                       FilterExec / ProjectionExec
//!                                                TabletInput ◀── the tablet's rows
//! ```
//!
//! A fragment is a DataFusion physical plan encoded with `datafusion-proto`.
//! Its leaf is a [`TabletInput`], which the FE encodes as a placeholder and
//! the BE decodes with the tablet's rows behind it. Both sides register the
//! same [`functions`], so every expression the FE can plan the BE can decode.

pub mod codec;
pub mod filter;
pub mod functions;
pub mod input;

pub use codec::{decode, encode, task_context};
pub use filter::fast_filters;
pub use input::{RowSource, TabletInput, conform};
