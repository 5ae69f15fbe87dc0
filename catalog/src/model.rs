//! Persisted catalog records.
//!
//! Every record is stored as JSON with a format version field `v`
//! ([`FORMAT_VERSION`]). Fields added later carry `#[serde(default)]`, so values
//! written by older builds stay readable; `catalog/tests/compat` holds values
//! written by every released format and a test that loads them.

mod backend;
mod database;
mod job;
mod job_history;
mod job_status;
mod label;
mod partition;
mod privilege;
mod repository;
mod restore_job;
mod table;
mod types;
mod user;
mod variable;

pub use backend::Backend;
pub use database::Database;
pub use job::{BackupJob, BackupState, BackupTableRef, Job, TabletSnapshot};
pub use job_history::{JobProgress, JobRecord, JobType};
pub use job_status::{JobPause, JobStatus, StatusCode};
pub use label::LoadLabel;
pub use partition::{KeyPart, Partition, PartitionKey, PartitionRange, Replica, Tablet};
pub use privilege::{
    ALL_PRIVILEGES, ObjectType, Privilege, PrivilegeGrant, PrivilegeObject, Role, add_grant, remove_grant,
};
pub use repository::Repository;
pub use restore_job::{
    PartitionVersion, PlannedTable, RestoreJob, RestorePlan, RestoreState, RestoreTableRef, RestoreTablet,
};
pub use table::{Column, ColumnDefault, Distribution, KeysKind, Partitioning, Table, TableState};
pub use types::{ColumnType, STRING_LEN};
pub use user::User;
pub use variable::GlobalVariable;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CatalogError;

/// Newest record format this build writes and reads. Version 2 added roles
/// and users' roles, default roles and grants (all defaulted when absent);
/// version 3 jobs' pauses; version 4 the job history and jobs' byte counts.
pub const FORMAT_VERSION: u32 = 4;

#[derive(Serialize)]
struct VersionedRef<'a, T> {
    v: u32,
    #[serde(flatten)]
    body: &'a T,
}

#[derive(serde::Deserialize)]
struct Versioned<T> {
    v: u32,
    #[serde(flatten)]
    body: T,
}

/// Encodes a record with the current format version.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain data structs to a Vec cannot fail.
    serde_json::to_vec(&VersionedRef {
        v: FORMAT_VERSION,
        body: value,
    })
    .expect("catalog records are plain serde structs")
}

/// Decodes a record written by this or an older format version.
pub fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, CatalogError> {
    let versioned: Versioned<T> = serde_json::from_slice(bytes).map_err(|e| CatalogError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })?;
    if versioned.v > FORMAT_VERSION || versioned.v == 0 {
        return Err(CatalogError::UnsupportedVersion {
            key: key.to_string(),
            found: versioned.v,
            known: FORMAT_VERSION,
        });
    }
    Ok(versioned.body)
}
