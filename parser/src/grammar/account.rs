//! `CREATE/ALTER/DROP USER`, `CREATE/DROP ROLE`, `GRANT`, `REVOKE`,
//! `SHOW GRANTS/USERS/ROLES`, `SET ROLE`, `SET DEFAULT ROLE`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt, value};
use nom::multi::separated_list1;
use nom::sequence::preceded;

use super::common::{PResult, any_word, db_name, fail, flag, ident, kw, kws, punct, string_lit, table_name};
use super::set::user_ident;
use crate::ast::{AccountStmt, AuthOption, GrantObject, Grantee, RoleSelection, Statement};
use crate::error::Expected;
use crate::lex;

/// Any account statement.
pub(super) fn statement(i: &str) -> PResult<'_, Statement> {
    map(
        alt((
            create_user,
            alter_user,
            drop_user,
            create_role,
            drop_role,
            grant,
            revoke,
            show_grants,
            show_users_or_roles,
            set_role,
            set_default_role,
        )),
        |s| Statement::Account(Box::new(s)),
    )
    .parse(i)
}

/// A role name: an identifier or a string.
fn role_name(i: &str) -> PResult<'_, String> {
    alt((ident, string_lit)).parse(i)
}

fn role_list(i: &str) -> PResult<'_, Vec<String>> {
    separated_list1(punct(","), role_name).parse(i)
}

/// `IDENTIFIED BY [PASSWORD] 'x'` or `IDENTIFIED WITH plugin [{BY|AS} 'x']`.
fn auth_option(i: &str) -> PResult<'_, AuthOption> {
    let (i, _) = kw("IDENTIFIED")(i)?;
    alt((
        map(preceded(kws(&["BY", "PASSWORD"]), string_lit), AuthOption::Hashed),
        map(preceded(kw("BY"), string_lit), AuthOption::Plain),
        with_plugin,
    ))
    .parse(i)
}

fn with_plugin(i: &str) -> PResult<'_, AuthOption> {
    let (i, _) = kw("WITH")(i)?;
    let (i, plugin) = alt((ident, string_lit)).parse(i)?;
    let native = plugin.eq_ignore_ascii_case("mysql_native_password");
    let (i, by) = opt(preceded(kw("BY"), string_lit)).parse(i)?;
    if let Some(plain) = by {
        if native {
            return Ok((i, AuthOption::Plain(plain)));
        }
        return Ok((
            i,
            AuthOption::Plugin {
                plugin,
                value: Some(plain),
            },
        ));
    }
    let (i, value) = opt(preceded(kw("AS"), string_lit)).parse(i)?;
    match value {
        Some(hash) if native => Ok((i, AuthOption::Hashed(hash))),
        value => Ok((i, AuthOption::Plugin { plugin, value })),
    }
}

fn create_user(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kws(&["CREATE", "USER"])(i)?;
    let (i, if_not_exists) = flag(&["IF", "NOT", "EXISTS"])(i)?;
    let (i, user) = user_ident(i)?;
    let (i, auth) = opt(auth_option).parse(i)?;
    let (i, default_roles) = opt(preceded(kws(&["DEFAULT", "ROLE"]), role_list)).parse(i)?;
    Ok((
        i,
        AccountStmt::CreateUser {
            if_not_exists,
            user,
            auth,
            default_roles: default_roles.unwrap_or_default(),
        },
    ))
}

fn alter_user(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kws(&["ALTER", "USER"])(i)?;
    let (i, if_exists) = flag(&["IF", "EXISTS"])(i)?;
    let (i, user) = user_ident(i)?;
    let (i, auth) = opt(auth_option).parse(i)?;
    let (i, default_role) = if auth.is_some() {
        (i, None)
    } else {
        map(preceded(kws(&["DEFAULT", "ROLE"]), default_role_selection), Some).parse(i)?
    };
    Ok((
        i,
        AccountStmt::AlterUser {
            if_exists,
            user,
            auth,
            default_role,
        },
    ))
}

fn drop_user(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kws(&["DROP", "USER"])(i)?;
    let (i, if_exists) = flag(&["IF", "EXISTS"])(i)?;
    let (i, user) = user_ident(i)?;
    Ok((i, AccountStmt::DropUser { if_exists, user }))
}

fn create_role(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kws(&["CREATE", "ROLE"])(i)?;
    let (i, if_not_exists) = flag(&["IF", "NOT", "EXISTS"])(i)?;
    let (i, roles) = role_list(i)?;
    let (i, comment) = opt(preceded(kw("COMMENT"), string_lit)).parse(i)?;
    Ok((
        i,
        AccountStmt::CreateRole {
            if_not_exists,
            roles,
            comment,
        },
    ))
}

fn drop_role(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kws(&["DROP", "ROLE"])(i)?;
    let (i, if_exists) = flag(&["IF", "EXISTS"])(i)?;
    let (i, roles) = role_list(i)?;
    Ok((i, AccountStmt::DropRole { if_exists, roles }))
}

/// One privilege: its words up to `,` or `ON`, joined by `_`, upper-case.
fn privilege(i: &str) -> PResult<'_, String> {
    let mut words = Vec::new();
    let mut rest = i;
    loop {
        if kw("ON")(rest).is_ok() || kw("TO")(rest).is_ok() || kw("FROM")(rest).is_ok() {
            break;
        }
        match any_word(rest) {
            Ok((r, w)) => {
                words.push(w.to_ascii_uppercase());
                rest = r;
            }
            Err(_) => break,
        }
    }
    if words.is_empty() {
        return fail(lex::skip_ws(i), Expected::Ident);
    }
    if words.len() == 2 && words[0] == "ALL" && words[1] == "PRIVILEGES" {
        words.pop();
    }
    Ok((rest, words.join("_")))
}

/// `ON` and the object of a privilege grant.
fn grant_object(i: &str) -> PResult<'_, GrantObject> {
    let (i, _) = kw("ON")(i)?;
    alt((
        value(GrantObject::System, kw("SYSTEM")),
        map(
            preceded(kw("CATALOG"), alt((ident, string_lit))),
            GrantObject::Catalog,
        ),
        value(GrantObject::AllCatalogs, kws(&["ALL", "CATALOGS"])),
        map(preceded(kw("DATABASE"), db_name), GrantObject::Database),
        value(GrantObject::AllDatabases, kws(&["ALL", "DATABASES"])),
        value(
            GrantObject::AllTablesIn(None),
            kws(&["ALL", "TABLES", "IN", "ALL", "DATABASES"]),
        ),
        map(
            preceded(kws(&["ALL", "TABLES", "IN", "DATABASE"]), db_name),
            |db| GrantObject::AllTablesIn(Some(db)),
        ),
        map(
            preceded(kw("TABLE"), separated_list1(punct(","), table_name)),
            GrantObject::Tables,
        ),
        legacy_object,
    ))
    .parse(i)
}

/// MySQL's `*.*`, `db.*` and `db.t`.
fn legacy_object(i: &str) -> PResult<'_, GrantObject> {
    if let Ok((i, _)) = (punct("*"), punct("."), punct("*")).parse(i) {
        return Ok((i, GrantObject::AllTablesIn(None)));
    }
    if let Ok((i, (db, _, _))) = (db_name_part, punct("."), punct("*")).parse(i) {
        return Ok((i, GrantObject::AllTablesIn(Some(db))));
    }
    map(table_name, |t| GrantObject::Tables(vec![t])).parse(i)
}

fn db_name_part(i: &str) -> PResult<'_, String> {
    ident(i)
}

/// `[USER] u` or `ROLE r`.
fn grantee(i: &str) -> PResult<'_, Grantee> {
    alt((
        map(preceded(kw("ROLE"), role_name), Grantee::Role),
        map(preceded(opt(kw("USER")), user_ident), Grantee::User),
    ))
    .parse(i)
}

fn grant(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kw("GRANT")(i)?;
    alt((grant_privileges, grant_roles)).parse(i)
}

fn grant_privileges(i: &str) -> PResult<'_, AccountStmt> {
    let (i, privileges) = separated_list1(punct(","), privilege).parse(i)?;
    let (i, object) = grant_object(i)?;
    let (i, _) = kw("TO")(i)?;
    let (i, grantee) = grantee(i)?;
    let (i, with_grant_option) = flag(&["WITH", "GRANT", "OPTION"])(i)?;
    Ok((
        i,
        AccountStmt::Grant {
            privileges,
            object,
            grantee,
            with_grant_option,
        },
    ))
}

fn grant_roles(i: &str) -> PResult<'_, AccountStmt> {
    let (i, roles) = role_list(i)?;
    let (i, _) = kw("TO")(i)?;
    let (i, grantee) = grantee(i)?;
    Ok((i, AccountStmt::GrantRoles { roles, grantee }))
}

fn revoke(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kw("REVOKE")(i)?;
    alt((revoke_privileges, revoke_roles)).parse(i)
}

fn revoke_privileges(i: &str) -> PResult<'_, AccountStmt> {
    let (i, privileges) = separated_list1(punct(","), privilege).parse(i)?;
    let (i, object) = grant_object(i)?;
    let (i, _) = kw("FROM")(i)?;
    let (i, grantee) = grantee(i)?;
    Ok((
        i,
        AccountStmt::Revoke {
            privileges,
            object,
            grantee,
        },
    ))
}

fn revoke_roles(i: &str) -> PResult<'_, AccountStmt> {
    let (i, roles) = role_list(i)?;
    let (i, _) = kw("FROM")(i)?;
    let (i, grantee) = grantee(i)?;
    Ok((i, AccountStmt::RevokeRoles { roles, grantee }))
}

fn show_grants(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kw("SHOW")(i)?;
    if let Ok((i, _)) = kws(&["ALL", "GRANTS"])(i) {
        return Ok((
            i,
            AccountStmt::ShowGrants {
                target: None,
                all: true,
            },
        ));
    }
    let (i, _) = kw("GRANTS")(i)?;
    let (i, target) = opt(preceded(kw("FOR"), grantee)).parse(i)?;
    Ok((i, AccountStmt::ShowGrants { target, all: false }))
}

fn show_users_or_roles(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kw("SHOW")(i)?;
    alt((
        value(AccountStmt::ShowUsers, kw("USERS")),
        value(AccountStmt::ShowRoles, kw("ROLES")),
    ))
    .parse(i)
}

/// `DEFAULT | NONE | ALL [EXCEPT r, ...] | r, ...`
fn role_selection(i: &str) -> PResult<'_, RoleSelection> {
    alt((
        value(RoleSelection::Default, kw("DEFAULT")),
        default_role_selection,
    ))
    .parse(i)
}

/// `NONE | ALL [EXCEPT r, ...] | r, ...` (no `DEFAULT`).
fn default_role_selection(i: &str) -> PResult<'_, RoleSelection> {
    alt((
        value(RoleSelection::None, kw("NONE")),
        map(
            preceded(kw("ALL"), opt(preceded(kw("EXCEPT"), role_list))),
            |except| RoleSelection::All {
                except: except.unwrap_or_default(),
            },
        ),
        map(role_list, RoleSelection::Roles),
    ))
    .parse(i)
}

fn set_role(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kws(&["SET", "ROLE"])(i)?;
    map(role_selection, AccountStmt::SetRole).parse(i)
}

fn set_default_role(i: &str) -> PResult<'_, AccountStmt> {
    let (i, _) = kws(&["SET", "DEFAULT", "ROLE"])(i)?;
    let (i, roles) = default_role_selection(i)?;
    let (i, _) = kw("TO")(i)?;
    let (i, user) = user_ident(i)?;
    Ok((i, AccountStmt::SetDefaultRole { roles, user }))
}
