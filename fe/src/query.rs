//! SELECT over OLAP tables with DataFusion.
//!
//! ```text
//!   SQL ──DataFusion (MySQL dialect)──▶ plan ──scan──▶ provider::OlapTableProvider
//!                                                    │ prunes partitions and buckets
//!                                                    ▼
//!                                   scan::TabletScanExec: one stream per tablet,
//!                                   Arrow Flight do_get from one alive replica
//!                                   (next on failure); pushdown:: moves partial
//!                                   aggregates into it, to run on the BEs
//! ```
//!
//! [`engine`] builds the DataFusion session over the catalog (with the
//! [`decimal_literals`] rewrite), [`provider`] is
//! the table, [`scan`] the scan, [`pushdown`] the rule that runs partial
//! aggregates on the BEs, [`prune`] decides which tablets a filter can touch,
//! [`types`] maps column types to Arrow, [`output`] turns batches into rows for
//! the MySQL protocol, [`rows`] runs `WHERE`/`ORDER BY`/`LIMIT` over `SHOW` rows.

pub mod be_configs;
pub mod decimal_literals;
pub mod engine;
pub mod information_schema;
pub mod mysql_compat;
pub mod output;
pub mod provider;
pub mod prune;
pub mod pushdown;
pub mod rows;
pub mod scan;
pub mod types;
