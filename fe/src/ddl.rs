//! Turning DDL syntax into catalog objects, and catalog objects back into DDL.
//!
//! Pure functions, no I/O: [`table_def`] analyses `CREATE TABLE`, [`ranges`]
//! computes and checks range partitions, [`show_create`] renders
//! `SHOW CREATE TABLE`. Handlers add ids, tablets and the catalog write.

pub mod ranges;
pub mod schema;
pub mod show_create;
pub mod table_def;
