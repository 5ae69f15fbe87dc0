//! Users and roles: `CREATE/ALTER/DROP USER`, `CREATE/DROP ROLE`, role grants,
//! `SET ROLE`, `SET DEFAULT ROLE`, `SHOW USERS`, `SHOW ROLES`. Privilege grants
//! are in [`super::grant`]. The privilege each statement needs was checked
//! before these run ([`crate::privilege`]).

use catalog::{Change, Role, State, Txn, User};
use parser::ast::{AccountStmt, AuthOption, Grantee, RoleSelection, UserIdent};

use super::grant;
use crate::Fe;
use crate::auth::{self, ROOT};
use crate::error::FeError;
use crate::privilege::{BUILTIN_ROLES, PUBLIC, expand_roles};
use crate::result::{Output, ResultSet, Value};
use crate::session::Session;

/// Runs one account statement.
pub fn execute(fe: &Fe, session: &mut Session, stmt: &AccountStmt) -> Result<Output, FeError> {
    use AccountStmt as A;
    match stmt {
        A::CreateUser {
            if_not_exists,
            user,
            auth,
            default_roles,
        } => create_user(fe, session, user, auth.as_ref(), default_roles, *if_not_exists),
        A::AlterUser {
            if_exists,
            user,
            auth,
            default_role,
        } => alter_user(
            fe,
            session,
            user,
            auth.as_ref(),
            default_role.as_ref(),
            *if_exists,
        ),
        A::DropUser { if_exists, user } => drop_user(fe, user, *if_exists),
        A::CreateRole {
            if_not_exists,
            roles,
            comment,
        } => create_roles(fe, roles, comment.as_deref(), *if_not_exists),
        A::DropRole { if_exists, roles } => drop_roles(fe, roles, *if_exists),
        A::GrantRoles { roles, grantee } => grant_roles(fe, session, roles, grantee, true),
        A::RevokeRoles { roles, grantee } => grant_roles(fe, session, roles, grantee, false),
        A::Grant { .. } | A::Revoke { .. } => grant::grant_or_revoke(fe, session, stmt),
        A::ShowGrants { target, all } => grant::show_grants(fe, session, target.as_ref(), *all),
        A::ShowUsers => Ok(show_users(&fe.catalog.read())),
        A::ShowRoles => Ok(show_roles(&fe.catalog.read())),
        A::SetRole(selection) => set_role(fe, session, selection),
        A::SetDefaultRole { roles, user } => set_default_role(fe, user, roles),
    }
}

/// `'user'@'host'`, as StarRocks' messages print an account.
pub(super) fn identity(u: &UserIdent) -> String {
    format!("'{}'@'{}'", u.user, u.host)
}

fn stored_password(auth: Option<&AuthOption>) -> Result<String, FeError> {
    match auth {
        None => Ok(String::new()),
        Some(AuthOption::Plain(p)) => Ok(auth::stored_form(p)),
        Some(AuthOption::Hashed(h)) => auth::stored_from_hashed(h),
        Some(AuthOption::Plugin { plugin, .. }) => {
            Err(FeError::not_supported(format!("Authentication plugin {plugin}")))
        }
    }
}

/// The role names, each checked to exist.
fn existing_roles(state: &State, roles: &[String], context: &str) -> Result<(), FeError> {
    match roles.iter().find(|r| state.role(r).is_none()) {
        Some(r) => Err(FeError::analysis(format!("{context}: cannot find role {r}!"))),
        None => Ok(()),
    }
}

/// Only root may hand out the roles that carry node or full power.
fn check_powerful_roles(session: &Session, roles: &[String], verb: &str) -> Result<(), FeError> {
    if session.user != ROOT && roles.iter().any(|r| r == ROOT || r == "cluster_admin") {
        return Err(FeError::analysis(format!(
            "Can not {verb} root or cluster_admin role except root user"
        )));
    }
    Ok(())
}

fn create_user(
    fe: &Fe,
    session: &Session,
    user: &UserIdent,
    auth: Option<&AuthOption>,
    default_roles: &[String],
    if_not_exists: bool,
) -> Result<Output, FeError> {
    let password = stored_password(auth)?;
    check_powerful_roles(session, default_roles, "grant")?;
    fe.catalog.update(|txn| {
        if user.user == ROOT && user.host != "%" {
            // Another `root` account would shadow the built-in one from its host.
            return Err(FeError::analysis(format!(
                "Operation CREATE USER failed for {} : the name root is reserved",
                identity(user)
            )));
        }
        if txn.state().user(&user.user, &user.host).is_some() {
            if if_not_exists {
                return Ok(());
            }
            return Err(FeError::analysis(format!(
                "Operation CREATE USER failed for {} : user already exists",
                identity(user)
            )));
        }
        existing_roles(txn.state(), default_roles, "Cannot set role")?;
        let mut account = User::new(&user.user, &user.host, password);
        // `DEFAULT ROLE` both grants the roles and makes them default.
        for r in default_roles.iter().filter(|r| *r != PUBLIC) {
            if !account.roles.contains(r) {
                account.roles.push(r.clone());
                account.default_roles.push(r.clone());
            }
        }
        txn.push(Change::PutUser(account));
        Ok(())
    })?;
    Ok(Output::ok())
}

fn alter_user(
    fe: &Fe,
    session: &Session,
    user: &UserIdent,
    auth: Option<&AuthOption>,
    default_role: Option<&RoleSelection>,
    if_exists: bool,
) -> Result<Output, FeError> {
    if user.user == ROOT && session.user != ROOT {
        return Err(FeError::analysis("Can not modify root user, except root itself"));
    }
    let password = auth.map(|a| stored_password(Some(a))).transpose()?;
    fe.catalog.update(|txn| {
        let Some(mut account) = txn.state().user(&user.user, &user.host).cloned() else {
            if if_exists {
                return Ok(());
            }
            return Err(FeError::analysis(format!(
                "Operation ALTER USER failed for {} : user not exists",
                identity(user)
            )));
        };
        if let Some(p) = password {
            account.password_sha1_sha1 = p;
        }
        if let Some(selection) = default_role {
            account.default_roles = chosen_roles(txn.state(), &account, selection)?;
        }
        txn.push(Change::PutUser(account));
        Ok(())
    })?;
    Ok(Output::ok())
}

fn drop_user(fe: &Fe, user: &UserIdent, if_exists: bool) -> Result<Output, FeError> {
    if user.user == ROOT && user.host == "%" {
        return Err(FeError::analysis(format!(
            "Operation DROP USER failed for {} : cannot drop user {}",
            identity(user),
            identity(user)
        )));
    }
    fe.catalog.update(|txn| {
        if txn.state().user(&user.user, &user.host).is_none() {
            if if_exists {
                return Ok(());
            }
            return Err(FeError::analysis(format!(
                "Operation DROP USER failed for {} : user not exists",
                identity(user)
            )));
        }
        txn.push(Change::DeleteUser {
            name: user.user.clone(),
            host: user.host.clone(),
        });
        Ok(())
    })?;
    Ok(Output::ok())
}

fn create_roles(
    fe: &Fe,
    roles: &[String],
    comment: Option<&str>,
    if_not_exists: bool,
) -> Result<Output, FeError> {
    fe.catalog.update(|txn| {
        for name in roles {
            if txn.state().role(name).is_some() {
                if if_not_exists {
                    continue;
                }
                return Err(FeError::analysis(format!(
                    "Operation CREATE ROLE failed for {name} : role already exists"
                )));
            }
            txn.push(Change::PutRole(Role {
                name: name.clone(),
                builtin: false,
                comment: comment.unwrap_or_default().to_string(),
                grants: Vec::new(),
                roles: Vec::new(),
            }));
        }
        Ok(())
    })?;
    Ok(Output::ok())
}

fn drop_roles(fe: &Fe, roles: &[String], if_exists: bool) -> Result<Output, FeError> {
    fe.catalog.update(|txn| {
        for name in roles {
            match txn.state().role(name) {
                Some(r) if r.builtin => {
                    return Err(FeError::analysis(format!("role {name} cannot be dropped!")));
                }
                Some(_) => {}
                None if if_exists => continue,
                None => {
                    return Err(FeError::analysis(format!(
                        "Operation DROP ROLE failed for {name} : role not exists"
                    )));
                }
            }
            forget_role(txn, name);
        }
        Ok(())
    })?;
    Ok(Output::ok())
}

/// Removes a role and every grant of it to users and roles.
fn forget_role(txn: &mut Txn<'_>, name: &str) {
    let users: Vec<User> = txn
        .state()
        .users()
        .filter(|u| u.roles.iter().any(|r| r == name))
        .cloned()
        .collect();
    for mut u in users {
        u.roles.retain(|r| r != name);
        u.default_roles.retain(|r| r != name);
        txn.push(Change::PutUser(u));
    }
    let children: Vec<Role> = txn
        .state()
        .roles()
        .filter(|r| r.roles.iter().any(|p| p == name))
        .cloned()
        .collect();
    for mut r in children {
        r.roles.retain(|p| p != name);
        txn.push(Change::PutRole(r));
    }
    txn.push(Change::DeleteRole(name.to_string()));
}

fn grant_roles(
    fe: &Fe,
    session: &Session,
    roles: &[String],
    grantee: &Grantee,
    grant: bool,
) -> Result<Output, FeError> {
    let verb = if grant { "grant" } else { "revoke" };
    if roles.iter().any(|r| r == PUBLIC) {
        let (verb, gerund) = if grant {
            ("grant", "Granting")
        } else {
            ("revoke", "Revoking")
        };
        return Err(FeError::analysis(format!(
            "failed to {verb} role: {gerund} role PUBLIC has no effect.  Every user and role has role PUBLIC implicitly granted."
        )));
    }
    check_powerful_roles(session, roles, verb)?;
    fe.catalog.update(|txn| {
        match grantee {
            Grantee::User(u) => {
                existing_roles(txn.state(), roles, "Can not granted/revoke role to/from user")?;
                let Some(mut account) = txn.state().user(&u.user, &u.host).cloned() else {
                    return Err(FeError::analysis(format!("cannot find user {}!", identity(u))));
                };
                if !grant && account.name == ROOT && roles.iter().any(|r| r == ROOT) {
                    return Err(FeError::analysis("Can not revoke root role from root user"));
                }
                for r in roles {
                    if grant && !account.roles.contains(r) {
                        account.roles.push(r.clone());
                    }
                    if !grant {
                        account.roles.retain(|x| x != r);
                        account.default_roles.retain(|x| x != r);
                    }
                }
                txn.push(Change::PutUser(account));
            }
            Grantee::Role(target) => {
                existing_roles(txn.state(), roles, "Can not granted/revoke role to/from role")?;
                let Some(mut role) = txn.state().role(target).cloned() else {
                    return Err(FeError::analysis(format!(
                        "Can not granted/revoke role to/from role: cannot find role {target}!"
                    )));
                };
                if role.builtin && role.name != PUBLIC {
                    return Err(FeError::analysis(format!(
                        "failed to {verb}: role {target} is not mutable!"
                    )));
                }
                for r in roles {
                    if grant && !role.roles.contains(r) {
                        // A cycle: `target` already sits above `r`.
                        if expand_roles(txn.state(), std::slice::from_ref(r)).contains(target) {
                            return Err(FeError::analysis(format!(
                                "failed to grant role: role {target} is already a predecessor role of {r}"
                            )));
                        }
                        role.roles.push(r.clone());
                    }
                    if !grant {
                        role.roles.retain(|x| x != r);
                    }
                }
                txn.push(Change::PutRole(role));
            }
        }
        Ok(())
    })?;
    Ok(Output::ok())
}

/// The roles `selection` picks among those granted to `account`.
fn chosen_roles(state: &State, account: &User, selection: &RoleSelection) -> Result<Vec<String>, FeError> {
    let check = |roles: &[String]| -> Result<(), FeError> {
        existing_roles(state, roles, "Cannot set role")?;
        match roles.iter().find(|r| !account.roles.contains(r) && *r != PUBLIC) {
            Some(r) => Err(FeError::analysis(format!(
                "Role {r} is not granted to {}",
                account.identity()
            ))),
            None => Ok(()),
        }
    };
    Ok(match selection {
        RoleSelection::Default => account.default_roles.clone(),
        RoleSelection::None => Vec::new(),
        RoleSelection::All { except } => {
            check(except)?;
            account
                .roles
                .iter()
                .filter(|r| !except.contains(r))
                .cloned()
                .collect()
        }
        RoleSelection::Roles(roles) => {
            check(roles)?;
            roles.iter().filter(|r| *r != PUBLIC).cloned().collect()
        }
    })
}

fn set_role(fe: &Fe, session: &mut Session, selection: &RoleSelection) -> Result<Output, FeError> {
    let state = fe.catalog.read();
    let Some(account) = state.user(&session.user, &session.user_host) else {
        return Err(FeError::analysis("current user no longer exists"));
    };
    session.roles = chosen_roles(&state, account, selection)?;
    Ok(Output::ok())
}

fn set_default_role(fe: &Fe, user: &UserIdent, selection: &RoleSelection) -> Result<Output, FeError> {
    fe.catalog.update(|txn| {
        let Some(mut account) = txn.state().user(&user.user, &user.host).cloned() else {
            return Err(FeError::analysis(format!("cannot find user {}!", identity(user))));
        };
        account.default_roles = chosen_roles(txn.state(), &account, selection)?;
        txn.push(Change::PutUser(account));
        Ok(())
    })?;
    Ok(Output::ok())
}

fn show_users(state: &State) -> Output {
    let mut rs = ResultSet::text_columns(&["User"]);
    for u in state.users() {
        rs.push(vec![Value::Text(u.identity())]);
    }
    Output::Rows(rs)
}

fn show_roles(state: &State) -> Output {
    let mut rs = ResultSet::text_columns(&["Name", "Builtin", "Comment"]);
    // Built-in roles first, in StarRocks' order, then the others by name.
    let builtin = BUILTIN_ROLES.iter().filter_map(|(n, _)| state.role(n));
    let others = state.roles().filter(|r| !r.builtin);
    for r in builtin.chain(others) {
        rs.push(vec![
            Value::Text(r.name.clone()),
            Value::Text(r.builtin.to_string()),
            Value::Text(r.comment.clone()),
        ]);
    }
    Output::Rows(rs)
}
