//! `CREATE TABLE` analysis: from syntax to a catalog [`Table`] without ids.
//!
//! Checks follow StarRocks' analyzer: column names, key model and key prefix,
//! partition and distribution columns, properties. Ids, tablets and replicas are
//! filled in by the handler once placement is known.

use std::collections::BTreeMap;

use catalog::{
    Column, ColumnDefault, ColumnType, Distribution, KeysKind, PartitionRange, Partitioning, Table,
    TableState,
};
use parser::ast::{self, DataType, DefaultValue, Literal, PartitionDesc, RangePartition};

use crate::ddl::ranges;
use crate::error::{ErrorCode, FeError};

/// A partition of a table being created: name and range (None: unpartitioned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionPlan {
    /// Partition name.
    pub name: String,
    /// Its key range.
    pub range: Option<PartitionRange>,
}

/// The outcome of analysis: the table (ids zero, no partitions) and the
/// partitions to create.
#[derive(Debug, Clone)]
pub struct TablePlan {
    /// Table without ids and partitions.
    pub table: Table,
    /// Partitions to create, in range order.
    pub partitions: Vec<PartitionPlan>,
}

/// Properties StarRocks accepts on OLAP tables that Starling stores and shows.
const KNOWN_PROPERTIES: &[&str] = &[
    "replication_num",
    "compression",
    "fast_schema_evolution",
    "replicated_storage",
    "enable_persistent_index",
    "in_memory",
    "storage_medium",
    "storage_format",
    "bloom_filter_columns",
];

/// Converts a syntax type to a catalog type, checking StarRocks' limits.
pub fn column_type(ty: &DataType) -> Result<ColumnType, FeError> {
    Ok(match ty {
        DataType::Boolean => ColumnType::Boolean,
        DataType::TinyInt => ColumnType::TinyInt,
        DataType::SmallInt => ColumnType::SmallInt,
        DataType::Int => ColumnType::Int,
        DataType::BigInt => ColumnType::BigInt,
        DataType::LargeInt => ColumnType::LargeInt,
        DataType::Float => ColumnType::Float,
        DataType::Double => ColumnType::Double,
        DataType::Decimal { precision, scale } => {
            if *precision == 0 || *precision > 38 {
                return Err(FeError::analysis(format!(
                    "DECIMAL's precision should range from 1 to 38, but got {precision}"
                )));
            }
            if scale > precision {
                return Err(FeError::analysis(format!(
                    "DECIMAL's scale should be less than or equal to precision, but got scale {scale} > precision {precision}"
                )));
            }
            ColumnType::Decimal {
                precision: *precision,
                scale: *scale,
            }
        }
        DataType::Char(len) => {
            if *len == 0 || *len > 255 {
                return Err(FeError::analysis(format!(
                    "Char size must between 1 and 255, but got {len}"
                )));
            }
            ColumnType::Char { len: *len }
        }
        DataType::Varchar(len) => {
            if *len == 0 || *len > 1_048_576 {
                return Err(FeError::analysis(format!(
                    "Varchar size must between 1 and 1048576, but got {len}"
                )));
            }
            ColumnType::Varchar { len: *len }
        }
        DataType::String => ColumnType::Varchar {
            len: catalog::STRING_LEN,
        },
        DataType::Date => ColumnType::Date,
        DataType::DateTime => ColumnType::DateTime,
        DataType::Json => ColumnType::Json,
    })
}

fn default_value(d: &DefaultValue, column: &str, nullable: bool) -> Result<Option<ColumnDefault>, FeError> {
    Ok(match d {
        DefaultValue::Literal(Literal::Null) => {
            if !nullable {
                return Err(FeError::analysis(format!(
                    "Invalid default value for '{column}': NOT NULL column can not default to NULL"
                )));
            }
            None
        }
        DefaultValue::Literal(Literal::Bool(b)) => Some(ColumnDefault::Value(b.to_string())),
        DefaultValue::Literal(Literal::Integer(s) | Literal::Decimal(s) | Literal::String(s)) => {
            Some(ColumnDefault::Value(s.clone()))
        }
        DefaultValue::CurrentTimestamp => Some(ColumnDefault::CurrentTimestamp),
        DefaultValue::Expr(e) => {
            return Err(FeError::not_supported(format!("Default expression ({e})")));
        }
    })
}

/// Analyses `CREATE TABLE`. `alive_backends` sizes the default bucket count;
/// `default_replication_num` comes from `fe.conf`.
pub fn analyze(
    stmt: &ast::CreateTable,
    db_id: u64,
    alive_backends: usize,
    default_replication_num: u32,
) -> Result<TablePlan, FeError> {
    if stmt.external {
        return Err(FeError::not_supported("CREATE EXTERNAL TABLE"));
    }
    if let Some(engine) = &stmt.engine
        && !engine.eq_ignore_ascii_case("olap")
    {
        return Err(FeError::analysis(format!("Unknown storage engine '{engine}'")));
    }
    if stmt.columns.is_empty() {
        return Err(FeError::analysis("A table must have at least 1 column"));
    }
    // Key model.
    let (kind, key_names) = match &stmt.keys {
        Some(k) => {
            let kind = match k.kind {
                ast::KeysKind::Duplicate => KeysKind::Duplicate,
                ast::KeysKind::Primary => KeysKind::Primary,
                ast::KeysKind::Unique => return Err(FeError::not_supported("UNIQUE KEY table")),
                ast::KeysKind::Aggregate => {
                    return Err(FeError::not_supported("AGGREGATE KEY table"));
                }
            };
            (kind, k.columns.clone())
        }
        None => (KeysKind::Duplicate, default_duplicate_keys(&stmt.columns)?),
    };
    // Columns.
    let mut columns: Vec<Column> = Vec::with_capacity(stmt.columns.len());
    for (i, def) in stmt.columns.iter().enumerate() {
        if columns.iter().any(|c| c.name.eq_ignore_ascii_case(&def.name)) {
            return Err(FeError::analysis_code(
                ErrorCode::DupFieldName,
                format!("Duplicate column name '{}'", def.name),
            ));
        }
        if def.aggregate.is_some() {
            return Err(FeError::analysis(format!(
                "Column '{}' has an aggregate type, which only AGGREGATE KEY tables allow",
                def.name
            )));
        }
        if def.auto_increment {
            return Err(FeError::not_supported("AUTO_INCREMENT column"));
        }
        let ty = column_type(&def.data_type)?;
        let is_key = i < key_names.len();
        let nullable = match (kind, is_key, def.nullable) {
            (KeysKind::Primary, true, Some(true)) => {
                return Err(FeError::analysis(format!(
                    "primary key column[{}] cannot be nullable",
                    def.name
                )));
            }
            (KeysKind::Primary, true, _) => false,
            (_, _, explicit) => explicit.unwrap_or(true),
        };
        let default = match &def.default {
            Some(d) => default_value(d, &def.name, nullable)?,
            None => None,
        };
        columns.push(Column {
            name: def.name.clone(),
            ty,
            nullable,
            is_key,
            default,
            comment: def.comment.clone().unwrap_or_default(),
        });
    }
    // Keys must exist and be an ordered prefix of the schema.
    for (i, key) in key_names.iter().enumerate() {
        let Some(pos) = columns.iter().position(|c| c.name.eq_ignore_ascii_case(key)) else {
            return Err(FeError::analysis(format!("Key column({key}) doesn't exist")));
        };
        if pos != i {
            return Err(FeError::analysis(
                "Key columns should be a ordered prefix of the schema",
            ));
        }
        if matches!(
            columns[i].ty,
            ColumnType::Float | ColumnType::Double | ColumnType::Json
        ) {
            return Err(FeError::analysis(format!(
                "Invalid data type of key column '{key}': '{}'",
                columns[i].ty.short_name()
            )));
        }
    }
    let table_name = stmt.name.table.clone();
    let properties = analyze_properties(&stmt.properties, kind, default_replication_num)?;
    let distribution = analyze_distribution(stmt.distribution.as_ref(), kind, &columns, alive_backends)?;
    let (partitioning, partitions) = analyze_partitions(stmt.partition.as_ref(), &columns, &table_name)?;
    let table = Table {
        id: 0,
        db_id,
        name: table_name,
        state: TableState::Normal,
        keys_kind: kind,
        columns,
        partitioning,
        distribution,
        partitions: Vec::new(),
        properties,
        comment: stmt.comment.clone().unwrap_or_default(),
        index_id: 0,
        schema_hash: 0,
        created_ms: 0,
    };
    Ok(TablePlan { table, partitions })
}

/// StarRocks' default DUPLICATE KEY: leading columns, at most three, stopping
/// after the first string column and before any type that cannot be a key.
fn default_duplicate_keys(columns: &[ast::ColumnDef]) -> Result<Vec<String>, FeError> {
    let mut keys = Vec::new();
    for c in columns.iter().take(3) {
        match c.data_type {
            DataType::Float | DataType::Double | DataType::Json => break,
            DataType::Char(_) | DataType::Varchar(_) | DataType::String => {
                keys.push(c.name.clone());
                break;
            }
            _ => keys.push(c.name.clone()),
        }
    }
    if keys.is_empty() {
        return Err(FeError::analysis("Table must have at least 1 key column"));
    }
    Ok(keys)
}

fn analyze_properties(
    given: &[(String, String)],
    kind: KeysKind,
    default_replication_num: u32,
) -> Result<BTreeMap<String, String>, FeError> {
    let mut props = BTreeMap::new();
    props.insert("compression".to_string(), "LZ4".to_string());
    props.insert("fast_schema_evolution".to_string(), "true".to_string());
    props.insert("replicated_storage".to_string(), "true".to_string());
    props.insert("replication_num".to_string(), default_replication_num.to_string());
    if kind == KeysKind::Primary {
        props.insert("enable_persistent_index".to_string(), "true".to_string());
    }
    let mut unknown = Vec::new();
    for (k, v) in given {
        if !KNOWN_PROPERTIES.contains(&k.as_str()) {
            unknown.push(format!("{k}={v}"));
            continue;
        }
        if k == "replication_num" {
            let n: i64 = v
                .trim()
                .parse()
                .map_err(|_| FeError::analysis(format!("Invalid replication number: {v}")))?;
            if n <= 0 {
                return Err(FeError::analysis("Replication num should larger than 0"));
            }
            props.insert(k.clone(), n.to_string());
            continue;
        }
        props.insert(k.clone(), v.clone());
    }
    if !unknown.is_empty() {
        return Err(FeError::analysis(format!(
            "Unknown properties: {{{}}}",
            unknown.join(", ")
        )));
    }
    Ok(props)
}

fn analyze_distribution(
    desc: Option<&ast::DistributionDesc>,
    kind: KeysKind,
    columns: &[Column],
    alive_backends: usize,
) -> Result<Distribution, FeError> {
    let auto_buckets = || u32::try_from(alive_backends.clamp(1, 16)).unwrap_or(1);
    let check_buckets = |b: Option<u32>| match b {
        Some(0) => Err(FeError::analysis("Number of hash distribution is zero.")),
        Some(n) if n > 1024 => Err(FeError::analysis(format!(
            "The number of buckets is too large, the maximum is 1024. Current bucket number: {n}"
        ))),
        Some(n) => Ok(n),
        None => Ok(auto_buckets()),
    };
    match desc {
        None if kind == KeysKind::Primary => Err(FeError::analysis(
            "Currently not support default distribution in PRIMARY_KEYS",
        )),
        None => Ok(Distribution::Random {
            buckets: auto_buckets(),
        }),
        Some(ast::DistributionDesc::Random { .. }) if kind == KeysKind::Primary => {
            Err(FeError::analysis("PRIMARY_KEYS must use hash distribution"))
        }
        Some(ast::DistributionDesc::Random { buckets }) => Ok(Distribution::Random {
            buckets: check_buckets(*buckets)?,
        }),
        Some(ast::DistributionDesc::Hash {
            columns: cols,
            buckets,
        }) => {
            if cols.is_empty() {
                return Err(FeError::analysis("Number of hash column is zero."));
            }
            let mut names = Vec::with_capacity(cols.len());
            for name in cols {
                let Some(col) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)) else {
                    return Err(FeError::analysis(format!(
                        "Distribution column({name}) doesn't exist"
                    )));
                };
                if kind == KeysKind::Primary && !col.is_key {
                    return Err(FeError::analysis(format!(
                        "Distribution column[{}] is not key column",
                        col.name
                    )));
                }
                if matches!(col.ty, ColumnType::Float | ColumnType::Double | ColumnType::Json) {
                    return Err(FeError::analysis(format!(
                        "Distribution column[{}] type can not be {}",
                        col.name,
                        col.ty.short_name()
                    )));
                }
                names.push(col.name.clone());
            }
            Ok(Distribution::Hash {
                columns: names,
                buckets: check_buckets(*buckets)?,
            })
        }
    }
}

fn analyze_partitions(
    desc: Option<&PartitionDesc>,
    columns: &[Column],
    table_name: &str,
) -> Result<(Partitioning, Vec<PartitionPlan>), FeError> {
    match desc {
        None => Ok((
            Partitioning::Unpartitioned,
            vec![PartitionPlan {
                name: table_name.to_string(),
                range: None,
            }],
        )),
        Some(PartitionDesc::List { .. }) => Err(FeError::not_supported("LIST partitioning")),
        Some(PartitionDesc::Expr(e)) => Err(FeError::not_supported(format!("Expression partitioning ({e})"))),
        Some(PartitionDesc::Range {
            columns: cols,
            partitions,
        }) => {
            let mut names = Vec::with_capacity(cols.len());
            let mut types = Vec::with_capacity(cols.len());
            for name in cols {
                let Some(col) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)) else {
                    return Err(FeError::analysis(format!(
                        "Partition column[{name}] does not exist"
                    )));
                };
                if !col.ty.can_partition() {
                    return Err(FeError::analysis(format!(
                        "Type[{}] can not be a partition column",
                        col.ty.short_name()
                    )));
                }
                names.push(col.name.clone());
                types.push(col.ty);
            }
            let plans = plan_ranges(partitions, &types, &[])?;
            Ok((Partitioning::Range { columns: names }, plans))
        }
    }
}

/// Computes ranges for partitions declared together, against `existing` ones.
/// Returns them sorted by range.
pub fn plan_ranges(
    declared: &[RangePartition],
    types: &[ColumnType],
    existing: &[(&str, &PartitionRange)],
) -> Result<Vec<PartitionPlan>, FeError> {
    let mut plans: Vec<PartitionPlan> = Vec::with_capacity(declared.len());
    for p in declared {
        let taken = existing.iter().any(|(n, _)| n.eq_ignore_ascii_case(&p.name))
            || plans.iter().any(|q| q.name.eq_ignore_ascii_case(&p.name));
        if taken {
            return Err(ranges::duplicate_name(&p.name));
        }
        let mut all: Vec<&PartitionRange> = existing.iter().map(|(_, r)| *r).collect();
        all.extend(plans.iter().filter_map(|q| q.range.as_ref()));
        let range = ranges::new_range(&p.values, types, &all)?;
        plans.push(PartitionPlan {
            name: p.name.clone(),
            range: Some(range),
        });
    }
    plans.sort_by(|a, b| {
        a.range
            .as_ref()
            .map(|r| &r.lower)
            .cmp(&b.range.as_ref().map(|r| &r.lower))
    });
    Ok(plans)
}
