//! `WHERE`, `ORDER BY` and `LIMIT` over the rows of a `SHOW` statement. The
//! rows become a one-table DataFusion session (`rows`, every column text,
//! named in lower case as DataFusion resolves unquoted names) and the clause
//! runs on it as a query, so the clause has SQL's whole expression language
//! and its errors.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::engine::df_error;
use crate::error::FeError;
use crate::result::{ColType, Output, ResultSet, Value};

/// `rows` with `tail` (`WHERE ... ORDER BY ... LIMIT ...`) applied; `rows`
/// unchanged without one. The columns keep their names and announced types.
pub async fn apply_tail(rows: Output, tail: Option<&str>) -> Result<Output, FeError> {
    let (Some(tail), Output::Rows(rs)) = (tail, &rows) else {
        return Ok(rows);
    };
    let names: Vec<String> = rs.columns.iter().map(|c| c.name.to_ascii_lowercase()).collect();
    let types: Vec<DataType> = rs.columns.iter().map(|c| arrow_type(c.ty)).collect();
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .zip(&types)
            .map(|(n, t)| Field::new(n, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = types
        .iter()
        .enumerate()
        .map(|(c, ty)| column(ty, rs.rows.iter().map(|r| &r[c])))
        .collect();
    let batch =
        RecordBatch::try_new(Arc::clone(&schema), columns).map_err(|e| FeError::Internal(e.to_string()))?;
    let ctx = SessionContext::new();
    let table = MemTable::try_new(schema, vec![vec![batch]]).map_err(df_error)?;
    ctx.register_table("rows", Arc::new(table)).map_err(df_error)?;
    let selected = ctx
        .sql(&format!("SELECT * FROM rows {tail}"))
        .await
        .map_err(df_error)?
        .collect()
        .await
        .map_err(df_error)?;
    let mut out = ResultSet {
        columns: rs.columns.clone(),
        rows: Vec::new(),
    };
    for batch in &selected {
        out.rows.extend(super::output::batch_rows(batch)?);
    }
    // Doubles come back as text; they go out as they came in.
    for row in &mut out.rows {
        for (cell, column) in row.iter_mut().zip(&rs.columns) {
            if let (ColType::Double, Value::Text(t)) = (column.ty, &*cell)
                && let Ok(d) = t.parse::<f64>()
            {
                *cell = Value::Double(d);
            }
        }
    }
    Ok(Output::Rows(out))
}

/// Numbers stay numbers, so `WHERE BytesDone > 1000` compares numbers;
/// everything else is text.
fn arrow_type(ty: ColType) -> DataType {
    match ty {
        ColType::BigInt => DataType::Int64,
        ColType::UBigInt => DataType::UInt64,
        ColType::Double => DataType::Float64,
        _ => DataType::Utf8,
    }
}

/// One column of `values` as an array of type `ty`.
fn column<'a>(ty: &DataType, values: impl Iterator<Item = &'a Value>) -> ArrayRef {
    let text = |v: &Value| match v {
        Value::Null => None,
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Text(s) => Some(s.clone()),
    };
    match ty {
        DataType::Int64 => Arc::new(
            values
                .map(|v| match v {
                    Value::Int(i) => Some(*i),
                    Value::UInt(u) => i64::try_from(*u).ok(),
                    other => text(other).and_then(|t| t.parse().ok()),
                })
                .collect::<Int64Array>(),
        ),
        DataType::UInt64 => Arc::new(
            values
                .map(|v| match v {
                    Value::UInt(u) => Some(*u),
                    Value::Int(i) => u64::try_from(*i).ok(),
                    other => text(other).and_then(|t| t.parse().ok()),
                })
                .collect::<UInt64Array>(),
        ),
        DataType::Float64 => Arc::new(
            values
                .map(|v| match v {
                    Value::Double(d) => Some(*d),
                    other => text(other).and_then(|t| t.parse().ok()),
                })
                .collect::<Float64Array>(),
        ),
        _ => Arc::new(values.map(text).collect::<StringArray>()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn jobs() -> Output {
        let mut rs = ResultSet::text_columns(&["JobId", "State", "DbName"]);
        for (id, state, db) in [
            ("3", "FINISHED", "a"),
            ("10", "PAUSED", "b"),
            ("7", "FINISHED", "c"),
        ] {
            rs.push(vec![id.into(), state.into(), db.into()]);
        }
        Output::Rows(rs)
    }

    async fn ids(tail: &str) -> Vec<String> {
        let Output::Rows(rs) = apply_tail(jobs(), Some(tail)).await.unwrap() else {
            panic!("rows")
        };
        rs.rows
            .iter()
            .map(|r| match &r[0] {
                Value::Text(t) => t.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[tokio::test]
    async fn clauses_filter_order_and_limit_show_rows() {
        assert_eq!(ids("WHERE State = 'FINISHED'").await, ["3", "7"]);
        assert_eq!(
            ids("where state = 'FINISHED' ORDER BY CAST(JobId AS INT) DESC").await,
            ["7", "3"]
        );
        assert_eq!(ids("ORDER BY DbName DESC LIMIT 2").await, ["7", "10"]);
        assert_eq!(ids("LIMIT 1").await, ["3"]);
        let err = apply_tail(jobs(), Some("WHERE nope = 1")).await.unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        // No clause: the rows as they are.
        let Output::Rows(rs) = apply_tail(jobs(), None).await.unwrap() else {
            panic!("rows")
        };
        assert_eq!(rs.rows.len(), 3);
    }

    #[tokio::test]
    async fn numeric_columns_compare_and_sort_as_numbers() {
        let mut rs = ResultSet {
            columns: vec![
                crate::result::Column::int("JobId"),
                crate::result::Column {
                    name: "Bytes".into(),
                    ty: ColType::UBigInt,
                },
                crate::result::Column {
                    name: "Fraction".into(),
                    ty: ColType::Double,
                },
            ],
            rows: Vec::new(),
        };
        for (id, bytes, fraction) in [(1, 900u64, 0.5), (2, 10_000, 1.0), (3, 20, 0.25)] {
            rs.push(vec![Value::Int(id), Value::UInt(bytes), Value::Double(fraction)]);
        }
        let Output::Rows(out) = apply_tail(Output::Rows(rs), Some("WHERE Bytes > 100 ORDER BY Bytes DESC"))
            .await
            .unwrap()
        else {
            panic!("rows")
        };
        assert_eq!(
            out.rows,
            [
                vec![Value::Int(2), Value::UInt(10_000), Value::Double(1.0)],
                vec![Value::Int(1), Value::UInt(900), Value::Double(0.5)],
            ]
        );
    }
}
