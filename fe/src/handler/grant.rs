//! `GRANT` / `REVOKE` of privileges and `SHOW GRANTS`.

use catalog::{Change, ObjectType, PrivilegeGrant, PrivilegeObject, add_grant, remove_grant};
use parser::ast::{AccountStmt, Grantee};

use super::account::identity;
use crate::Fe;
use crate::error::FeError;
use crate::privilege::{PUBLIC, builtin_grants, grant_target};
use crate::query::engine::DEFAULT_CATALOG;
use crate::result::{Output, ResultSet, Value};
use crate::session::Session;

/// `GRANT privs ON object TO grantee` or `REVOKE ... FROM ...`.
pub fn grant_or_revoke(fe: &Fe, session: &Session, stmt: &AccountStmt) -> Result<Output, FeError> {
    let (privileges, object, grantee, grant_option, grant) = match stmt {
        AccountStmt::Grant {
            privileges,
            object,
            grantee,
            with_grant_option,
        } => (privileges, object, grantee, *with_grant_option, true),
        AccountStmt::Revoke {
            privileges,
            object,
            grantee,
        } => (privileges, object, grantee, false, false),
        _ => return Err(FeError::analysis("not a GRANT or REVOKE statement")),
    };
    let (objects, privileges) = grant_target(session, privileges, object)?;
    let verb = if grant { "grant" } else { "revoke" };
    let apply = |grants: &mut Vec<PrivilegeGrant>| -> Result<(), FeError> {
        for o in &objects {
            if grant {
                add_grant(grants, o, &privileges, grant_option);
            } else if !remove_grant(grants, o, &privileges) {
                return Err(FeError::analysis(format!(
                    "There is no such grant defined on {}",
                    object_text(o)
                )));
            }
        }
        Ok(())
    };
    fe.catalog.update(|txn| {
        if grant {
            objects.iter().try_for_each(|o| must_exist(txn.state(), o))?;
        }
        match grantee {
            Grantee::User(u) => {
                let Some(mut account) = txn.state().user(&u.user, &u.host).cloned() else {
                    return Err(FeError::analysis(format!("cannot find user {}!", identity(u))));
                };
                apply(&mut account.grants)?;
                txn.push(Change::PutUser(account));
            }
            Grantee::Role(r) => {
                let Some(mut role) = txn.state().role(r).cloned() else {
                    return Err(FeError::analysis(format!(
                        "Can not grant/revoke to role: cannot find role {r}!"
                    )));
                };
                if role.builtin && role.name != PUBLIC {
                    return Err(FeError::analysis(format!(
                        "failed to {verb}: role {r} is not mutable!"
                    )));
                }
                apply(&mut role.grants)?;
                txn.push(Change::PutRole(role));
            }
        }
        Ok(())
    })?;
    Ok(Output::ok())
}

/// A grant names an existing database or table (revokes may name gone ones).
fn must_exist(state: &catalog::State, o: &PrivilegeObject) -> Result<(), FeError> {
    let (db, table) = match o {
        PrivilegeObject::Database { db: Some(db) }
        | PrivilegeObject::Table {
            db: Some(db),
            table: None,
        } => (db, None),
        PrivilegeObject::Table {
            db: Some(db),
            table: Some(t),
        } => (db, Some(t)),
        _ => return Ok(()),
    };
    let Some(d) = state.database(db) else {
        return Err(FeError::unknown_db(db));
    };
    match table {
        Some(t) if state.table(d.id, t).is_none() => Err(FeError::unknown_table(&format!("{db}.{t}"))),
        _ => Ok(()),
    }
}

/// How `SHOW GRANTS` writes an object.
fn object_text(o: &PrivilegeObject) -> String {
    match o {
        PrivilegeObject::System => "SYSTEM".into(),
        PrivilegeObject::Catalog => format!("CATALOG {DEFAULT_CATALOG}"),
        PrivilegeObject::Database { db: Some(db) } => format!("DATABASE {db}"),
        PrivilegeObject::Database { db: None } => "ALL DATABASES".into(),
        PrivilegeObject::Table {
            db: Some(db),
            table: Some(t),
        } => format!("TABLE {db}.{t}"),
        PrivilegeObject::Table {
            db: Some(db),
            table: None,
        } => format!("ALL TABLES IN DATABASE {db}"),
        PrivilegeObject::Table { db: None, .. } => "ALL TABLES IN ALL DATABASES".into(),
    }
}

/// One `GRANT ... ON ... TO ...` row: privileges in StarRocks' per-type order.
fn grant_row(identity: &str, to: &str, g: &PrivilegeGrant) -> Vec<Value> {
    let ordered: Vec<String> = g
        .object
        .object_type()
        .privileges()
        .iter()
        .filter(|p| g.privileges.contains(p))
        .map(|p| p.sql_name())
        .collect();
    let catalog = match g.object.object_type() {
        ObjectType::System => Value::Null,
        _ => Value::Text(DEFAULT_CATALOG.into()),
    };
    vec![
        Value::Text(identity.to_string()),
        catalog,
        Value::Text(format!(
            "GRANT {} ON {} TO {to}{}",
            ordered.join(", "),
            object_text(&g.object),
            if g.grant_option { " WITH GRANT OPTION" } else { "" }
        )),
    ]
}

fn quoted_list(roles: &[String]) -> String {
    roles
        .iter()
        .map(|r| format!("'{r}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn user_rows(rs: &mut ResultSet, user: &catalog::User) {
    let identity = user.identity();
    if !user.roles.is_empty() {
        rs.push(vec![
            Value::Text(identity.clone()),
            Value::Null,
            Value::Text(format!("GRANT {} TO {identity}", quoted_list(&user.roles))),
        ]);
    }
    for g in &user.grants {
        rs.push(grant_row(&identity, &format!("USER {identity}"), g));
    }
}

fn role_rows(rs: &mut ResultSet, role: &catalog::Role) {
    if !role.roles.is_empty() {
        rs.push(vec![
            Value::Text(role.name.clone()),
            Value::Null,
            Value::Text(format!(
                "GRANT {} TO ROLE {}",
                quoted_list(&role.roles),
                role.name
            )),
        ]);
    }
    let to = format!("ROLE '{}'", role.name);
    for g in builtin_grants(&role.name).iter().chain(&role.grants) {
        rs.push(grant_row(&role.name, &to, g));
    }
}

/// `SHOW GRANTS [FOR u | FOR ROLE r]`, `SHOW ALL GRANTS`: columns
/// `UserIdentity`, `Catalog`, `Grants`.
pub fn show_grants(
    fe: &Fe,
    session: &Session,
    target: Option<&Grantee>,
    all: bool,
) -> Result<Output, FeError> {
    let state = fe.catalog.read();
    let mut rs = ResultSet::text_columns(&["UserIdentity", "Catalog", "Grants"]);
    if all {
        for u in state.users() {
            user_rows(&mut rs, u);
        }
        return Ok(Output::Rows(rs));
    }
    match target {
        Some(Grantee::Role(r)) => {
            let Some(role) = state.role(r) else {
                return Err(FeError::analysis(format!(
                    "There is no such grant defined for role {r}: cannot find role {r}!"
                )));
            };
            role_rows(&mut rs, role);
        }
        Some(Grantee::User(u)) => {
            let Some(user) = state.user(&u.user, &u.host) else {
                return Err(FeError::analysis(format!("cannot find user {}!", identity(u))));
            };
            user_rows(&mut rs, user);
        }
        None => {
            let Some(user) = state.user(&session.user, &session.user_host) else {
                return Err(FeError::analysis(format!("cannot find user {}!", session.user)));
            };
            user_rows(&mut rs, user);
        }
    }
    Ok(Output::Rows(rs))
}
