//! Stream Load's text formats: CSV (StarRocks' `column_separator`,
//! `row_delimiter`, `skip_header`, `\N` for NULL) and JSON (one object per
//! line, or an array with `strip_outer_array`). Values stay text here;
//! [`super::convert`] casts them to the column types and filters what fails.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema};

use crate::error::FeError;

/// Parsed rows as text columns, plus the rows that could not even be split.
#[derive(Debug)]
pub struct TextRows {
    /// One Utf8 column per target column, in target order.
    pub batch: RecordBatch,
    /// Rows rejected while parsing (wrong field count, bad JSON).
    pub rejected: Rejected,
    /// Rows seen (accepted and rejected).
    pub total: u64,
}

/// Rejected rows: how many, and the first [`Rejected::KEEP`] of them for the
/// error log, each cut to [`Rejected::ROW_BYTES`], so a load of bad rows
/// costs no memory beyond that.
#[derive(Debug, Default, Clone)]
pub struct Rejected {
    /// The first rows' errors.
    pub first: Vec<String>,
    /// Every rejected row.
    pub count: u64,
}

impl Rejected {
    /// Rows kept for the error log.
    pub const KEEP: usize = 100;
    /// Bytes kept of one row's error.
    pub const ROW_BYTES: usize = 1024;

    /// Counts a rejected row and keeps its error if there is room.
    pub fn push(&mut self, error: String) {
        self.count += 1;
        if self.first.len() < Self::KEEP {
            self.first.push(truncate(error, Self::ROW_BYTES));
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary, marked when cut.
pub fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(" ...");
    }
    text
}

/// Decodes StarRocks' separator notation: `\t`, `\n`, `\x01` style hex, or the text itself.
pub fn separator(text: &str) -> String {
    if let Some(hex) = text.strip_prefix("\\x").or_else(|| text.strip_prefix("\\X"))
        && let Ok(bytes) = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<Result<Vec<u8>, _>>()
    {
        return String::from_utf8_lossy(&bytes).to_string();
    }
    match text {
        "\\t" => "\t".into(),
        "\\n" => "\n".into(),
        "\\r\\n" => "\r\n".into(),
        other => other.to_string(),
    }
}

fn batch(names: &[String], builders: Vec<StringBuilder>) -> Result<RecordBatch, FeError> {
    let fields: Vec<Field> = names
        .iter()
        .map(|n| Field::new(n, DataType::Utf8, true))
        .collect();
    let columns: Vec<ArrayRef> = builders
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| FeError::Internal(e.to_string()))
}

/// Parses CSV text into the columns `names`.
pub fn csv(
    text: &str,
    names: &[String],
    column_sep: &str,
    row_sep: &str,
    skip_header: usize,
) -> Result<TextRows, FeError> {
    let mut builders: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
    let mut rejected = Rejected::default();
    let mut total = 0;
    for line in text.split(row_sep).skip(skip_header) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        total += 1;
        let fields: Vec<&str> = line.split(column_sep).collect();
        if fields.len() != names.len() {
            rejected.push(format!(
                "Error: Value count does not match column count. Expect {}, but got {}. Row: {line}",
                names.len(),
                fields.len()
            ));
            continue;
        }
        for (b, f) in builders.iter_mut().zip(fields) {
            if f == "\\N" {
                b.append_null();
            } else {
                b.append_value(f);
            }
        }
    }
    Ok(TextRows {
        batch: batch(names, builders)?,
        rejected,
        total,
    })
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Parses JSON objects (one per line, or one array) into the columns `names`;
/// keys match column names case-insensitively, missing keys are NULL.
pub fn json(text: &str, names: &[String], strip_outer_array: bool) -> Result<TextRows, FeError> {
    let mut builders: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
    let mut rejected = Rejected::default();
    let mut total = 0;
    let objects: Vec<Result<serde_json::Value, String>> = if strip_outer_array {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Array(items)) => items.into_iter().map(Ok).collect(),
            Ok(_) => vec![Err(
                "JSON data is not an array, but strip_outer_array is true".to_string()
            )],
            Err(e) => vec![Err(format!("Invalid JSON: {e}"))],
        }
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).map_err(|e| format!("Invalid JSON: {e}. Row: {l}")))
            .collect()
    };
    for object in objects {
        total += 1;
        let map = match object {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(other) => {
                rejected.push(format!("Expected a JSON object, got: {other}"));
                continue;
            }
            Err(e) => {
                rejected.push(e);
                continue;
            }
        };
        for (b, name) in builders.iter_mut().zip(names) {
            let value = map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| json_text(v));
            b.append_option(value);
        }
    }
    Ok(TextRows {
        batch: batch(names, builders)?,
        rejected,
        total,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use arrow::array::{Array, AsArray};

    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn csv_with_header_nulls_and_bad_rows() {
        let rows = csv("a,b\n1,x\n2,\\N\n3\n\n4,y\r\n", &names(&["a", "b"]), ",", "\n", 1).unwrap();
        assert_eq!(rows.total, 4);
        assert_eq!(rows.rejected.count, 1);
        assert!(
            rows.rejected.first[0].contains("Expect 2, but got 1"),
            "{:?}",
            rows.rejected
        );
        let b = rows.batch.column(1).as_string::<i32>();
        assert_eq!(b.len(), 3);
        assert_eq!(b.value(0), "x");
        assert!(b.is_null(1));
        assert_eq!(b.value(2), "y");
    }

    #[test]
    fn separators_in_starrocks_notation() {
        assert_eq!(separator("\\t"), "\t");
        assert_eq!(separator("\\x01"), "\u{1}");
        assert_eq!(separator("||"), "||");
    }

    #[test]
    fn json_lines_and_arrays() {
        let rows = json(
            "{\"A\": 1, \"b\": \"x\"}\n{\"a\": 2}\nnot json\n",
            &names(&["a", "b"]),
            false,
        )
        .unwrap();
        assert_eq!(
            (rows.total, rows.rejected.count, rows.batch.num_rows()),
            (3, 1, 2)
        );
        assert!(rows.batch.column(1).as_string::<i32>().is_null(1));
        let rows = json("[{\"a\": 1.5}, {\"a\": null}]", &names(&["a"]), true).unwrap();
        assert_eq!(rows.batch.column(0).as_string::<i32>().value(0), "1.5");
        assert!(rows.batch.column(0).as_string::<i32>().is_null(1));
    }

    #[test]
    fn rejected_rows_are_counted_but_only_the_first_are_kept_and_cut() {
        let long = "é".repeat(5000);
        let text: String = (0..1000).map(|_| format!("{long}\n")).collect();
        let rows = csv(&text, &names(&["a", "b"]), ",", "\n", 0).unwrap();
        assert_eq!(rows.rejected.count, 1000);
        assert_eq!(rows.rejected.first.len(), Rejected::KEEP);
        assert!(
            rows.rejected
                .first
                .iter()
                .all(|r| r.len() <= Rejected::ROW_BYTES + 4)
        );
        assert!(rows.rejected.first[0].ends_with(" ..."));
    }
}
