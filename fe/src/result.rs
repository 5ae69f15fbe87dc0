//! Protocol-free statement results: what handlers return and the MySQL layer encodes.

/// The type a result column is announced with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    /// Text (`MYSQL_TYPE_VAR_STRING`); every SHOW column.
    Text,
    /// 64-bit signed integer (`MYSQL_TYPE_LONGLONG`).
    BigInt,
    /// 64-bit unsigned integer (`MYSQL_TYPE_LONGLONG`, unsigned).
    UBigInt,
    /// Double (`MYSQL_TYPE_DOUBLE`).
    Double,
    /// Decimal, sent as text (`MYSQL_TYPE_NEWDECIMAL`).
    Decimal,
    /// Date (`MYSQL_TYPE_DATE`), sent as `YYYY-MM-DD` text.
    Date,
    /// Datetime (`MYSQL_TYPE_DATETIME`), sent as text.
    DateTime,
}

/// A result column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Name (or alias) shown to the client.
    pub name: String,
    /// Announced type.
    pub ty: ColType,
}

impl Column {
    /// A text column.
    pub fn text(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ty: ColType::Text,
        }
    }

    /// A column of type `ty`.
    pub fn typed(name: impl Into<String>, ty: ColType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }

    /// A signed integer column.
    pub fn int(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ty: ColType::BigInt,
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Signed integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Floating point.
    Double(f64),
    /// Text (also decimals, dates and datetimes, already formatted).
    Text(String),
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Self::UInt(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Self::Text(v.to_string())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// Rows with their columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResultSet {
    /// Columns, in order.
    pub columns: Vec<Column>,
    /// Rows; each has one value per column.
    pub rows: Vec<Vec<Value>>,
}

impl ResultSet {
    /// An empty result with text columns named `names`.
    pub fn text_columns(names: &[&str]) -> Self {
        Self {
            columns: names.iter().map(|n| Column::text(*n)).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Value>) {
        self.rows.push(row);
    }
}

/// What a statement returns.
#[derive(Debug)]
pub enum Output {
    /// An OK packet.
    Ok {
        /// Rows affected.
        affected_rows: u64,
        /// Free text the client may show (StarRocks puts load labels here).
        info: String,
    },
    /// A result set.
    Rows(ResultSet),
    /// A result set produced while it is sent: a query's rows, batch by
    /// batch, so no result is ever held whole in memory.
    Stream(RowStream),
}

/// The rows of a batch, converted to cells.
pub type RowBatch = Vec<Vec<Value>>;

/// A result set that arrives in batches.
pub struct RowStream {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, a batch at a time; an error ends the result.
    pub batches: std::pin::Pin<Box<dyn futures::Stream<Item = Result<RowBatch, crate::FeError>> + Send>>,
}

impl std::fmt::Debug for RowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl Output {
    /// OK with nothing affected.
    pub fn ok() -> Self {
        Self::Ok {
            affected_rows: 0,
            info: String::new(),
        }
    }
}

/// `yyyy-MM-dd HH:mm:ss` in the FE's local time zone; `NULL` for unset times.
pub fn format_time(ms: i64) -> String {
    if ms <= 0 {
        return "NULL".into();
    }
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| "NULL".into())
}
