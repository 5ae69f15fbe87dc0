//! Stream Load's `columns` header: which field of each row is which column,
//! and columns computed from the fields, as in StarRocks:
//! `columns: k, tmp, v = upper(tmp), d = str_to_date(tmp, '%Y%m%d')`.
//!
//! Plain names are the fields in file order; a name that is not a table
//! column is a temporary field that expressions may use. `name = expr`
//! computes a table column with DataFusion (MySQL dialect, Starling's
//! functions) over the fields, which are text: `CAST(tmp AS INT) * 2`.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema};
use catalog::Table;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::FeError;

/// The parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// The file's fields, in order.
    pub fields: Vec<String>,
    /// Computed columns: (column, SQL expression over the fields).
    pub derived: Vec<(String, String)>,
}

impl Mapping {
    /// Every column of `table`, in order, as the file's fields.
    pub fn all_columns(table: &Table) -> Self {
        Self {
            fields: table.columns.iter().map(|c| c.name.clone()).collect(),
            derived: Vec::new(),
        }
    }

    /// Parses `k, tmp, v = expr, ...`; commas inside parentheses or quotes
    /// belong to the expression.
    pub fn parse(header: &str) -> Result<Self, String> {
        parser::check_nesting(header).map_err(|e| format!("Invalid 'columns': {}", e.message))?;
        let mut mapping = Self {
            fields: Vec::new(),
            derived: Vec::new(),
        };
        for item in split_top_level(header) {
            let item = item.trim();
            match item.split_once('=') {
                Some((name, expr)) if !expr.trim().is_empty() => {
                    mapping.derived.push((unquote(name), expr.trim().to_string()));
                }
                Some((name, _)) => {
                    return Err(format!(
                        "Empty expression for column '{}' in 'columns'",
                        unquote(name)
                    ));
                }
                None if item.is_empty() => return Err("Empty column name in 'columns'".to_string()),
                None => mapping.fields.push(unquote(item)),
            }
        }
        Ok(mapping)
    }

    /// Checks names against `table`: computed columns must be table columns,
    /// and a field that is not one must be used by a computed column.
    pub fn check(&self, table: &Table) -> Result<(), String> {
        let unknown = |n: &str| format!("Unknown column '{n}' in table {}", table.name);
        for (name, _) in &self.derived {
            if table.column(name).is_none() {
                return Err(unknown(name));
            }
        }
        for f in &self.fields {
            if table.column(f).is_none() && self.derived.is_empty() {
                return Err(unknown(f));
            }
        }
        Ok(())
    }

    /// The columns to load from `rows` (the fields, as text): the fields that
    /// are table columns, then the computed columns. Returns their names and
    /// the batch.
    pub async fn apply(
        &self,
        table: &Table,
        rows: &RecordBatch,
    ) -> Result<(Vec<String>, RecordBatch), FeError> {
        let kept: Vec<&String> = self.fields.iter().filter(|f| table.column(f).is_some()).collect();
        if self.derived.is_empty() {
            let indices: Vec<usize> = self
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| table.column(f).is_some())
                .map(|(i, _)| i)
                .collect();
            let batch = rows
                .project(&indices)
                .map_err(|e| FeError::Internal(e.to_string()))?;
            return Ok((kept.into_iter().cloned().collect(), batch));
        }
        let mut config = SessionConfig::new().with_target_partitions(1);
        config.options_mut().sql_parser.dialect = datafusion::config::Dialect::MySQL;
        let ctx = SessionContext::new_with_config(config);
        fragment::functions::register(&ctx);
        // Lower-case names: DataFusion folds the unquoted names in expressions.
        let schema = Arc::new(Schema::new(
            rows.schema()
                .fields()
                .iter()
                .map(|f| Field::new(f.name().to_lowercase(), f.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let source = RecordBatch::try_new(Arc::clone(&schema), rows.columns().to_vec())
            .map_err(|e| FeError::Internal(e.to_string()))?;
        let table_src =
            MemTable::try_new(schema, vec![vec![source]]).map_err(|e| FeError::Internal(e.to_string()))?;
        ctx.register_table("__stream_load_fields", Arc::new(table_src))
            .map_err(|e| FeError::Internal(e.to_string()))?;
        let mut select: Vec<String> = kept.iter().map(|f| format!("`{}`", f.to_lowercase())).collect();
        for (i, (_, expr)) in self.derived.iter().enumerate() {
            select.push(format!("({expr}) AS `__derived_{i}`"));
        }
        let sql = format!("SELECT {} FROM __stream_load_fields", select.join(", "));
        let bad = |e: datafusion::error::DataFusionError| {
            FeError::analysis(format!("Bad expression in 'columns': {}", e.find_root()))
        };
        let batches = ctx.sql(&sql).await.map_err(bad)?.collect().await.map_err(bad)?;
        let Some(first) = batches.first() else {
            return Err(FeError::Internal("no result for 'columns' expressions".into()));
        };
        let batch = arrow::compute::concat_batches(&first.schema(), &batches)
            .map_err(|e| FeError::Internal(e.to_string()))?;
        let mut names: Vec<String> = kept.into_iter().cloned().collect();
        names.extend(self.derived.iter().map(|(n, _)| n.clone()));
        Ok((names, batch))
    }
}

fn unquote(name: &str) -> String {
    name.trim().trim_matches('`').to_string()
}

/// `text` split at commas outside parentheses and quotes.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_into_fields_and_expressions() {
        let m =
            Mapping::parse(" k, `tmp` ,v = concat(tmp, ',', 'a=b'), d=if(k = 1, 'x', 'y')").expect("parse");
        assert_eq!(m.fields, ["k", "tmp"]);
        assert_eq!(
            m.derived,
            [
                ("v".to_string(), "concat(tmp, ',', 'a=b')".to_string()),
                ("d".to_string(), "if(k = 1, 'x', 'y')".to_string())
            ]
        );
        assert!(Mapping::parse("a, , b").is_err());
        assert!(Mapping::parse("a, v =").is_err());
    }
}
