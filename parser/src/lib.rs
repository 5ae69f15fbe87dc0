//! SQL parser for Starling's StarRocks-compatible dialect.
//!
//! The front end hands raw client text to [`parse`] (or [`parse_one`]) and
//! gets back [`Statement`]s; queries are passed through as raw text.
//!
//! ```text
//!  sql text ──split_statements──▶ statement text ──grammar (nom)──▶ Statement
//!                                        │                             │
//!                                        └── failure ──▶ ParseError    └── Display ──▶ canonical SQL
//! ```
//!
//! Where to start reading:
//! - [`ast`]: the statement types; each prints valid SQL through `Display`.
//! - `grammar`: one nom module per statement family (database, table,
//!   partition, types, show, set, system) plus `common` for identifiers,
//!   literals, keywords and `PROPERTIES`.
//! - `lex`: token classes, comments, quoting, reserved words and the
//!   statement splitter.
//! - `error`: the farthest-failure tracker behind StarRocks-style messages
//!   such as `Getting syntax error at line 1, column 0. Detail message:
//!   Unexpected input 'CREAT', the most similar input is {'CREATE', ...}.`
#![warn(missing_docs)]

pub mod ast;
mod depth;
mod error;
pub mod fuzz;
mod grammar;
mod lex;

pub use ast::*;
pub use depth::MAX_NESTING;
pub use error::ParseError;

/// Parses every statement of `sql`. Statements are separated by `;` outside
/// quotes and comments; empty statements are skipped. Fails on the first
/// statement that does not parse, with a position relative to all of `sql`.
pub fn parse(sql: &str) -> Result<Vec<Statement>, ParseError> {
    split_statements(sql)
        .into_iter()
        .map(|(offset, text)| statement(sql, offset, text))
        .collect()
}

/// One statement: its nesting is bounded first ([`MAX_NESTING`]), then the grammar runs.
fn statement(sql: &str, offset: usize, text: &str) -> Result<Statement, ParseError> {
    depth::check(sql, offset, text)?;
    grammar::parse_statement(sql, offset, text)
}

/// Refuses an expression or statement text (a Stream Load `columns` or
/// `where` header, say) whose nesting could exceed [`MAX_NESTING`].
pub fn check_nesting(text: &str) -> Result<(), ParseError> {
    depth::check(text, 0, text)
}

/// Parses exactly one statement; a trailing `;` is allowed.
pub fn parse_one(sql: &str) -> Result<Statement, ParseError> {
    let parts = split_statements(sql);
    match parts.as_slice() {
        [] => statement(sql, 0, sql),
        [(offset, text), rest @ ..] => {
            let stmt = statement(sql, *offset, text)?;
            match rest.first() {
                None => Ok(stmt),
                Some((next, _)) => Err(error::extra_statement(sql, *next)),
            }
        }
    }
}

/// Splits `sql` into its non-empty statements: the byte offset of each
/// statement's first character and its text, trimmed, without the `;`.
pub fn split_statements(sql: &str) -> Vec<(usize, &str)> {
    lex::split(sql)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parse_one_rejects_two_statements() {
        assert_eq!(parse_one("BEGIN;").unwrap(), Statement::Begin);
        let err = parse_one("BEGIN; COMMIT").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Getting syntax error at line 1, column 7. Detail message: \
             Unexpected input 'COMMIT', the most similar input is {<EOF>}."
        );
        assert!(parse_one("  ").is_err());
    }

    #[test]
    fn positions_are_relative_to_the_whole_input() {
        let err = parse("SHOW TABLES;\nSHOW TABLEZ").unwrap_err();
        assert_eq!((err.line, err.column), (2, 5));
        assert!(
            err.message.starts_with("Unexpected input 'TABLEZ'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn error_at_semicolon_names_it() {
        let err = parse("DROP TABLE ; SHOW TABLES").unwrap_err();
        assert_eq!((err.line, err.column), (1, 11));
        assert!(err.message.starts_with("Unexpected input ';'"), "{err}");
    }
}
