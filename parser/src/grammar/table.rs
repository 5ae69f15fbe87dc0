//! `CREATE TABLE`, `DROP TABLE`, `TRUNCATE TABLE`, `ALTER TABLE`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::multi::separated_list1;
use nom::sequence::preceded;

use super::common::{
    PResult, flag, ident, ident_list, kw, kws, literal, opt_properties, punct, raw_parenthesized, string_lit,
    table_name,
};
use super::database::charset_or_collate;
use super::partition::{distribution_desc, partition_desc, partition_names, range_partition};
use super::types::data_type;
use crate::ast::{AlterTableOp, ColumnDef, CreateTable, DefaultValue, KeysDesc, KeysKind, Statement};

/// `CREATE [EXTERNAL] TABLE [IF NOT EXISTS] name (columns) [ENGINE = x]
/// [keys] [COMMENT '...'] [PARTITION BY ...] [DISTRIBUTED BY ...]
/// [ORDER BY (...)] [PROPERTIES (...)]`
pub(super) fn create_table(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("CREATE")(i)?;
    let (i, external) = flag(&["EXTERNAL"])(i)?;
    let (i, _) = kw("TABLE")(i)?;
    let (i, if_not_exists) = flag(&["IF", "NOT", "EXISTS"])(i)?;
    let (i, name) = table_name(i)?;
    let (i, _) = punct("(")(i)?;
    let (i, columns) = separated_list1(punct(","), column_def).parse(i)?;
    let (i, _) = punct(")")(i)?;
    let (i, engine) = opt(preceded((kw("ENGINE"), punct("=")), ident)).parse(i)?;
    let (i, _) = opt(charset_or_collate).parse(i)?;
    let (i, keys) = opt(keys_desc).parse(i)?;
    let (i, comment) = opt(preceded(kw("COMMENT"), string_lit)).parse(i)?;
    let (i, partition) = opt(partition_desc).parse(i)?;
    let (i, distribution) = opt(distribution_desc).parse(i)?;
    let (i, order_by) = opt(preceded(kws(&["ORDER", "BY"]), ident_list)).parse(i)?;
    let (i, properties) = opt_properties(i)?;
    Ok((
        i,
        Statement::CreateTable(Box::new(CreateTable {
            if_not_exists,
            external,
            name,
            columns,
            engine,
            keys,
            comment,
            partition,
            distribution,
            order_by: order_by.unwrap_or_default(),
            properties,
        })),
    ))
}

/// The aggregate functions allowed on `AGGREGATE KEY` value columns.
const AGGREGATES: [&str; 8] = [
    "SUM",
    "MAX",
    "MIN",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
];

fn aggregate(i: &str) -> PResult<'_, String> {
    for name in AGGREGATES {
        if let Ok((rest, _)) = kw(name)(i) {
            return Ok((rest, name.to_string()));
        }
    }
    Err(nom::Err::Error(Default::default()))
}

/// `name type [KEY] [agg] [NULL | NOT NULL] [AUTO_INCREMENT] [DEFAULT ...]
/// [COMMENT '...']`
fn column_def(i: &str) -> PResult<'_, ColumnDef> {
    let (i, name) = ident(i)?;
    let (i, data_type) = data_type(i)?;
    let (i, _) = opt(kw("KEY")).parse(i)?;
    let (i, aggregate) = opt(aggregate).parse(i)?;
    let (i, nullable) = opt(alt((
        map(kws(&["NOT", "NULL"]), |_| false),
        map(kw("NULL"), |_| true),
    )))
    .parse(i)?;
    let (i, auto_increment) = flag(&["AUTO_INCREMENT"])(i)?;
    let (i, default) = opt(preceded(kw("DEFAULT"), default_value)).parse(i)?;
    let (i, comment) = opt(preceded(kw("COMMENT"), string_lit)).parse(i)?;
    Ok((
        i,
        ColumnDef {
            name,
            data_type,
            aggregate,
            nullable,
            auto_increment,
            default,
            comment,
        },
    ))
}

fn default_value(i: &str) -> PResult<'_, DefaultValue> {
    alt((
        map((kw("CURRENT_TIMESTAMP"), opt((punct("("), punct(")")))), |_| {
            DefaultValue::CurrentTimestamp
        }),
        map(raw_parenthesized, DefaultValue::Expr),
        map(literal, DefaultValue::Literal),
    ))
    .parse(i)
}

/// `{DUPLICATE|PRIMARY|UNIQUE|AGGREGATE} KEY (cols)`
fn keys_desc(i: &str) -> PResult<'_, KeysDesc> {
    let (i, kind) = alt((
        map(kw("DUPLICATE"), |_| KeysKind::Duplicate),
        map(kw("PRIMARY"), |_| KeysKind::Primary),
        map(kw("UNIQUE"), |_| KeysKind::Unique),
        map(kw("AGGREGATE"), |_| KeysKind::Aggregate),
    ))
    .parse(i)?;
    let (i, _) = kw("KEY")(i)?;
    let (i, columns) = ident_list(i)?;
    Ok((i, KeysDesc { kind, columns }))
}

/// `DROP TABLE [IF EXISTS] t [FORCE]`
pub(super) fn drop_table(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["DROP", "TABLE"])(i)?;
    let (i, if_exists) = flag(&["IF", "EXISTS"])(i)?;
    let (i, name) = table_name(i)?;
    let (i, force) = flag(&["FORCE"])(i)?;
    Ok((
        i,
        Statement::DropTable {
            if_exists,
            name,
            force,
        },
    ))
}

/// `TRUNCATE TABLE t [PARTITION (p1, ...) | PARTITION p]`
pub(super) fn truncate_table(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["TRUNCATE", "TABLE"])(i)?;
    let (i, name) = table_name(i)?;
    let (i, partitions) = opt(partition_names).parse(i)?;
    Ok((
        i,
        Statement::TruncateTable {
            name,
            partitions: partitions.unwrap_or_default(),
        },
    ))
}

/// `ALTER TABLE t {ADD PARTITION ... | DROP PARTITION ... | RENAME t2}`
pub(super) fn alter_table(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["ALTER", "TABLE"])(i)?;
    let (i, name) = table_name(i)?;
    let (i, op) = alt((add_partition, drop_partition, rename)).parse(i)?;
    Ok((i, Statement::AlterTable { name, op }))
}

fn add_partition(i: &str) -> PResult<'_, AlterTableOp> {
    let (i, _) = kw("ADD")(i)?;
    let (i, partition) = range_partition(i)?;
    let (i, _) = opt(distribution_desc).parse(i)?;
    Ok((i, AlterTableOp::AddPartition(partition)))
}

fn drop_partition(i: &str) -> PResult<'_, AlterTableOp> {
    let (i, _) = kws(&["DROP", "PARTITION"])(i)?;
    let (i, if_exists) = flag(&["IF", "EXISTS"])(i)?;
    let (i, name) = ident(i)?;
    let (i, force) = flag(&["FORCE"])(i)?;
    Ok((
        i,
        AlterTableOp::DropPartition {
            if_exists,
            name,
            force,
        },
    ))
}

fn rename(i: &str) -> PResult<'_, AlterTableOp> {
    let (i, _) = kw("RENAME")(i)?;
    let (i, _) = opt(kw("TO")).parse(i)?;
    let (i, new_name) = ident(i)?;
    Ok((i, AlterTableOp::Rename(new_name)))
}
