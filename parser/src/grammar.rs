//! The nom grammar: one module per statement family, mirroring [`crate::ast`].
//!
//! [`parse_statement`] runs the grammar over one statement's text and turns
//! a failure into a [`ParseError`] positioned in the whole input.

mod account;
mod backup;
mod common;
mod database;
mod partition;
mod set;
mod show;
mod system;
mod table;
mod types;

use nom::Parser;
use nom::branch::alt;

use crate::ast::Statement;
use crate::error::{self, Expected, ParseError};
use crate::lex;
use common::{PResult, fail, kw, punct};

/// Parses `text`, a single statement found at byte `base` of `full`.
pub(crate) fn parse_statement(full: &str, base: usize, text: &str) -> Result<Statement, ParseError> {
    error::reset(text.len());
    match statement(text) {
        Ok((rest, stmt)) => {
            let rest = lex::skip_ws(rest);
            if rest.is_empty() {
                Ok(stmt)
            } else {
                error::record(rest, Expected::Eof);
                error::record(rest, Expected::Punct(";"));
                Err(error::farthest_error(full, base))
            }
        }
        Err(nom::Err::Failure(common::Fail {
            message: Some(message),
        })) => Err(ParseError::unpositioned(message)),
        Err(_) => Err(error::farthest_error(full, base)),
    }
}

/// Any statement.
fn statement(i: &str) -> PResult<'_, Statement> {
    alt((
        account::statement,
        database::create_database,
        table::create_table,
        database::drop_database,
        table::drop_table,
        database::use_database,
        table::truncate_table,
        table::alter_table,
        system::alter_system,
        system::admin_config,
        show::show,
        show::describe,
        set::set,
        system::kill,
        system::transaction,
        backup::statement,
        explain,
        query,
    ))
    .parse(i)
}

/// `EXPLAIN [LOGICAL | VERBOSE | COSTS] query`: the query kept as raw text.
fn explain(i: &str) -> PResult<'_, Statement> {
    let (mut rest, _) = kw("EXPLAIN")(i)?;
    let mut logical = false;
    for (word, is_logical) in [("LOGICAL", true), ("VERBOSE", false), ("COSTS", false)] {
        if let Ok((r, _)) = kw(word)(rest) {
            rest = r;
            logical = is_logical;
            break;
        }
    }
    match query(rest)? {
        (r, Statement::Query(q)) => Ok((r, Statement::Explain { logical, query: q })),
        _ => fail(lex::skip_ws(rest), Expected::Keyword("SELECT")),
    }
}

/// `SELECT`, `WITH`, `VALUES` or `(` (a query), `INSERT`, `DELETE` or
/// `UPDATE`: kept as raw text for the FE's SQL engine.
fn query(i: &str) -> PResult<'_, Statement> {
    let s = lex::skip_ws(i);
    let raw = s.trim_end().to_string();
    if kw("INSERT")(s).is_ok() {
        return Ok((&s[s.len()..], Statement::Insert(raw)));
    }
    if kw("DELETE")(s).is_ok() {
        return Ok((&s[s.len()..], Statement::Delete(raw)));
    }
    if kw("UPDATE")(s).is_ok() {
        return Ok((&s[s.len()..], Statement::Update(raw)));
    }
    let starts =
        kw("SELECT")(s).is_ok() || kw("WITH")(s).is_ok() || kw("VALUES")(s).is_ok() || punct("(")(s).is_ok();
    if !starts {
        return fail(s, Expected::Keyword("SELECT"));
    }
    Ok((&s[s.len()..], Statement::Query(raw)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::ast::*;
    use crate::{parse, parse_one, split_statements};

    #[test]
    fn set_scope_keyword_carries_over() {
        let Statement::Set(a) = parse_one("SET GLOBAL a = 1, b = 2, @@c = 3, d = 4").unwrap() else {
            panic!("not a SET");
        };
        let scopes: Vec<SetScope> = a.iter().map(|x| x.scope).collect();
        assert_eq!(
            scopes,
            [
                SetScope::Global,
                SetScope::Global,
                SetScope::Session,
                SetScope::Global
            ]
        );
    }

    #[test]
    fn explain_keeps_the_query_text() {
        assert_eq!(
            parse_one("explain  SELECT 1 FROM t").unwrap(),
            Statement::Explain {
                logical: false,
                query: "SELECT 1 FROM t".into()
            }
        );
        assert_eq!(
            parse_one("EXPLAIN LOGICAL WITH a AS (SELECT 1) SELECT * FROM a").unwrap(),
            Statement::Explain {
                logical: true,
                query: "WITH a AS (SELECT 1) SELECT * FROM a".into()
            }
        );
        assert!(matches!(
            parse_one("EXPLAIN VERBOSE SELECT 2").unwrap(),
            Statement::Explain { logical: false, .. }
        ));
        assert!(parse_one("EXPLAIN DROP TABLE t").is_err());
        assert!(parse_one("EXPLAIN").is_err());
    }

    #[test]
    fn empty_input() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse(" ;; -- nothing\n").unwrap(), vec![]);
        assert!(split_statements("/* only a comment */").is_empty());
        let err = parse_one("").unwrap_err();
        assert_eq!((err.line, err.column), (1, 0));
        assert!(err.message.starts_with("Unexpected input '<EOF>'"));
    }

    #[test]
    fn unicode_columns_count_chars() {
        let err = parse_one("CREATE TABLE t (名字 INT)").unwrap_err();
        assert_eq!((err.line, err.column), (1, 16));
        assert!(err.message.starts_with("Unexpected input '名字'"), "{err}");
        let ok = parse_one("CREATE TABLE t (`名字` INT)").unwrap();
        assert!(matches!(ok, Statement::CreateTable(_)));
    }

    #[test]
    fn unquoted_non_reserved_words_are_identifiers() {
        let stmt = parse_one(
            "CREATE TABLE status (date DATE, name INT, comment INT, value INT, type INT) \
             DUPLICATE KEY (date)",
        )
        .unwrap();
        let Statement::CreateTable(c) = stmt else {
            panic!("not CREATE TABLE");
        };
        assert_eq!(c.name.table, "status");
        assert_eq!(c.columns.len(), 5);
    }

    #[test]
    fn batch_partitions_are_refused_without_position() {
        let add = parse_one("ALTER TABLE t ADD PARTITION p VALUES LESS THAN (1) DISTRIBUTED BY RANDOM; ");
        assert!(add.is_ok());
        let err = parse_one(
            "CREATE TABLE t (k DATE) PARTITION BY RANGE (k) (PARTITION p1 VALUES LESS THAN ('x'), \
             START ('2020-01-01') END ('2021-01-01') EVERY (INTERVAL 1 DAY))",
        )
        .unwrap_err();
        assert!(!err.positioned);
        assert_eq!(
            err.to_string(),
            "Getting syntax error. Detail message: batch partition syntax \
             (START ... END ... EVERY) is not supported yet."
        );
    }

    #[test]
    fn query_text_is_raw() {
        assert_eq!(
            parse_one("  /* hint */ SELECT  1 ;  ").unwrap(),
            Statement::Query("SELECT  1".into())
        );
    }
}
