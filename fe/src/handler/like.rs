//! `LIKE 'pattern'` and `WHERE col = 'x'` filters of SHOW statements.

use parser::ast::ShowFilter;

use crate::error::FeError;
use crate::result::{ResultSet, Value};

/// MySQL LIKE matching (`%`, `_`, `\` escapes), case-insensitive as SHOW is.
pub fn like_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('%') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('_') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some('\\') if p.len() > 1 => t.first() == Some(&p[1]) && go(&p[2..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Text(s) => s.clone(),
    }
}

/// Keeps the rows that pass the filter. `LIKE` applies to column `like_column`;
/// `WHERE` supports `<column> = 'v'` and `<column> LIKE 'p'`.
pub fn filter(
    mut rs: ResultSet,
    filter: Option<&ShowFilter>,
    like_column: usize,
) -> Result<ResultSet, FeError> {
    match filter {
        None => Ok(rs),
        Some(ShowFilter::Like(pattern)) => {
            rs.rows.retain(|r| {
                r.get(like_column)
                    .is_some_and(|v| like_match(pattern, &cell_text(v)))
            });
            Ok(rs)
        }
        Some(ShowFilter::Where(expr)) => {
            let (column, op, value) = parse_where(expr)?;
            let Some(idx) = rs
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(&column))
            else {
                return Err(FeError::analysis(format!(
                    "Unknown column '{column}' in WHERE clause"
                )));
            };
            rs.rows.retain(|r| {
                let cell = cell_text(&r[idx]);
                if op == "=" {
                    cell.eq_ignore_ascii_case(&value)
                } else {
                    like_match(&value, &cell)
                }
            });
            Ok(rs)
        }
    }
}

/// Parses `col = 'v'` or `col LIKE 'p'`.
fn parse_where(expr: &str) -> Result<(String, &'static str, String), FeError> {
    let unsupported = || FeError::not_supported(format!("WHERE clause '{expr}' in SHOW"));
    let e = expr.trim();
    let (lhs, op, rhs) = if let Some((l, r)) = e.split_once('=') {
        (l, "=", r)
    } else {
        let lower = e.to_ascii_lowercase();
        let pos = lower.find(" like ").ok_or_else(unsupported)?;
        (&e[..pos], "LIKE", &e[pos + 6..])
    };
    let column = lhs.trim().trim_matches('`').to_string();
    let rhs = rhs.trim();
    let quoted = rhs.len() >= 2
        && ((rhs.starts_with('\'') && rhs.ends_with('\'')) || (rhs.starts_with('"') && rhs.ends_with('"')));
    if !quoted || column.is_empty() {
        return Err(unsupported());
    }
    Ok((column, op, rhs[1..rhs.len() - 1].to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like_match("auto%", "autocommit"));
        assert!(like_match("%COMMIT", "autocommit"));
        assert!(like_match("a_to%", "autocommit"));
        assert!(!like_match("auto", "autocommit"));
        assert!(like_match("a\\%b", "a%b"));
        assert!(!like_match("a\\%b", "axb"));
    }

    #[test]
    fn where_forms() {
        assert_eq!(
            parse_where("Variable_name = 'x'").unwrap(),
            ("Variable_name".into(), "=", "x".into())
        );
        assert_eq!(
            parse_where("`Database` like \"d%\"").unwrap(),
            ("Database".into(), "LIKE", "d%".into())
        );
        assert!(parse_where("a > 1").is_err());
    }
}
