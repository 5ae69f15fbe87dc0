//! Partitions, range keys, tablets and replicas.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::types::ColumnType;

/// One value of a range partition key, normalised so that derived ordering is
/// the type's ordering: integers numerically, dates and datetimes as canonical
/// text (which sorts chronologically).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPart {
    /// Below every value (the lower bound of the first `LESS THAN` partition).
    Min,
    /// An integer value. Stored as a JSON number when it fits 64 bits, else as
    /// text: serde cannot carry `i128` through the flattened, versioned records.
    Int(#[serde(with = "wide_int")] i128),
    /// A date (`YYYY-MM-DD`) or datetime (`YYYY-MM-DD HH:MM:SS`).
    Text(String),
    /// Above every value (`MAXVALUE`).
    Max,
}

impl KeyPart {
    /// Parses a literal for a partition column of type `ty`.
    pub fn parse(ty: &ColumnType, text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some((lo, hi)) = ty.integer_range() {
            let v: i128 = text
                .parse()
                .map_err(|_| format!("Invalid number format: {text}"))?;
            if v < lo || v > hi {
                return Err(format!("Number out of range[{text}]. type: {}", ty.short_name()));
            }
            // The type minimum is how StarRocks spells "no lower bound".
            return Ok(if v == lo { Self::Min } else { Self::Int(v) });
        }
        match ty {
            ColumnType::Date => {
                let d = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| format!("date literal '{text}' is invalid"))?;
                let s = d.format("%Y-%m-%d").to_string();
                Ok(if s == "0000-01-01" {
                    Self::Min
                } else {
                    Self::Text(s)
                })
            }
            ColumnType::DateTime => {
                let dt = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                    .or_else(|_| {
                        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                            .map(|d| d.and_time(chrono::NaiveTime::MIN))
                    })
                    .map_err(|_| format!("datetime literal '{text}' is invalid"))?;
                let s = dt.format("%Y-%m-%d %H:%M:%S").to_string();
                Ok(if s == "0000-01-01 00:00:00" {
                    Self::Min
                } else {
                    Self::Text(s)
                })
            }
            other => Err(format!(
                "Type[{}] can not be a partition column",
                other.short_name()
            )),
        }
    }

    /// The literal text of this value for a column of type `ty`.
    pub fn literal(&self, ty: &ColumnType) -> String {
        match self {
            Self::Min => match ty.integer_range() {
                Some((lo, _)) => lo.to_string(),
                None if *ty == ColumnType::DateTime => "0000-01-01 00:00:00".to_string(),
                None => "0000-01-01".to_string(),
            },
            Self::Int(v) => v.to_string(),
            Self::Text(s) => s.clone(),
            Self::Max => "MAXVALUE".to_string(),
        }
    }
}

/// A (possibly multi-column) partition key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartitionKey(pub Vec<KeyPart>);

impl PartitionKey {
    /// The key below every value, for `columns` partition columns.
    pub fn min(columns: usize) -> Self {
        Self(vec![KeyPart::Min; columns])
    }
}

/// A half-open range `[lower, upper)` of partition keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartitionRange {
    /// Inclusive lower bound.
    pub lower: PartitionKey,
    /// Exclusive upper bound.
    pub upper: PartitionKey,
}

impl PartitionRange {
    /// Whether two ranges share any key.
    pub fn intersects(&self, other: &PartitionRange) -> bool {
        self.lower < other.upper && other.lower < self.upper
    }

    /// StarRocks' `SHOW PARTITIONS` rendering:
    /// `[types: [DATE]; keys: [2020-01-01]; ..types: [DATE]; keys: [2020-02-01]; )`.
    pub fn describe(&self, types: &[ColumnType]) -> String {
        format!(
            "[{}..{})",
            RangeEnd(&self.lower, types),
            RangeEnd(&self.upper, types)
        )
    }
}

struct RangeEnd<'a>(&'a PartitionKey, &'a [ColumnType]);

impl fmt::Display for RangeEnd<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.1.iter().map(|t| t.short_name()).collect();
        let keys: Vec<_> = self.0.0.iter().zip(self.1).map(|(k, t)| k.literal(t)).collect();
        write!(f, "types: [{}]; keys: [{}]; ", names.join(", "), keys.join(", "))
    }
}

/// One replica of a tablet, on one backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replica {
    /// Catalog-wide unique id.
    pub id: u64,
    /// The backend holding it.
    pub backend_id: u64,
    /// Newest version this replica has applied.
    pub version: u64,
}

/// One bucket of a partition, stored as `replication_num` replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tablet {
    /// Catalog-wide unique id.
    pub id: u64,
    /// Its replicas, on distinct backends.
    pub replicas: Vec<Replica>,
}

/// A partition of a table: a key range (or the whole table) split into buckets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// Catalog-wide unique id.
    pub id: u64,
    /// Name; for an unpartitioned table, the table's name.
    pub name: String,
    /// Key range, `None` for an unpartitioned table.
    pub range: Option<PartitionRange>,
    /// Newest published version; 1 for an empty partition.
    pub visible_version: u64,
    /// When the visible version was published, epoch milliseconds.
    pub visible_version_time_ms: i64,
    /// Replicas per tablet.
    pub replication_num: u32,
    /// Tablets, in bucket order.
    pub tablets: Vec<Tablet>,
    /// Rows stored at the visible version (sum over tablets, one replica each).
    #[serde(default)]
    pub row_count: u64,
    /// Bytes of data files at the visible version (one replica per tablet).
    #[serde(default)]
    pub data_size: u64,
}

/// (De)serialises an `i128` as a 64-bit number when it fits, else as a string.
mod wide_int {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        match i64::try_from(*v) {
            Ok(small) => s.serialize_i64(small),
            Err(_) => s.serialize_str(&v.to_string()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        struct Wide;
        impl Visitor<'_> for Wide {
            type Value = i128;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an integer or an integer string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
                Ok(i128::from(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
                Ok(i128::from(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<i128, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Wide)
    }
}
