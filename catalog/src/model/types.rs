//! Column types.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The type of a column, as StarRocks names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ColumnType {
    /// `BOOLEAN`
    Boolean,
    /// `TINYINT`, 1 byte.
    TinyInt,
    /// `SMALLINT`, 2 bytes.
    SmallInt,
    /// `INT`, 4 bytes.
    Int,
    /// `BIGINT`, 8 bytes.
    BigInt,
    /// `LARGEINT`, 16 bytes.
    LargeInt,
    /// `FLOAT`
    Float,
    /// `DOUBLE`
    Double,
    /// `DECIMAL(precision, scale)`
    Decimal {
        /// Total digits, 1..=38.
        precision: u8,
        /// Digits after the point, 0..=precision.
        scale: u8,
    },
    /// `CHAR(n)`
    Char {
        /// Length in bytes.
        len: u32,
    },
    /// `VARCHAR(n)`; `STRING` is `VARCHAR(65533)`.
    Varchar {
        /// Maximum length in bytes.
        len: u32,
    },
    /// `DATE`
    Date,
    /// `DATETIME`
    DateTime,
    /// `JSON`
    Json,
}

/// StarRocks' length of `STRING`.
pub const STRING_LEN: u32 = 65533;

impl ColumnType {
    /// Integer types (partition keys compare numerically).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            Self::TinyInt | Self::SmallInt | Self::Int | Self::BigInt | Self::LargeInt
        )
    }

    /// Range of an integer type.
    pub fn integer_range(&self) -> Option<(i128, i128)> {
        Some(match self {
            Self::TinyInt => (i8::MIN.into(), i8::MAX.into()),
            Self::SmallInt => (i16::MIN.into(), i16::MAX.into()),
            Self::Int => (i32::MIN.into(), i32::MAX.into()),
            Self::BigInt => (i64::MIN.into(), i64::MAX.into()),
            Self::LargeInt => (i128::MIN, i128::MAX),
            _ => return None,
        })
    }

    /// Whether StarRocks accepts the type as a range partition column.
    pub fn can_partition(&self) -> bool {
        self.is_integer() || matches!(self, Self::Date | Self::DateTime)
    }

    /// Upper-case type name as `SHOW PARTITIONS` prints it in ranges (`DATE`, `INT`).
    pub fn short_name(&self) -> &'static str {
        match self {
            Self::Boolean => "BOOLEAN",
            Self::TinyInt => "TINYINT",
            Self::SmallInt => "SMALLINT",
            Self::Int => "INT",
            Self::BigInt => "BIGINT",
            Self::LargeInt => "LARGEINT",
            Self::Float => "FLOAT",
            Self::Double => "DOUBLE",
            Self::Decimal { .. } => "DECIMAL",
            Self::Char { .. } => "CHAR",
            Self::Varchar { .. } => "VARCHAR",
            Self::Date => "DATE",
            Self::DateTime => "DATETIME",
            Self::Json => "JSON",
        }
    }
}

impl fmt::Display for ColumnType {
    /// The type as `SHOW CREATE TABLE` and `DESC` print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boolean => f.write_str("boolean"),
            Self::TinyInt => f.write_str("tinyint(4)"),
            Self::SmallInt => f.write_str("smallint(6)"),
            Self::Int => f.write_str("int(11)"),
            Self::BigInt => f.write_str("bigint(20)"),
            Self::LargeInt => f.write_str("largeint(40)"),
            Self::Float => f.write_str("float"),
            Self::Double => f.write_str("double"),
            Self::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            Self::Char { len } => write!(f, "char({len})"),
            Self::Varchar { len } => write!(f, "varchar({len})"),
            Self::Date => f.write_str("date"),
            Self::DateTime => f.write_str("datetime"),
            Self::Json => f.write_str("json"),
        }
    }
}
