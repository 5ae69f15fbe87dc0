//! Names inside a repository (spec §8.1). Paths here are relative to the
//! repository root (`<location>/__starrocks_repository_<name>`), joined by `/`.

/// Directory prefix of repositories created by StarRocks (and by us).
pub const REPO_PREFIX: &str = "__starrocks_repository_";
/// Directory prefix of repositories created by Apache Doris / Palo; adopted when present.
pub const LEGACY_REPO_PREFIX: &str = "__palo_repository_";
/// The repository's identity file.
pub const REPO_INFO: &str = "__repo_info";
/// Prefix of a snapshot directory.
pub const SNAPSHOT_PREFIX: &str = "__ss_";
/// The table definitions of a snapshot.
pub const META_FILE: &str = "__meta";
/// Prefix of the job-info file; the backup timestamp follows.
pub const INFO_PREFIX: &str = "__info_";
/// Reserves a snapshot's label while its backup runs (Starling's; StarRocks
/// readers ignore it). Holds the reserving cluster and job as text.
pub const LABEL_FILE: &str = "__label";
/// Directory of the tablet files of a snapshot.
pub const CONTENT_DIR: &str = "__ss_content";
/// Suffix of a file being written.
pub const PART_SUFFIX: &str = ".part";

/// The directory of snapshot `label`.
pub fn snapshot_dir(label: &str) -> String {
    format!("{SNAPSHOT_PREFIX}{label}")
}

/// The job-info file name of a backup taken at `timestamp`, without checksum.
pub fn info_name(timestamp: &str) -> String {
    format!("{INFO_PREFIX}{timestamp}")
}

/// Where one tablet's files live in a snapshot. Ids are the source cluster's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabletPath {
    /// Source database id.
    pub db_id: u64,
    /// Source table id.
    pub table_id: u64,
    /// Source (physical) partition id.
    pub partition_id: u64,
    /// Source index id.
    pub index_id: u64,
    /// Source tablet id.
    pub tablet_id: u64,
}

impl TabletPath {
    /// The tablet directory of snapshot `label`.
    pub fn dir(&self, label: &str) -> String {
        format!(
            "{}/{CONTENT_DIR}/__db_{}/__tbl_{}/__part_{}/__idx_{}/__{}",
            snapshot_dir(label),
            self.db_id,
            self.table_id,
            self.partition_id,
            self.index_id,
            self.tablet_id
        )
    }
}

/// `name` with its checksum suffix.
pub fn with_checksum(name: &str, md5: &str) -> String {
    format!("{name}.{md5}")
}

/// Splits a stored name into (name, md5) when it ends in a 32-character hex MD5.
pub fn split_checksum(stored: &str) -> Option<(&str, &str)> {
    let (name, md5) = stored.rsplit_once('.')?;
    (md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit())).then_some((name, md5))
}

/// Formats a backup timestamp (`yyyy-MM-dd-HH-mm-ss-SSS`, local time) from epoch ms.
pub fn backup_timestamp(epoch_ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(epoch_ms) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.format("%Y-%m-%d-%H-%M-%S-%3f").to_string()
        }
        chrono::LocalResult::None => epoch_ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tablet_dir_follows_the_starrocks_layout() {
        let p = TabletPath {
            db_id: 1,
            table_id: 2,
            partition_id: 3,
            index_id: 4,
            tablet_id: 5,
        };
        assert_eq!(
            p.dir("l1"),
            "__ss_l1/__ss_content/__db_1/__tbl_2/__part_3/__idx_4/__5"
        );
    }

    #[test]
    fn checksum_suffix_is_32_hex_chars() {
        let md5 = "0123456789abcdef0123456789abcdef";
        let stored = with_checksum("v2_7_0.parquet", md5);
        assert_eq!(split_checksum(&stored), Some(("v2_7_0.parquet", md5)));
        assert_eq!(split_checksum("v2_7_0.parquet"), None);
        assert_eq!(split_checksum("__info_x.part"), None);
    }

    #[test]
    fn timestamps_have_millisecond_precision() {
        let ts = backup_timestamp(1_700_000_000_123);
        assert_eq!(ts.len(), "yyyy-MM-dd-HH-mm-ss-SSS".len());
        assert!(ts.ends_with("-123"), "{ts}");
    }
}
