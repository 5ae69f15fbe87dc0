//! `WHERE`, `ORDER BY` and `LIMIT` over the rows of a `SHOW` statement. The
//! rows become a one-table DataFusion session (`rows`, every column text,
//! named in lower case as DataFusion resolves unquoted names) and the clause
//! runs on it as a query, so the clause has SQL's whole expression language
//! and its errors.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use super::engine::df_error;
use crate::error::FeError;
use crate::result::{Output, ResultSet, Value};

/// `rows` with `tail` (`WHERE ... ORDER BY ... LIMIT ...`) applied; `rows`
/// unchanged without one. The columns keep their names and announced types.
pub async fn apply_tail(rows: Output, tail: Option<&str>) -> Result<Output, FeError> {
    let (Some(tail), Output::Rows(rs)) = (tail, &rows) else {
        return Ok(rows);
    };
    let names: Vec<String> = rs.columns.iter().map(|c| c.name.to_ascii_lowercase()).collect();
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let text = |v: &Value| match v {
        Value::Null => None,
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Text(s) => Some(s.clone()),
    };
    let columns: Vec<ArrayRef> = (0..names.len())
        .map(|c| Arc::new(rs.rows.iter().map(|r| text(&r[c])).collect::<StringArray>()) as ArrayRef)
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
    Ok(Output::Rows(out))
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
}
