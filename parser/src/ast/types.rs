//! Column types and literals.

use std::fmt;

use super::sqlfmt::Str;

/// A column type. Aliases (`BOOL`, `INTEGER`, `TEXT`, `TIMESTAMP`,
/// `DECIMAL64`, ...) are folded into these variants by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataType {
    /// `BOOLEAN`
    Boolean,
    /// `TINYINT`
    TinyInt,
    /// `SMALLINT`
    SmallInt,
    /// `INT`
    Int,
    /// `BIGINT`
    BigInt,
    /// `LARGEINT` (128-bit)
    LargeInt,
    /// `FLOAT`
    Float,
    /// `DOUBLE`
    Double,
    /// `DECIMAL(precision, scale)`
    Decimal {
        /// Total number of digits, 1..=38.
        precision: u8,
        /// Digits after the point, 0..=precision.
        scale: u8,
    },
    /// `CHAR(n)`
    Char(u32),
    /// `VARCHAR(n)`; `VARCHAR(65533)` is parsed as [`DataType::String`].
    Varchar(u32),
    /// `STRING`, the same as `VARCHAR(65533)`.
    String,
    /// `DATE`
    Date,
    /// `DATETIME`
    DateTime,
    /// `JSON`
    Json,
}

/// The length StarRocks gives `STRING`.
pub const STRING_LENGTH: u32 = 65533;

impl DataType {
    /// The type as StarRocks prints it in `SHOW CREATE TABLE` and `DESC`:
    /// `int(11)`, `varchar(65533)`, `decimal(10, 2)`, ...
    pub fn starrocks_type(&self) -> String {
        match self {
            DataType::Boolean => "boolean".into(),
            DataType::TinyInt => "tinyint(4)".into(),
            DataType::SmallInt => "smallint(6)".into(),
            DataType::Int => "int(11)".into(),
            DataType::BigInt => "bigint(20)".into(),
            DataType::LargeInt => "largeint(40)".into(),
            DataType::Float => "float".into(),
            DataType::Double => "double".into(),
            DataType::Decimal { precision, scale } => format!("decimal({precision}, {scale})"),
            DataType::Char(n) => format!("char({n})"),
            DataType::Varchar(n) => format!("varchar({n})"),
            DataType::String => format!("varchar({STRING_LENGTH})"),
            DataType::Date => "date".into(),
            DataType::DateTime => "datetime".into(),
            DataType::Json => "json".into(),
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.starrocks_type())
    }
}

/// A literal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `NULL`
    Null,
    /// `TRUE` / `FALSE`
    Bool(bool),
    /// An integer, as written (may start with `-`).
    Integer(String),
    /// A decimal or floating-point number, as written.
    Decimal(String),
    /// A string, unescaped.
    String(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("NULL"),
            Literal::Bool(true) => f.write_str("TRUE"),
            Literal::Bool(false) => f.write_str("FALSE"),
            Literal::Integer(n) | Literal::Decimal(n) => f.write_str(n),
            Literal::String(s) => write!(f, "{}", Str(s)),
        }
    }
}
