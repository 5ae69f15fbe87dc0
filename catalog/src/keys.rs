//! The only place that encodes catalog keys.
//!
//! Each object kind has its own column family; keys inside it are the object id
//! as 8 big-endian bytes, so iteration order is id order. Singletons (the id
//! counter, the cluster id) live in the `meta` family under fixed names.

/// Column family of databases.
pub const CF_DATABASES: &str = "databases";
/// Column family of tables (with their partitions, tablets and replicas).
pub const CF_TABLES: &str = "tables";
/// Column family of backends.
pub const CF_BACKENDS: &str = "backends";
/// Column family of users.
pub const CF_USERS: &str = "users";
/// Column family of roles, keyed by name.
pub const CF_ROLES: &str = "roles";
/// Column family of load labels.
pub const CF_LABELS: &str = "labels";
/// Column family of global variables.
pub const CF_VARIABLES: &str = "variables";
/// Column family of snapshot repositories.
pub const CF_REPOSITORIES: &str = "repositories";
/// Column family of BACKUP/RESTORE jobs: each database's last job, keyed by database id.
pub const CF_JOBS: &str = "jobs";
/// Column family of ended jobs (SHOW JOBS), keyed by submit time then database id.
pub const CF_JOB_HISTORY: &str = "job_history";
/// Column family of singletons.
pub const CF_META: &str = "meta";

/// Every column family the store opens.
pub const ALL_CFS: &[&str] = &[
    CF_DATABASES,
    CF_TABLES,
    CF_BACKENDS,
    CF_USERS,
    CF_ROLES,
    CF_LABELS,
    CF_VARIABLES,
    CF_REPOSITORIES,
    CF_JOBS,
    CF_JOB_HISTORY,
    CF_META,
];

/// Key of the next free object id.
pub const META_NEXT_ID: &[u8] = b"next_id";
/// Key of the cluster id chosen when the catalog was created.
pub const META_CLUSTER_ID: &[u8] = b"cluster_id";

/// Key of an object with a numeric id.
pub fn id_key(id: u64) -> [u8; 8] {
    id.to_be_bytes()
}

/// Key of a user: its name and host, separated by a NUL byte.
pub fn user_key(name: &str, host: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + host.len() + 1);
    key.extend_from_slice(name.as_bytes());
    key.push(0);
    key.extend_from_slice(host.as_bytes());
    key
}

/// Key of a load label: the database id, then the label.
pub fn label_key(db_id: u64, label: &str) -> Vec<u8> {
    let mut key = db_id.to_be_bytes().to_vec();
    key.extend_from_slice(label.as_bytes());
    key
}

/// Key of a job history record: submit time (as sortable bytes), then database id.
pub fn history_key((create_time_ms, db_id): (i64, u64)) -> Vec<u8> {
    // Flipping the sign bit makes negative times sort before positive ones.
    let mut key = ((create_time_ms as u64) ^ (1 << 63)).to_be_bytes().to_vec();
    key.extend_from_slice(&db_id.to_be_bytes());
    key
}

/// Renders a key for error messages.
pub fn describe(cf: &str, key: &[u8]) -> String {
    if key.len() == 8 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(key);
        format!("{cf}/{}", u64::from_be_bytes(bytes))
    } else {
        format!("{cf}/{}", String::from_utf8_lossy(key).replace('\0', "@"))
    }
}
