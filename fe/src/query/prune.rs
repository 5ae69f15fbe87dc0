//! Which tablets a query must read: partitions whose range can hold rows that
//! pass the filters, and within them the buckets an equality on every
//! distribution column selects. Pruning is conservative: anything not
//! understood keeps the tablet (DataFusion still applies every filter).

use std::collections::BTreeSet;

use arrow::array::ArrayRef;
use catalog::{ColumnType, Distribution, KeyPart, Partitioning, Table};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};

use super::types::arrow_type;
use crate::load::hash;

/// A bound of the partition column's values that filters allow.
#[derive(Debug, Clone)]
struct Bound {
    key: KeyPart,
    inclusive: bool,
}

/// Values of the partition column a query can want.
#[derive(Debug, Default, Clone)]
struct Interval {
    lower: Option<Bound>,
    upper: Option<Bound>,
    /// An `IN` list or equalities: only these values.
    points: Option<Vec<KeyPart>>,
}

fn column_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Column(c) => Some(c.name.as_str()),
        Expr::Cast(c) => column_name(&c.expr),
        _ => None,
    }
}

/// `column <op> literal` or `literal <op> column` as (column, op, literal), with
/// the operator turned so the column is on the left. `column_of` decides what
/// counts as a column (bare, or also under a cast).
fn comparison<'a>(
    left: &'a Expr,
    op: Operator,
    right: &'a Expr,
    column_of: fn(&Expr) -> Option<&str>,
) -> Option<(&'a str, Operator, &'a ScalarValue)> {
    match (column_of(left), literal(right), column_of(right), literal(left)) {
        (Some(c), Some(v), _, _) => Some((c, op, v)),
        (_, _, Some(c), Some(v)) => Some((c, op.swap()?, v)),
        _ => None,
    }
}

fn literal(e: &Expr) -> Option<&ScalarValue> {
    match e {
        Expr::Literal(v, _) => Some(v),
        _ => None,
    }
}

/// A literal as a partition key value of the column's type.
fn key_part(value: &ScalarValue, ty: &ColumnType) -> Option<KeyPart> {
    if value.is_null() {
        return None;
    }
    let cast = value.cast_to(&arrow_type(ty)).ok()?;
    let text = match cast {
        ScalarValue::Int8(Some(v)) => v.to_string(),
        ScalarValue::Int16(Some(v)) => v.to_string(),
        ScalarValue::Int32(Some(v)) => v.to_string(),
        ScalarValue::Int64(Some(v)) => v.to_string(),
        ScalarValue::Decimal128(Some(v), _, 0) => v.to_string(),
        ScalarValue::Date32(Some(days)) => chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)?
            .format("%Y-%m-%d")
            .to_string(),
        ScalarValue::TimestampMicrosecond(Some(us), _) => chrono::DateTime::from_timestamp_micros(us)?
            .naive_utc()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        _ => return None,
    };
    KeyPart::parse(ty, &text).ok()
}

fn tighten_lower(iv: &mut Interval, key: KeyPart, inclusive: bool) {
    let b = Bound { key, inclusive };
    let replace = match &iv.lower {
        None => true,
        Some(cur) => b.key > cur.key || (b.key == cur.key && !b.inclusive),
    };
    if replace {
        iv.lower = Some(b);
    }
}

fn tighten_upper(iv: &mut Interval, key: KeyPart, inclusive: bool) {
    let b = Bound { key, inclusive };
    let replace = match &iv.upper {
        None => true,
        Some(cur) => b.key < cur.key || (b.key == cur.key && !b.inclusive),
    };
    if replace {
        iv.upper = Some(b);
    }
}

fn constrain(iv: &mut Interval, e: &Expr, column: &str, ty: &ColumnType) {
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => {
            constrain(iv, left, column, ty);
            constrain(iv, right, column, ty);
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let Some((c, op, value)) = comparison(left, *op, right, column_name) else {
                return;
            };
            if !c.eq_ignore_ascii_case(column) {
                return;
            }
            let Some(key) = key_part(value, ty) else {
                return;
            };
            match op {
                Operator::Eq => {
                    tighten_lower(iv, key.clone(), true);
                    tighten_upper(iv, key, true);
                }
                Operator::Lt => tighten_upper(iv, key, false),
                Operator::LtEq => tighten_upper(iv, key, true),
                Operator::Gt => tighten_lower(iv, key, false),
                Operator::GtEq => tighten_lower(iv, key, true),
                _ => {}
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => {
            if column_name(expr).is_some_and(|c| c.eq_ignore_ascii_case(column))
                && let (Some(lo), Some(hi)) = (literal(low), literal(high))
                && let (Some(lo), Some(hi)) = (key_part(lo, ty), key_part(hi, ty))
            {
                tighten_lower(iv, lo, true);
                tighten_upper(iv, hi, true);
            }
        }
        Expr::InList(list)
            if !list.negated && column_name(&list.expr).is_some_and(|c| c.eq_ignore_ascii_case(column)) =>
        {
            let points: Option<Vec<KeyPart>> = list
                .list
                .iter()
                .map(|e| literal(e).and_then(|v| key_part(v, ty)))
                .collect();
            if let Some(points) = points {
                iv.points = Some(points);
            }
        }
        _ => {}
    }
}

fn may_overlap(iv: &Interval, range: &catalog::PartitionRange) -> bool {
    // Partition rows r satisfy lower <= r < upper.
    if let Some(points) = &iv.points
        && !points.iter().any(|p| {
            range.lower <= catalog::PartitionKey(vec![p.clone()])
                && catalog::PartitionKey(vec![p.clone()]) < range.upper
        })
    {
        return false;
    }
    if let Some(lo) = &iv.lower
        && range.upper <= catalog::PartitionKey(vec![lo.key.clone()])
    {
        return false;
    }
    if let Some(hi) = &iv.upper {
        let hi_key = catalog::PartitionKey(vec![hi.key.clone()]);
        if hi_key < range.lower || (!hi.inclusive && hi_key == range.lower) {
            return false;
        }
    }
    true
}

/// Indices of the partitions the filters may touch.
pub fn partitions(table: &Table, filters: &[Expr]) -> Vec<usize> {
    let all = (0..table.partitions.len()).collect();
    let Partitioning::Range { columns } = &table.partitioning else {
        return all;
    };
    // Only single-column ranges are pruned.
    let [column] = columns.as_slice() else {
        return all;
    };
    let Some(ty) = table.column(column).map(|c| c.ty) else {
        return all;
    };
    let mut iv = Interval::default();
    for f in filters {
        constrain(&mut iv, f, column, &ty);
    }
    table
        .partitions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.range.as_ref().is_none_or(|r| may_overlap(&iv, r)))
        .map(|(i, _)| i)
        .collect()
}

/// Equality literal for `column` among the (AND-ed) filters.
fn equality<'a>(filters: &'a [Expr], column: &str) -> Option<&'a ScalarValue> {
    fn walk<'a>(e: &'a Expr, column: &str) -> Option<&'a ScalarValue> {
        match e {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::And,
                right,
            }) => walk(left, column).or_else(|| walk(right, column)),
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) => {
                match (
                    column_name(left),
                    literal(right),
                    column_name(right),
                    literal(left),
                ) {
                    (Some(c), Some(v), _, _) | (_, _, Some(c), Some(v)) if c.eq_ignore_ascii_case(column) => {
                        Some(v)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
    filters.iter().find_map(|f| walk(f, column))
}

/// Buckets the filters select, or all of them.
pub fn buckets(table: &Table, filters: &[Expr]) -> BTreeSet<usize> {
    let all: BTreeSet<usize> = (0..table.distribution.buckets() as usize).collect();
    let Distribution::Hash { columns, buckets } = &table.distribution else {
        return all;
    };
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for name in columns {
        let Some(col) = table.column(name) else {
            return all;
        };
        let Some(value) = equality(filters, name) else {
            return all;
        };
        let Ok(cast) = value.cast_to(&arrow_type(&col.ty)) else {
            return all;
        };
        if cast.is_null() {
            return all;
        }
        let Ok(array) = cast.to_array() else {
            return all;
        };
        arrays.push(array);
    }
    let h = hash::hash_rows(&arrays, 1)[0];
    BTreeSet::from([hash::bucket(h, *buckets)])
}

/// Filters a BE can apply itself: `column <op> literal` (or BETWEEN) on a bare
/// column, in the conjunction of `filters`. Anything else stays with DataFusion,
/// which applies every filter again anyway.
pub fn pushable(table: &Table, filters: &[Expr]) -> Vec<rpc::ScanFilter> {
    fn bare(e: &Expr) -> Option<&str> {
        match e {
            Expr::Column(c) => Some(c.name.as_str()),
            _ => None,
        }
    }
    fn text(v: &ScalarValue) -> Option<String> {
        if v.is_null() {
            return None;
        }
        match v {
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                Some(s.clone())
            }
            ScalarValue::Boolean(_)
            | ScalarValue::Int8(_)
            | ScalarValue::Int16(_)
            | ScalarValue::Int32(_)
            | ScalarValue::Int64(_)
            | ScalarValue::Decimal128(..)
            | ScalarValue::Date32(_) => Some(v.to_string()),
            _ => None,
        }
    }
    fn walk(table: &Table, e: &Expr, out: &mut Vec<rpc::ScanFilter>) {
        let mut push = |col: &str, op: &str, v: &ScalarValue| {
            if let (Some(c), Some(value)) = (table.column(col), text(v)) {
                out.push(rpc::ScanFilter {
                    column: c.name.clone(),
                    op: op.to_string(),
                    value,
                });
            }
        };
        match e {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::And,
                right,
            }) => {
                walk(table, left, out);
                walk(table, right, out);
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let Some((col, op, v)) = comparison(left, *op, right, bare) else {
                    return;
                };
                let sym = match op {
                    Operator::Eq => "=",
                    Operator::NotEq => "!=",
                    Operator::Lt => "<",
                    Operator::LtEq => "<=",
                    Operator::Gt => ">",
                    Operator::GtEq => ">=",
                    _ => return,
                };
                push(col, sym, v);
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) => {
                if let (Some(c), Some(lo), Some(hi)) = (bare(expr), literal(low), literal(high)) {
                    push(c, ">=", lo);
                    push(c, "<=", hi);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for f in filters {
        walk(table, f, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use catalog::{Column, KeysKind, Partition, PartitionKey, PartitionRange, TableState, Tablet};
    use datafusion::prelude::{cast, col, lit};

    use super::*;

    fn table() -> Table {
        let column = |name: &str, ty| Column {
            name: name.into(),
            ty,
            nullable: true,
            is_key: name == "k",
            default: None,
            comment: String::new(),
        };
        let partition = |id, lo: KeyPart, hi: KeyPart| Partition {
            id,
            name: format!("p{id}"),
            range: Some(PartitionRange {
                lower: PartitionKey(vec![lo]),
                upper: PartitionKey(vec![hi]),
            }),
            visible_version: 1,
            visible_version_time_ms: 0,
            replication_num: 1,
            tablets: vec![
                Tablet {
                    id: id * 10,
                    replicas: vec![],
                },
                Tablet {
                    id: id * 10 + 1,
                    replicas: vec![],
                },
            ],
            row_count: 0,
            data_size: 0,
        };
        Table {
            id: 1,
            db_id: 1,
            name: "t".into(),
            state: TableState::Normal,
            keys_kind: KeysKind::Duplicate,
            columns: vec![
                column("k", ColumnType::Int),
                column(
                    "v",
                    ColumnType::Decimal {
                        precision: 10,
                        scale: 2,
                    },
                ),
            ],
            partitioning: Partitioning::Range {
                columns: vec!["k".into()],
            },
            distribution: Distribution::Hash {
                columns: vec!["k".into()],
                buckets: 2,
            },
            partitions: vec![
                partition(1, KeyPart::Min, KeyPart::Int(10)),
                partition(2, KeyPart::Int(10), KeyPart::Int(20)),
                partition(3, KeyPart::Int(20), KeyPart::Max),
            ],
            properties: BTreeMap::new(),
            comment: String::new(),
            index_id: 2,
            schema_hash: 3,
            created_ms: 0,
        }
    }

    #[test]
    fn ranges_prune_partitions() {
        let t = table();
        assert_eq!(partitions(&t, &[col("k").lt(lit(10))]), vec![0]);
        assert_eq!(
            partitions(&t, &[col("k").gt_eq(lit(10)).and(col("k").lt(lit(20)))]),
            vec![1]
        );
        assert_eq!(partitions(&t, &[lit(20).lt_eq(col("k"))]), vec![2]);
        assert_eq!(partitions(&t, &[col("k").between(lit(5), lit(15))]), vec![0, 1]);
        assert_eq!(
            partitions(&t, &[col("k").in_list(vec![lit(1), lit(25)], false)]),
            vec![0, 2]
        );
        // Not understood: keep everything.
        assert_eq!(partitions(&t, &[col("v").gt(lit(1))]), vec![0, 1, 2]);
    }

    #[test]
    fn equality_on_the_distribution_key_picks_one_bucket() {
        let t = table();
        let one = buckets(&t, &[col("k").eq(lit(7))]);
        assert_eq!(one.len(), 1);
        assert_eq!(buckets(&t, &[col("k").gt(lit(7))]).len(), 2);
    }

    #[test]
    fn pushdown_only_for_bare_columns() {
        let t = table();
        let pushed = pushable(&t, &[col("k").gt_eq(lit(3)).and(lit(9).gt(col("k")))]);
        let ops: Vec<(&str, &str)> = pushed.iter().map(|f| (f.op.as_str(), f.value.as_str())).collect();
        assert_eq!(ops, vec![(">=", "3"), ("<", "9")]);
        // Under a cast the comparison is not the column's own: never pushed.
        assert!(
            pushable(
                &t,
                &[cast(col("v"), arrow::datatypes::DataType::Int32).eq(lit(3))]
            )
            .is_empty()
        );
    }
}
