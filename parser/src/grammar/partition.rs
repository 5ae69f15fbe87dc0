//! `PARTITION BY ...`, single range partitions (shared with `ALTER TABLE
//! ADD PARTITION`), partition name lists and `DISTRIBUTED BY ...`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, not, opt};
use nom::multi::{separated_list0, separated_list1};
use nom::sequence::{delimited, preceded};

use super::common::{
    PResult, fatal, flag, ident, ident_list, integer_u32, kw, kws, property_list, punct, raw_parenthesized,
    raw_until, signed_number, string_lit,
};
use crate::ast::{DistributionDesc, PartitionDesc, PartitionValue, RangePartition, RangeValues};

/// The message for `START (...) END (...) EVERY (...)`.
pub(crate) const BATCH_UNSUPPORTED: &str =
    "batch partition syntax (START ... END ... EVERY) is not supported yet";

/// `PARTITION BY RANGE (...) (...)`, `PARTITION BY LIST (...) (...)` or an
/// expression partitioning kept as raw text.
pub(super) fn partition_desc(i: &str) -> PResult<'_, PartitionDesc> {
    let (i, _) = kws(&["PARTITION", "BY"])(i)?;
    alt((range_partitioning, list_partitioning, expr_partitioning)).parse(i)
}

fn range_partitioning(i: &str) -> PResult<'_, PartitionDesc> {
    let (i, _) = kw("RANGE")(i)?;
    let (i, columns) = ident_list(i)?;
    let (i, partitions) =
        delimited(punct("("), separated_list0(punct(","), range_item), punct(")")).parse(i)?;
    Ok((i, PartitionDesc::Range { columns, partitions }))
}

/// One entry of a range partition list; the batch form is refused.
fn range_item(i: &str) -> PResult<'_, RangePartition> {
    if kw("START")(i).is_ok() {
        return fatal(BATCH_UNSUPPORTED);
    }
    range_partition(i)
}

/// `PARTITION LIST (cols) (...)`: the partitions themselves are skipped.
fn list_partitioning(i: &str) -> PResult<'_, PartitionDesc> {
    let (i, _) = kw("LIST")(i)?;
    let (i, columns) = ident_list(i)?;
    let (i, _) = opt(alt((
        map(raw_parenthesized, |_| ()),
        map((punct("("), punct(")")), |_| ()),
    )))
    .parse(i)?;
    Ok((i, PartitionDesc::List { columns }))
}

/// Expression partitioning, e.g. `date_trunc('day', k)` or `(a, b)`, up to
/// the next clause.
fn expr_partitioning(i: &str) -> PResult<'_, PartitionDesc> {
    let (i, _) = not(alt((kw("RANGE"), kw("LIST")))).parse(i)?;
    let (i, raw) = raw_until(i, |t| {
        ["DISTRIBUTED", "ORDER", "PROPERTIES"]
            .iter()
            .any(|k| t.eq_ignore_ascii_case(k))
    })?;
    Ok((i, PartitionDesc::Expr(raw)))
}

/// `PARTITION [IF NOT EXISTS] name VALUES ... [("k" = "v", ...)]`
pub(super) fn range_partition(i: &str) -> PResult<'_, RangePartition> {
    let (i, _) = kw("PARTITION")(i)?;
    let (i, if_not_exists) = flag(&["IF", "NOT", "EXISTS"])(i)?;
    let (i, name) = ident(i)?;
    let (i, _) = kw("VALUES")(i)?;
    let (i, values) = alt((less_than, fixed_range)).parse(i)?;
    let (i, properties) = opt(property_list).parse(i)?;
    Ok((
        i,
        RangePartition {
            if_not_exists,
            name,
            values,
            properties: properties.unwrap_or_default(),
        },
    ))
}

/// `LESS THAN (v, ...)` or `LESS THAN MAXVALUE`.
fn less_than(i: &str) -> PResult<'_, RangeValues> {
    let (i, _) = kws(&["LESS", "THAN"])(i)?;
    let (i, values) = alt((
        map(kw("MAXVALUE"), |_| vec![PartitionValue::MaxValue]),
        value_list,
    ))
    .parse(i)?;
    Ok((i, RangeValues::LessThan(values)))
}

/// `[(lower, ...), (upper, ...))`.
fn fixed_range(i: &str) -> PResult<'_, RangeValues> {
    let (i, _) = punct("[")(i)?;
    let (i, lower) = value_list(i)?;
    let (i, _) = punct(",")(i)?;
    let (i, upper) = value_list(i)?;
    let (i, _) = punct(")")(i)?;
    Ok((i, RangeValues::Fixed { lower, upper }))
}

fn value_list(i: &str) -> PResult<'_, Vec<PartitionValue>> {
    delimited(
        punct("("),
        separated_list1(punct(","), partition_value),
        punct(")"),
    )
    .parse(i)
}

fn partition_value(i: &str) -> PResult<'_, PartitionValue> {
    alt((
        map(kw("MAXVALUE"), |_| PartitionValue::MaxValue),
        map(string_lit, PartitionValue::Value),
        map(signed_number, |(text, _)| PartitionValue::Value(text)),
    ))
    .parse(i)
}

/// `[TEMPORARY] {PARTITION|PARTITIONS} (p1, ...)` or `... p1`.
pub(super) fn partition_names(i: &str) -> PResult<'_, Vec<String>> {
    let (i, _) = opt(kw("TEMPORARY")).parse(i)?;
    let (i, _) = alt((kw("PARTITION"), kw("PARTITIONS"))).parse(i)?;
    alt((ident_list, map(ident, |p| vec![p]))).parse(i)
}

/// `DISTRIBUTED BY HASH (cols) [BUCKETS n]` or `DISTRIBUTED BY RANDOM
/// [BUCKETS n]`.
pub(super) fn distribution_desc(i: &str) -> PResult<'_, DistributionDesc> {
    let (i, _) = kws(&["DISTRIBUTED", "BY"])(i)?;
    let (i, hash) = alt((
        map(preceded(kw("HASH"), ident_list), Some),
        map(kw("RANDOM"), |_| None),
    ))
    .parse(i)?;
    let (i, buckets) = opt(preceded(kw("BUCKETS"), integer_u32)).parse(i)?;
    let desc = match hash {
        Some(columns) => DistributionDesc::Hash { columns, buckets },
        None => DistributionDesc::Random { buckets },
    };
    Ok((i, desc))
}
