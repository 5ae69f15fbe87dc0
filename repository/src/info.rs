//! The job-info file `__info_<timestamp>` (spec §8.3): which tables,
//! partitions, indexes and tablets a snapshot holds, at which versions.
//! Field names are StarRocks'; `tablets` maps each tablet to its stored file
//! names (with checksum), which a restore uses to check it received every file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// StarRocks' `meta_version` written by newest releases.
pub const META_VERSION: i32 = 92;
/// StarRocks' `starrocks_meta_version` (JSON meta) written by newest releases.
pub const STARROCKS_META_VERSION: i32 = 4;
/// Our own revision of this document; 1 is the first.
pub const STARLING_INFO_VERSION: u32 = 1;
/// `backup_result` of a complete snapshot.
pub const SUCCEED: &str = "succeed";

/// The whole job-info document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobInfo {
    /// Snapshot label.
    pub name: String,
    /// Source database name.
    #[serde(default)]
    pub database: String,
    /// Source database id.
    pub id: u64,
    /// Job create time, epoch ms (the backup timestamp).
    pub backup_time: i64,
    /// StarRocks meta version.
    #[serde(default = "default_meta_version")]
    pub meta_version: i32,
    /// StarRocks JSON meta version.
    #[serde(default = "default_sr_meta_version")]
    pub starrocks_meta_version: i32,
    /// `succeed` for a complete snapshot.
    pub backup_result: String,
    /// Table name → what of it was backed up.
    pub backup_objects: BTreeMap<String, TableInfo>,
    /// Id of the cluster that wrote the snapshot (absent in snapshots of other systems).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<u64>,
    /// Revision of this document as written by Starling (absent: 1).
    #[serde(default = "default_starling_version")]
    pub starling_info_version: u32,
}

fn default_meta_version() -> i32 {
    META_VERSION
}

fn default_sr_meta_version() -> i32 {
    STARROCKS_META_VERSION
}

fn default_starling_version() -> u32 {
    1
}

/// One backed-up table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Source table id.
    pub id: u64,
    /// Auto-increment counter, when the table has one.
    #[serde(rename = "autoIncrementId", default, skip_serializing_if = "Option::is_none")]
    pub auto_increment_id: Option<i64>,
    /// Partition name → partition.
    pub partitions: BTreeMap<String, PartitionInfo>,
}

/// One backed-up logical partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionInfo {
    /// Source partition id.
    pub id: u64,
    /// Visible version captured when the backup started.
    pub version: u64,
    /// Always 0.
    #[serde(default)]
    pub version_hash: u64,
    /// Pre-3.4 shape (index name → index); empty when written by us.
    #[serde(default)]
    pub indexes: BTreeMap<String, IndexInfo>,
    /// Physical partition id → physical partition.
    #[serde(rename = "subPartitions", default)]
    pub sub_partitions: BTreeMap<String, PhysicalPartitionInfo>,
}

/// One physical partition (ours: exactly one per partition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhysicalPartitionInfo {
    /// Source physical partition id.
    pub id: u64,
    /// Visible version.
    pub version: u64,
    /// Index name → index.
    pub indexes: BTreeMap<String, IndexInfo>,
}

/// One index: its tablets in bucket order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexInfo {
    /// Source index id.
    pub id: u64,
    /// Schema hash.
    pub schema_hash: u32,
    /// Tablet id → stored file names (with checksum suffix).
    pub tablets: BTreeMap<String, Vec<String>>,
    /// Tablet ids in bucket order (strings or numbers when read).
    #[serde(default, deserialize_with = "ids_as_strings")]
    pub tablets_order: Vec<String>,
}

impl IndexInfo {
    /// Tablet ids in bucket order; old snapshots without `tablets_order`
    /// are ordered by numeric id.
    pub fn ordered_tablets(&self) -> Vec<String> {
        if !self.tablets_order.is_empty() {
            return self.tablets_order.clone();
        }
        let mut ids: Vec<String> = self.tablets.keys().cloned().collect();
        ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(u64::MAX));
        ids
    }
}

fn ids_as_strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let values: Vec<serde_json::Value> = Vec::deserialize(d)?;
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            serde_json::Value::Number(n) => Ok(n.to_string()),
            other => Err(serde::de::Error::custom(format!("bad tablet id {other}"))),
        })
        .collect()
}

impl JobInfo {
    /// Decodes the document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::RepoError> {
        serde_json::from_slice(bytes)
            .map_err(|e| crate::RepoError::BadFormat(format!("invalid job info: {e}")))
    }

    /// Encodes the document.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The brief form SHOW SNAPSHOT prints in `Details`: names only, pretty
    /// printed with a one-space indent.
    pub fn brief(&self) -> String {
        use serde_json::{Map, Value, json};
        let mut objects = Map::new();
        for (table, info) in &self.backup_objects {
            let partitions: Map<String, Value> =
                info.partitions.keys().map(|p| (p.clone(), json!({}))).collect();
            let mut entry = Map::new();
            if let Some(id) = info.auto_increment_id {
                entry.insert("autoIncrementId".into(), json!(id));
            }
            entry.insert("partitions".into(), Value::Object(partitions));
            objects.insert(table.clone(), Value::Object(entry));
        }
        let doc = json!({
            "name": self.name,
            "database": self.database,
            "backup_time": self.backup_time,
            "backup_objects": objects,
            "meta_version": self.meta_version,
            "starrocks_meta_version": self.starrocks_meta_version,
            "backup_result": self.backup_result,
        });
        let mut out = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
        if doc.serialize(&mut ser).is_err() {
            return String::new();
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_doris_style_numeric_tablet_order_and_defaults() {
        let text = r#"{"name":"s","database":"d","id":3,"backup_time":5,"backup_result":"succeed",
            "backup_objects":{"t":{"id":9,"partitions":{"t":{"id":10,"version":2,
            "indexes":{"t":{"id":11,"schema_hash":1,"tablets":{"13":[],"12":[]},"tablets_order":[13,12]}}}}}}}"#;
        let info = JobInfo::from_json(text.as_bytes()).expect("decodes");
        assert_eq!(info.meta_version, META_VERSION);
        let index = &info.backup_objects["t"].partitions["t"].indexes["t"];
        assert_eq!(index.ordered_tablets(), vec!["13", "12"]);
        let unordered = IndexInfo {
            tablets_order: vec![],
            ..index.clone()
        };
        assert_eq!(unordered.ordered_tablets(), vec!["12", "13"]);
    }

    #[test]
    fn brief_lists_names_only() {
        let text = r#"{"name":"s","database":"d","id":3,"backup_time":5,"backup_result":"succeed",
            "backup_objects":{"t":{"id":9,"partitions":{"p1":{"id":10,"version":2}}}}}"#;
        let brief = JobInfo::from_json(text.as_bytes()).expect("decodes").brief();
        assert!(
            brief.contains("\n \"backup_objects\": {\n  \"t\": {\n   \"partitions\": {\n    \"p1\": {}"),
            "{brief}"
        );
        assert!(!brief.contains("version\": 2"), "{brief}");
    }
}
