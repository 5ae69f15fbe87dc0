//! Table definitions: `CREATE TABLE` and `ALTER TABLE` pieces.

use std::fmt;

use super::sqlfmt::{DqStr, Ident, IdentList, PropertyList, Str};
use super::types::{DataType, Literal};

/// `[db.]table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    /// The database, when qualified.
    pub database: Option<String>,
    /// The table.
    pub table: String,
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(db) = &self.database {
            write!(f, "{}.", Ident(db))?;
        }
        write!(f, "{}", Ident(&self.table))
    }
}

/// `CREATE [EXTERNAL] TABLE ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    /// `IF NOT EXISTS` was given.
    pub if_not_exists: bool,
    /// `CREATE EXTERNAL TABLE`; parsed so the FE can reject it clearly.
    pub external: bool,
    /// The new table.
    pub name: TableName,
    /// Column definitions, in order.
    pub columns: Vec<ColumnDef>,
    /// `ENGINE = x`.
    pub engine: Option<String>,
    /// `DUPLICATE|PRIMARY|UNIQUE|AGGREGATE KEY (...)`.
    pub keys: Option<KeysDesc>,
    /// Table `COMMENT '...'`.
    pub comment: Option<String>,
    /// `PARTITION BY ...`.
    pub partition: Option<PartitionDesc>,
    /// `DISTRIBUTED BY ...`.
    pub distribution: Option<DistributionDesc>,
    /// `ORDER BY (c1, c2)`.
    pub order_by: Vec<String>,
    /// `PROPERTIES (...)`.
    pub properties: Vec<(String, String)>,
}

impl fmt::Display for CreateTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.external {
            f.write_str("EXTERNAL ")?;
        }
        f.write_str("TABLE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} (", self.name)?;
        for (i, c) in self.columns.iter().enumerate() {
            f.write_str(if i > 0 { ",\n  " } else { "\n  " })?;
            write!(f, "{c}")?;
        }
        f.write_str("\n)")?;
        if let Some(e) = &self.engine {
            write!(f, "\nENGINE = {}", Ident(e))?;
        }
        if let Some(k) = &self.keys {
            write!(f, "\n{k}")?;
        }
        if let Some(c) = &self.comment {
            write!(f, "\nCOMMENT {}", Str(c))?;
        }
        if let Some(p) = &self.partition {
            write!(f, "\n{p}")?;
        }
        if let Some(d) = &self.distribution {
            write!(f, "\n{d}")?;
        }
        if !self.order_by.is_empty() {
            write!(f, "\nORDER BY {}", IdentList(&self.order_by))?;
        }
        if !self.properties.is_empty() {
            write!(f, "\nPROPERTIES {}", PropertyList(&self.properties))?;
        }
        Ok(())
    }
}

/// One column of `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Column name.
    pub name: String,
    /// Column type.
    pub data_type: DataType,
    /// Aggregate function of an `AGGREGATE KEY` value column, upper case
    /// (`SUM`, `MAX`, `MIN`, `REPLACE`, `REPLACE_IF_NOT_NULL`, `HLL_UNION`,
    /// `BITMAP_UNION`).
    pub aggregate: Option<String>,
    /// `NULL` → `Some(true)`, `NOT NULL` → `Some(false)`, absent → `None`.
    pub nullable: Option<bool>,
    /// `AUTO_INCREMENT` was given.
    pub auto_increment: bool,
    /// `DEFAULT ...`.
    pub default: Option<DefaultValue>,
    /// Column `COMMENT '...'`.
    pub comment: Option<String>,
}

impl fmt::Display for ColumnDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Ident(&self.name), self.data_type)?;
        if let Some(a) = &self.aggregate {
            write!(f, " {a}")?;
        }
        match self.nullable {
            Some(true) => f.write_str(" NULL")?,
            Some(false) => f.write_str(" NOT NULL")?,
            None => {}
        }
        if self.auto_increment {
            f.write_str(" AUTO_INCREMENT")?;
        }
        if let Some(d) = &self.default {
            write!(f, " DEFAULT {d}")?;
        }
        if let Some(c) = &self.comment {
            write!(f, " COMMENT {}", Str(c))?;
        }
        Ok(())
    }
}

/// A column default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// `DEFAULT 'x'`, `DEFAULT 0`, `DEFAULT NULL`.
    Literal(Literal),
    /// `DEFAULT CURRENT_TIMESTAMP`.
    CurrentTimestamp,
    /// `DEFAULT (expr)`: the raw text inside the parentheses.
    Expr(String),
}

impl fmt::Display for DefaultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultValue::Literal(l) => write!(f, "{l}"),
            DefaultValue::CurrentTimestamp => f.write_str("CURRENT_TIMESTAMP"),
            DefaultValue::Expr(e) => write!(f, "({e})"),
        }
    }
}

/// `<kind> KEY (columns)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysDesc {
    /// The table model.
    pub kind: KeysKind,
    /// Key columns.
    pub columns: Vec<String>,
}

impl fmt::Display for KeysDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} KEY {}", self.kind, IdentList(&self.columns))
    }
}

/// The table model named by the key clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysKind {
    /// `DUPLICATE KEY`
    Duplicate,
    /// `PRIMARY KEY`
    Primary,
    /// `UNIQUE KEY`
    Unique,
    /// `AGGREGATE KEY`
    Aggregate,
}

impl fmt::Display for KeysKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeysKind::Duplicate => "DUPLICATE",
            KeysKind::Primary => "PRIMARY",
            KeysKind::Unique => "UNIQUE",
            KeysKind::Aggregate => "AGGREGATE",
        })
    }
}

/// `PARTITION BY ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionDesc {
    /// `PARTITION BY RANGE (cols) (PARTITION ..., ...)`.
    Range {
        /// Partition columns.
        columns: Vec<String>,
        /// The partitions listed.
        partitions: Vec<RangePartition>,
    },
    /// `PARTITION BY LIST (cols) (...)`; the partitions are not kept.
    List {
        /// Partition columns.
        columns: Vec<String>,
    },
    /// Expression partitioning such as `PARTITION BY date_trunc('day', k)`:
    /// the raw text after `PARTITION BY`.
    Expr(String),
}

impl fmt::Display for PartitionDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionDesc::Range { columns, partitions } => {
                write!(f, "PARTITION BY RANGE{} (", IdentList(columns))?;
                for (i, p) in partitions.iter().enumerate() {
                    f.write_str(if i > 0 { ",\n  " } else { "\n  " })?;
                    write!(f, "{p}")?;
                }
                if !partitions.is_empty() {
                    f.write_str("\n")?;
                }
                f.write_str(")")
            }
            PartitionDesc::List { columns } => {
                write!(f, "PARTITION BY LIST{} ()", IdentList(columns))
            }
            PartitionDesc::Expr(e) => write!(f, "PARTITION BY {e}"),
        }
    }
}

/// `PARTITION [IF NOT EXISTS] name VALUES ... [(properties)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangePartition {
    /// `IF NOT EXISTS` was given (meaningful for `ALTER TABLE ADD PARTITION`).
    pub if_not_exists: bool,
    /// Partition name.
    pub name: String,
    /// Bounds.
    pub values: RangeValues,
    /// Per-partition properties.
    pub properties: Vec<(String, String)>,
}

impl fmt::Display for RangePartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PARTITION ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{} VALUES {}", Ident(&self.name), self.values)?;
        if !self.properties.is_empty() {
            write!(f, " {}", PropertyList(&self.properties))?;
        }
        Ok(())
    }
}

/// The bounds of a range partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeValues {
    /// `VALUES LESS THAN (v, ...)` or `VALUES LESS THAN MAXVALUE`.
    LessThan(Vec<PartitionValue>),
    /// `VALUES [(lower, ...), (upper, ...))`.
    Fixed {
        /// Inclusive lower bound.
        lower: Vec<PartitionValue>,
        /// Exclusive upper bound.
        upper: Vec<PartitionValue>,
    },
}

impl fmt::Display for RangeValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeValues::LessThan(v) => write!(f, "LESS THAN {}", ValueList(v)),
            RangeValues::Fixed { lower, upper } => {
                write!(f, "[{}, {})", ValueList(lower), ValueList(upper))
            }
        }
    }
}

struct ValueList<'a>(&'a [PartitionValue]);

impl fmt::Display for ValueList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{v}")?;
        }
        f.write_str(")")
    }
}

/// One bound value of a range partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionValue {
    /// A quoted or numeric literal, as text without quotes.
    Value(String),
    /// `MAXVALUE`
    MaxValue,
}

impl fmt::Display for PartitionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartitionValue::Value(v) => write!(f, "{}", DqStr(v)),
            PartitionValue::MaxValue => f.write_str("MAXVALUE"),
        }
    }
}

/// `DISTRIBUTED BY ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistributionDesc {
    /// `DISTRIBUTED BY HASH (cols) [BUCKETS n]`.
    Hash {
        /// Distribution columns.
        columns: Vec<String>,
        /// Bucket count, when given.
        buckets: Option<u32>,
    },
    /// `DISTRIBUTED BY RANDOM [BUCKETS n]`.
    Random {
        /// Bucket count, when given.
        buckets: Option<u32>,
    },
}

impl fmt::Display for DistributionDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buckets = match self {
            DistributionDesc::Hash { columns, buckets } => {
                write!(f, "DISTRIBUTED BY HASH{}", IdentList(columns))?;
                buckets
            }
            DistributionDesc::Random { buckets } => {
                f.write_str("DISTRIBUTED BY RANDOM")?;
                buckets
            }
        };
        if let Some(n) = buckets {
            write!(f, " BUCKETS {n}")?;
        }
        Ok(())
    }
}

/// What `ALTER TABLE` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterTableOp {
    /// `ADD PARTITION ...` (a `DISTRIBUTED BY` tail is accepted and dropped).
    AddPartition(RangePartition),
    /// `DROP PARTITION [IF EXISTS] p [FORCE]`.
    DropPartition {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// Partition name.
        name: String,
        /// `FORCE` was given.
        force: bool,
    },
    /// `RENAME new_name`.
    Rename(String),
}

impl fmt::Display for AlterTableOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlterTableOp::AddPartition(p) => write!(f, "ADD {p}"),
            AlterTableOp::DropPartition {
                if_exists,
                name,
                force,
            } => {
                f.write_str("DROP PARTITION ")?;
                if *if_exists {
                    f.write_str("IF EXISTS ")?;
                }
                write!(f, "{}", Ident(name))?;
                if *force {
                    f.write_str(" FORCE")?;
                }
                Ok(())
            }
            AlterTableOp::Rename(n) => write!(f, "RENAME {}", Ident(n)),
        }
    }
}
