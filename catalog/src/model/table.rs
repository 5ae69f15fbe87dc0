//! OLAP tables.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::partition::Partition;
use super::types::ColumnType;

/// How rows with equal keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeysKind {
    /// `DUPLICATE KEY`: every row is kept.
    Duplicate,
    /// `PRIMARY KEY`: the last row of a key wins.
    Primary,
}

impl KeysKind {
    /// The keyword pair as SQL spells it (`DUPLICATE KEY`).
    pub fn sql(&self) -> &'static str {
        match self {
            Self::Duplicate => "DUPLICATE KEY",
            Self::Primary => "PRIMARY KEY",
        }
    }

    /// The name `SHOW`/`information_schema` print (`DUP_KEYS`, `PRIMARY_KEYS`).
    pub fn starrocks_name(&self) -> &'static str {
        match self {
            Self::Duplicate => "DUP_KEYS",
            Self::Primary => "PRIMARY_KEYS",
        }
    }
}

/// Whether a table can be read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableState {
    /// Usable.
    #[default]
    Normal,
    /// Being restored; invisible to queries and loads.
    Restore,
}

/// A column's default value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnDefault {
    /// A constant, as literal text.
    Value(String),
    /// `CURRENT_TIMESTAMP`.
    CurrentTimestamp,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "column_type")]
    pub ty: ColumnType,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// Whether the column is one of the key columns.
    pub is_key: bool,
    /// Default value; `None` means NULL for nullable columns and "required" otherwise.
    pub default: Option<ColumnDefault>,
    /// Comment, empty if none.
    #[serde(default)]
    pub comment: String,
}

/// How rows are split into partitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Partitioning {
    /// One partition named like the table.
    Unpartitioned,
    /// `PARTITION BY RANGE(columns)`.
    Range {
        /// Partition column names, in order.
        columns: Vec<String>,
    },
}

/// How a partition's rows are split into tablets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    /// `DISTRIBUTED BY HASH(columns) BUCKETS n`.
    Hash {
        /// Distribution column names.
        columns: Vec<String>,
        /// Tablets per partition.
        buckets: u32,
    },
    /// `DISTRIBUTED BY RANDOM BUCKETS n`.
    Random {
        /// Tablets per partition.
        buckets: u32,
    },
}

impl Distribution {
    /// Tablets per partition.
    pub fn buckets(&self) -> u32 {
        match self {
            Self::Hash { buckets, .. } | Self::Random { buckets } => *buckets,
        }
    }
}

/// An OLAP table with all its partitions, tablets and replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// Catalog-wide unique id.
    pub id: u64,
    /// The database it belongs to.
    pub db_id: u64,
    /// Name, unique in its database.
    pub name: String,
    /// Normal or being restored.
    #[serde(default)]
    pub state: TableState,
    /// Key model.
    pub keys_kind: KeysKind,
    /// Columns in schema order; key columns first.
    pub columns: Vec<Column>,
    /// Partitioning scheme.
    pub partitioning: Partitioning,
    /// Bucketing scheme.
    pub distribution: Distribution,
    /// Partitions; for range partitioning, sorted by range.
    pub partitions: Vec<Partition>,
    /// User-visible properties (`replication_num`, ...), as given or defaulted.
    pub properties: BTreeMap<String, String>,
    /// Table comment, empty if none.
    #[serde(default)]
    pub comment: String,
    /// Id of the base index (StarRocks' rollup root; tablets belong to it).
    pub index_id: u64,
    /// Schema hash carried in tablet metadata and snapshot layout.
    pub schema_hash: u32,
    /// Creation time, epoch milliseconds.
    pub created_ms: i64,
}

impl Table {
    /// A column by name (case-insensitive, as StarRocks resolves columns).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// A partition by name (case-insensitive, as StarRocks resolves partitions).
    pub fn partition(&self, name: &str) -> Option<&Partition> {
        self.partitions.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Replicas per tablet for new partitions.
    pub fn replication_num(&self) -> u32 {
        self.properties
            .get("replication_num")
            .and_then(|v| v.parse().ok())
            .unwrap_or(3)
    }

    /// Types of the range partition columns (empty when unpartitioned).
    pub fn partition_column_types(&self) -> Vec<ColumnType> {
        match &self.partitioning {
            Partitioning::Unpartitioned => Vec::new(),
            Partitioning::Range { columns } => columns
                .iter()
                .filter_map(|c| self.column(c).map(|c| c.ty))
                .collect(),
        }
    }

    /// Rows stored at the visible versions.
    pub fn row_count(&self) -> u64 {
        self.partitions.iter().map(|p| p.row_count).sum()
    }

    /// Bytes of data files at the visible versions (one replica per tablet).
    pub fn data_size(&self) -> u64 {
        self.partitions.iter().map(|p| p.data_size).sum()
    }

    /// When the newest version of any partition became visible, epoch ms.
    pub fn last_load_ms(&self) -> i64 {
        self.partitions
            .iter()
            .map(|p| p.visible_version_time_ms)
            .max()
            .unwrap_or(0)
    }

    /// Every tablet id of the table, in partition then bucket order.
    pub fn tablet_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.partitions
            .iter()
            .flat_map(|p| p.tablets.iter().map(|t| t.id))
    }
}
