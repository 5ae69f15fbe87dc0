//! The text of `INSERT` and `DELETE` statements: StarRocks' `WITH LABEL`,
//! parsing with sqlparser, and the table a statement writes (what the
//! privilege check needs before the statement runs).

use sqlparser::ast::{self, Statement};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::error::FeError;

/// Removes StarRocks' `WITH LABEL <label>` (sqlparser does not know it).
pub fn take_label(sql: &str) -> (String, Option<String>) {
    let lower = sql.to_ascii_lowercase();
    let mut search = 0;
    while let Some(pos) = lower[search..].find("with") {
        let start = search + pos;
        let after = lower[start + 4..].trim_start();
        if after.starts_with("label") && after[5..].starts_with(char::is_whitespace) {
            let label_start = sql.len() - after.len() + 5;
            let rest = sql[label_start..].trim_start();
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '(')
                .unwrap_or(rest.len());
            let label = rest[..end].trim_matches('`').to_string();
            let tail = &rest[end..];
            return (format!("{} {}", &sql[..start], tail), Some(label));
        }
        search = start + 4;
    }
    (sql.to_string(), None)
}

/// Parses one statement with sqlparser (MySQL dialect).
pub fn parse(sql: &str) -> Result<Statement, FeError> {
    let mut statements = Parser::parse_sql(&MySqlDialect {}, sql)
        .map_err(|e| FeError::Syntax(format!("Getting syntax error. Detail message: {e}.")))?;
    statements
        .pop()
        .ok_or_else(|| FeError::Syntax("Getting syntax error. Detail message: empty statement.".into()))
}

/// The table an `INSERT INTO` or `DELETE FROM` writes, when the text parses.
pub fn target(sql: &str) -> Option<parser::ast::TableName> {
    let (sql, _) = take_label(sql);
    let name = match parse(&sql).ok()? {
        Statement::Insert(ins) => match ins.table {
            ast::TableObject::TableName(name) => name,
            _ => return None,
        },
        Statement::Delete(del) => {
            let (ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t)) = del.from;
            match &t.first()?.relation {
                ast::TableFactor::Table { name, .. } => name.clone(),
                _ => return None,
            }
        }
        _ => return None,
    };
    let mut parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.to_string().trim_matches('`').to_string())
        .collect();
    let table = parts.pop()?;
    Some(parser::ast::TableName {
        database: parts.pop(),
        table,
    })
}
