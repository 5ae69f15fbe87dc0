//! `ALTER SYSTEM`, `KILL` and transaction control.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, separated_pair};

use super::common::{PResult, flag, integer, kw, kws, punct, string_lit};
use crate::ast::{AlterSystemOp, Statement};

/// `ALTER SYSTEM {ADD | DROP | DROPP} BACKEND "host:port"[, ...]`
pub(super) fn alter_system(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["ALTER", "SYSTEM"])(i)?;
    let (i, add) = alt((
        map(kw("ADD"), |_| true),
        map(alt((kw("DROP"), kw("DROPP"))), |_| false),
    ))
    .parse(i)?;
    let (i, _) = kw("BACKEND")(i)?;
    let (i, hosts) = separated_list1(punct(","), string_lit).parse(i)?;
    let op = if add {
        AlterSystemOp::AddBackends(hosts)
    } else {
        AlterSystemOp::DropBackends(hosts)
    };
    Ok((i, Statement::AlterSystem(op)))
}

/// `ADMIN SET FRONTEND CONFIG ("key" = "value")` (one pair, as in
/// StarRocks) or `ADMIN SHOW FRONTEND CONFIG [LIKE 'pattern']`.
pub(super) fn admin_config(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("ADMIN")(i)?;
    alt((
        map(
            preceded(
                kws(&["SET", "FRONTEND", "CONFIG"]),
                delimited(
                    punct("("),
                    separated_pair(string_lit, punct("="), string_lit),
                    punct(")"),
                ),
            ),
            |(key, value)| Statement::AdminSetConfig { key, value },
        ),
        map(
            preceded(
                kws(&["SHOW", "FRONTEND", "CONFIG"]),
                opt(preceded(kw("LIKE"), string_lit)),
            ),
            |pattern| Statement::AdminShowConfig { pattern },
        ),
    ))
    .parse(i)
}

/// `KILL [QUERY | CONNECTION] id`
pub(super) fn kill(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("KILL")(i)?;
    let (i, query) = opt(alt((
        map(kw("QUERY"), |_| true),
        map(kw("CONNECTION"), |_| false),
    )))
    .parse(i)?;
    let (i, connection_id) = integer(i)?;
    Ok((
        i,
        Statement::Kill {
            query: query.unwrap_or(false),
            connection_id,
        },
    ))
}

/// `BEGIN [WORK]`, `START TRANSACTION`, `COMMIT [WORK]`, `ROLLBACK [WORK]`
pub(super) fn transaction(i: &str) -> PResult<'_, Statement> {
    alt((
        map((kw("BEGIN"), flag(&["WORK"])), |_| Statement::Begin),
        map(kws(&["START", "TRANSACTION"]), |_| Statement::Begin),
        map((kw("COMMIT"), flag(&["WORK"])), |_| Statement::Commit),
        map((kw("ROLLBACK"), flag(&["WORK"])), |_| Statement::Rollback),
    ))
    .parse(i)
}
