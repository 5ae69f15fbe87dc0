//! SELECT over OLAP tables with DataFusion.
//!
//! ```text
//!   SQL ──DataFusion (MySQL dialect)──▶ plan ──scan──▶ provider::OlapTableProvider
//!                                                    │ prunes partitions and buckets
//!                                                    ▼
//!                                   one stream per tablet: Arrow Flight do_get
//!                                   from one alive replica (next on failure)
//! ```
//!
//! [`engine`] builds the DataFusion session over the catalog, [`provider`] is
//! the table and scan, [`prune`] decides which tablets a filter can touch,
//! [`types`] maps column types to Arrow, [`output`] turns batches into rows for
//! the MySQL protocol.

pub mod engine;
pub mod functions;
pub mod information_schema;
pub mod mysql_compat;
pub mod output;
pub mod provider;
pub mod prune;
pub mod types;
