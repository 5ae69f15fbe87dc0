//! Snapshot repositories: the on-storage layout StarRocks uses for BACKUP and
//! RESTORE, over `object_store` (a local or NFS directory via `file://`, or
//! S3-compatible storage via `s3://` / `s3a://`).
//!
//! ```text
//! <location>/
//!   __starrocks_repository_<name>/          (or __palo_repository_<name>/ when one exists)
//!     __repo_info                           {"name": .., "create_time": "yyyy-MM-dd HH:mm:ss"}
//!     __ss_<label>/
//!       __meta.<md5>                        table definitions, see [`meta`]
//!       __info_<yyyy-MM-dd-HH-mm-ss-SSS>.<md5>   job info JSON, see [`info`]
//!       __ss_content/__db_<id>/__tbl_<id>/__part_<id>/__idx_<id>/__<tablet>/<file>.<md5>
//! ```
//!
//! Every file but `__repo_info` carries the lowercase hex MD5 of its content
//! after its name. Small logical files are written as `<name>.part` and then
//! renamed, so a reader never sees half a file under its final name; tablet
//! files are streamed while their MD5 is computed ([`transfer`]).
//!
//! Start at [`Repository::open`].

#![warn(missing_docs)]

pub mod error;
pub mod hasher;
pub mod info;
pub mod layout;
pub mod location;
pub mod md5x;
pub mod meta;
pub mod rate;
mod repo;
pub mod transfer;

pub use error::RepoError;
pub use info::JobInfo;
pub use layout::TabletPath;
pub use rate::RateLimiter;
pub use repo::{InfoFile, Listing, RemoteFile, Repository, SnapshotFiles};
