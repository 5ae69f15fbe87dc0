//! `SET` statements: variable assignments, `SET NAMES` / `SET CHARACTER
//! SET`, `SET PASSWORD`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, terminated};

use super::common::{Fail, PResult, any_word, ident, kw, kws, literal, punct, raw_until, string_lit};
use crate::ast::{PasswordValue, SetAssignment, SetScope, SetValue, Statement, UserIdent};
use crate::lex;

/// `SET ...`
pub(super) fn set(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("SET")(i)?;
    alt((set_names, set_charset, set_password, set_transaction, assignments)).parse(i)
}

/// `[GLOBAL|SESSION] TRANSACTION {ISOLATION LEVEL level | READ ONLY | READ WRITE}`,
/// which drivers send; kept as assignments of `transaction_isolation` /
/// `transaction_read_only` (MySQL's own meaning).
fn set_transaction(i: &str) -> PResult<'_, Statement> {
    let (i, scope) = opt(alt((
        map(kw("GLOBAL"), |_| SetScope::Global),
        map(alt((kw("SESSION"), kw("LOCAL"))), |_| SetScope::Session),
    )))
    .parse(i)?;
    let (i, _) = kw("TRANSACTION")(i)?;
    let level = alt((
        map(kws(&["READ", "UNCOMMITTED"]), |_| "READ-UNCOMMITTED"),
        map(kws(&["READ", "COMMITTED"]), |_| "READ-COMMITTED"),
        map(kws(&["REPEATABLE", "READ"]), |_| "REPEATABLE-READ"),
        map(kw("SERIALIZABLE"), |_| "SERIALIZABLE"),
    ));
    let (i, (name, value)) = alt((
        map(preceded(kws(&["ISOLATION", "LEVEL"]), level), |l| {
            ("transaction_isolation", l)
        }),
        map(kws(&["READ", "ONLY"]), |_| ("transaction_read_only", "ON")),
        map(kws(&["READ", "WRITE"]), |_| ("transaction_read_only", "OFF")),
    ))
    .parse(i)?;
    let value = if name == "transaction_isolation" {
        SetValue::Literal(crate::ast::Literal::String(value.to_string()))
    } else {
        SetValue::Ident(value.to_string())
    };
    Ok((
        i,
        Statement::Set(vec![SetAssignment {
            scope: scope.unwrap_or(SetScope::Session),
            name: name.to_string(),
            value,
        }]),
    ))
}

/// A character set or collation name: a word or a string.
fn charset_name(i: &str) -> PResult<'_, String> {
    alt((string_lit, any_word)).parse(i)
}

/// `DEFAULT` (→ `None`) or a name.
fn name_or_default(i: &str) -> PResult<'_, Option<String>> {
    alt((map(kw("DEFAULT"), |_| None), map(charset_name, Some))).parse(i)
}

/// `NAMES {DEFAULT | x} [COLLATE {DEFAULT | y}]`
fn set_names(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("NAMES")(i)?;
    let (i, charset) = name_or_default(i)?;
    let (i, collate) = opt(preceded(kw("COLLATE"), name_or_default)).parse(i)?;
    Ok((
        i,
        Statement::SetNames {
            charset,
            collate: collate.flatten(),
        },
    ))
}

/// `{CHARACTER SET | CHARSET | CHAR SET} {DEFAULT | x}`
fn set_charset(i: &str) -> PResult<'_, Statement> {
    let (i, _) = alt((
        map(kw("CHARSET"), |_| ()),
        kws(&["CHARACTER", "SET"]),
        kws(&["CHAR", "SET"]),
    ))
    .parse(i)?;
    let (i, charset) = name_or_default(i)?;
    Ok((
        i,
        Statement::SetNames {
            charset,
            collate: None,
        },
    ))
}

/// `PASSWORD [FOR user] = {PASSWORD('plain') | 'hashed'}`
fn set_password(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("PASSWORD")(i)?;
    let (i, user) = opt(preceded(kw("FOR"), user_ident)).parse(i)?;
    let (i, _) = punct("=")(i)?;
    let (i, password) = alt((
        map(
            preceded(kw("PASSWORD"), delimited(punct("("), string_lit, punct(")"))),
            PasswordValue::Plain,
        ),
        map(string_lit, PasswordValue::Hashed),
    ))
    .parse(i)?;
    Ok((i, Statement::SetPassword { user, password }))
}

/// `'user'@'host'`, `user@host` or `user` (host `%`).
pub(super) fn user_ident(i: &str) -> PResult<'_, UserIdent> {
    let (i, user) = alt((string_lit, ident)).parse(i)?;
    let (i, host) = opt(preceded(punct("@"), alt((string_lit, ident)))).parse(i)?;
    Ok((
        i,
        UserIdent {
            user,
            host: host.unwrap_or_else(|| "%".to_string()),
        },
    ))
}

/// How an assignment named its scope.
#[derive(Clone, Copy)]
enum ScopeSyntax {
    /// `GLOBAL x` / `SESSION x` / `LOCAL x`: also applies to the following
    /// assignments that name no scope (MySQL rule).
    Keyword(SetScope),
    /// `@@global.x`, `@@x`, `@x`: applies to this assignment only.
    Fixed(SetScope),
    /// `x`: the current default scope.
    Inherit,
}

/// `a = x [, ...]`
fn assignments(i: &str) -> PResult<'_, Statement> {
    let (i, items) = separated_list1(punct(","), assignment).parse(i)?;
    let mut current = SetScope::Session;
    let assignments = items
        .into_iter()
        .map(|(syntax, name, value)| {
            let scope = match syntax {
                ScopeSyntax::Keyword(s) => {
                    current = s;
                    s
                }
                ScopeSyntax::Fixed(s) => s,
                ScopeSyntax::Inherit => current,
            };
            SetAssignment { scope, name, value }
        })
        .collect();
    Ok((i, Statement::Set(assignments)))
}

fn scope_kw(i: &str) -> PResult<'_, SetScope> {
    alt((
        map(kw("GLOBAL"), |_| SetScope::Global),
        map(alt((kw("SESSION"), kw("LOCAL"))), |_| SetScope::Session),
    ))
    .parse(i)
}

/// The target of one assignment.
fn target(i: &str) -> PResult<'_, (ScopeSyntax, String)> {
    alt((
        map(
            preceded(punct("@@"), (opt(terminated(scope_kw, punct("."))), ident)),
            |(scope, name)| (ScopeSyntax::Fixed(scope.unwrap_or(SetScope::Session)), name),
        ),
        map(preceded(punct("@"), alt((any_word, ident, string_lit))), |name| {
            (ScopeSyntax::Fixed(SetScope::User), name)
        }),
        map((scope_kw, ident), |(scope, name)| {
            (ScopeSyntax::Keyword(scope), name)
        }),
        map(ident, |name| (ScopeSyntax::Inherit, name)),
    ))
    .parse(i)
}

fn assignment(i: &str) -> PResult<'_, (ScopeSyntax, String, SetValue)> {
    let (i, (syntax, name)) = target(i)?;
    let (i, _) = alt((punct(":="), punct("="))).parse(i)?;
    let (i, value) = set_value(i)?;
    Ok((i, (syntax, name, value)))
}

/// Succeeds, consuming nothing, at a `,` or the end of the statement.
fn value_end(i: &str) -> PResult<'_, ()> {
    let s = lex::skip_ws(i);
    if s.is_empty() || s.starts_with(',') {
        Ok((i, ()))
    } else {
        Err(nom::Err::Error(Fail::default()))
    }
}

/// A literal or bare word standing alone, otherwise raw expression text up
/// to the next top-level `,`.
fn set_value(i: &str) -> PResult<'_, SetValue> {
    alt((
        map(terminated(literal, value_end), SetValue::Literal),
        map(terminated(any_word, value_end), SetValue::Ident),
        map(|i| raw_until(i, |t| t == ","), SetValue::Expr),
    ))
    .parse(i)
}
