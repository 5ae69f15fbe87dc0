//! `CREATE DATABASE`, `DROP DATABASE`, `USE`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::opt;

use super::common::{PResult, db_name, flag, ident, kw, opt_properties, punct, string_lit};
use crate::ast::Statement;

/// `DATABASE` or its synonym `SCHEMA`.
fn database_kw(i: &str) -> PResult<'_, &str> {
    alt((kw("DATABASE"), kw("SCHEMA"))).parse(i)
}

/// `[DEFAULT] {CHARSET | CHARACTER SET} [=] name` and `[DEFAULT] COLLATE
/// [=] name`: accepted for MySQL compatibility and ignored.
pub(super) fn charset_or_collate(i: &str) -> PResult<'_, ()> {
    let (i, _) = opt(kw("DEFAULT")).parse(i)?;
    let (i, _) = alt((kw("CHARSET"), kw("COLLATE"), |i| {
        kw("CHARACTER")(i).and_then(|(i, _)| kw("SET")(i))
    }))
    .parse(i)?;
    let (i, _) = opt(punct("=")).parse(i)?;
    let (i, _) = alt((ident, string_lit)).parse(i)?;
    Ok((i, ()))
}

/// `CREATE {DATABASE|SCHEMA} [IF NOT EXISTS] [catalog.]db [PROPERTIES (...)]`
pub(super) fn create_database(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("CREATE")(i)?;
    let (i, _) = database_kw(i)?;
    let (i, if_not_exists) = flag(&["IF", "NOT", "EXISTS"])(i)?;
    let (i, name) = db_name(i)?;
    let (i, _) = opt(charset_or_collate).parse(i)?;
    let (i, properties) = opt_properties(i)?;
    Ok((
        i,
        Statement::CreateDatabase {
            if_not_exists,
            name,
            properties,
        },
    ))
}

/// `DROP {DATABASE|SCHEMA} [IF EXISTS] [catalog.]db [FORCE]`
pub(super) fn drop_database(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("DROP")(i)?;
    let (i, _) = database_kw(i)?;
    let (i, if_exists) = flag(&["IF", "EXISTS"])(i)?;
    let (i, name) = db_name(i)?;
    let (i, force) = flag(&["FORCE"])(i)?;
    Ok((
        i,
        Statement::DropDatabase {
            if_exists,
            name,
            force,
        },
    ))
}

/// `USE [catalog.]db`
pub(super) fn use_database(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("USE")(i)?;
    let (i, database) = db_name(i)?;
    Ok((i, Statement::Use { database }))
}
