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
//! On the BE, [`masked_aggregates`] swaps the partial aggregation and the
//! filter and projections under it for one operator that aggregates under
//! a row mask instead of copying the passing rows, and [`fast_filters`]
//! swaps any other filter for one that filters once.
//!
//! A fragment is a DataFusion physical plan encoded with `datafusion-proto`.
//! Its leaf is a [`TabletInput`], which the FE encodes as a placeholder and
//! the BE decodes with the tablet's rows behind it. Both sides register the
//! same [`functions`], so every expression the FE can plan the BE can decode.

pub mod aggregate;
pub mod codec;
pub mod decimal;
pub mod filter;
pub mod functions;
pub mod input;
mod unary;

pub use aggregate::masked_aggregates;
pub use codec::{decode, encode, task_context};
pub use filter::fast_filters;
pub use input::{RowSource, TabletInput, conform};
