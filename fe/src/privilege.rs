//! Authorization: what a session may do, and the one check every statement
//! passes between parsing and execution.
//!
//! ```text
//!   Statement ──needs()──▶ [Need] ──Grants::check──▶ handler
//!                                      ▲
//!   user grants + active roles (+ public) ──Grants::of
//! ```
//!
//! [`needs`] is one exhaustive `match` over the statement kinds, so a new
//! statement cannot compile without saying what it needs. Queries name their
//! tables only once DataFusion has planned them: [`Need::SelectScannedTables`]
//! defers that check to [`Grants::check_scans`], run on the plan before it executes.

mod builtin;
mod needs;
mod target;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use catalog::{Database, Privilege, PrivilegeGrant, PrivilegeObject, State, Table, User};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::LogicalPlan;
use parser::ast::Statement;

pub use builtin::{BUILTIN_ROLES, ensure_builtin_roles, grants_of as builtin_grants};
pub use needs::needs;
pub use target::grant_target;

use crate::auth::ROOT;
use crate::error::{ErrorCode, FeError};
use crate::query::provider::OlapTableProvider;
use crate::session::Session;
use crate::{Fe, query};

/// The built-in role every user and role has implicitly.
pub const PUBLIC: &str = "public";

/// One requirement of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// At least one of `any_of` on `object` (a concrete object, not "all").
    Privilege {
        /// Accepted privileges.
        any_of: Vec<Privilege>,
        /// The object.
        object: PrivilegeObject,
    },
    /// Some privilege on the database or on something in it (`USE db`).
    AnyInDatabase(String),
    /// Some privilege on the table (`DESC t`, `SHOW CREATE TABLE t`).
    AnyOnTable {
        /// Database.
        db: String,
        /// Table.
        table: String,
    },
    /// `GRANT` on `SYSTEM`, or all of `privileges` on `object` held `WITH GRANT OPTION`.
    Grantable {
        /// The privileges passed on.
        privileges: Vec<Privilege>,
        /// The object.
        object: PrivilegeObject,
    },
    /// `SELECT` on every table the planned query scans.
    SelectScannedTables,
}

impl Need {
    /// `SYSTEM`-level privilege.
    pub fn system(p: Privilege) -> Self {
        Self::Privilege {
            any_of: vec![p],
            object: PrivilegeObject::System,
        }
    }

    /// A privilege on a table.
    pub fn table(p: Privilege, db: &str, table: &str) -> Self {
        Self::Privilege {
            any_of: vec![p],
            object: PrivilegeObject::Table {
                db: Some(db.to_string()),
                table: Some(table.to_string()),
            },
        }
    }

    /// A privilege on a database.
    pub fn database(p: Privilege, db: &str) -> Self {
        Self::Privilege {
            any_of: vec![p],
            object: PrivilegeObject::Database {
                db: Some(db.to_string()),
            },
        }
    }
}

/// The privileges a session holds right now.
#[derive(Debug, Clone)]
pub struct Grants {
    /// The root user, or the `root` role is active: everything is allowed.
    root: bool,
    /// Every grant of the user and of its active roles (with their parents).
    grants: Vec<PrivilegeGrant>,
    /// Active roles, for denial messages.
    active: Vec<String>,
    /// Granted but not active roles, for denial messages.
    inactive: Vec<String>,
}

/// The roles a user has activated at login.
pub fn default_roles(state: &State, user: &str, host: &str) -> Vec<String> {
    state
        .user(user, host)
        .map(|u| u.default_roles.clone())
        .unwrap_or_default()
}

/// Every role reachable from `start` through role grants, `start` included.
pub fn expand_roles(state: &State, start: &[String]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = start.to_vec();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(role) = state.role(&name) {
            queue.extend(role.roles.iter().cloned());
        }
    }
    seen
}

impl Grants {
    /// What `session` holds in `state`: its own grants, its active roles'
    /// (still granted ones only) and `public`'s.
    pub fn of(state: &State, session: &Session) -> Self {
        match state.user(&session.user, &session.user_host) {
            Some(user) => Self::of_user(state, user, &session.roles),
            // The account was dropped under a live session: only `public`.
            None => Self::of_user(
                state,
                &User::new(&session.user, &session.user_host, String::new()),
                &[],
            ),
        }
    }

    /// What `user` holds with `roles` active.
    pub fn of_user(state: &State, user: &User, roles: &[String]) -> Self {
        let granted = &user.roles;
        let active: Vec<String> = granted.iter().filter(|r| roles.contains(r)).cloned().collect();
        let inactive: Vec<String> = granted.iter().filter(|r| !active.contains(r)).cloned().collect();
        let mut start = active.clone();
        start.push(PUBLIC.to_string());
        let mut grants: Vec<PrivilegeGrant> = user.grants.clone();
        // The built-in account is `'root'@'%'`; another host's `root` is an ordinary user.
        let mut root = user.name == ROOT && user.host == "%";
        for name in expand_roles(state, &start) {
            root |= name == ROOT;
            grants.extend(builtin::grants_of(&name));
            if let Some(role) = state.role(&name) {
                grants.extend(role.grants.iter().cloned());
            }
        }
        Self {
            root,
            grants,
            active,
            inactive,
        }
    }

    /// Holds one of `any_of` on `object`.
    pub fn has(&self, any_of: &[Privilege], object: &PrivilegeObject) -> bool {
        self.root
            || self
                .grants
                .iter()
                .any(|g| g.object.covers(object) && any_of.iter().any(|p| g.privileges.contains(p)))
    }

    /// Holds `privileges` on `object` with the grant option.
    pub fn can_pass_on(&self, privileges: &[Privilege], object: &PrivilegeObject) -> bool {
        self.root
            || privileges.iter().all(|p| {
                self.grants
                    .iter()
                    .any(|g| g.grant_option && g.object.covers(object) && g.privileges.contains(p))
            })
    }

    /// Holds a privilege on database `db` or on anything in it.
    pub fn any_in_database(&self, db: &str) -> bool {
        self.root || self.grants.iter().any(|g| g.object.touches_database(db))
    }

    /// Holds a privilege on table `db.table`.
    pub fn any_on_table(&self, db: &str, table: &str) -> bool {
        let object = PrivilegeObject::Table {
            db: Some(db.to_string()),
            table: Some(table.to_string()),
        };
        self.root || self.grants.iter().any(|g| g.object.covers(&object))
    }

    /// The databases this session may see, by name.
    pub fn visible_databases<'a>(&self, state: &'a State) -> Vec<&'a Database> {
        let mut dbs: Vec<&Database> = state
            .databases()
            .filter(|d| self.any_in_database(&d.name))
            .collect();
        dbs.sort_by(|a, b| a.name.cmp(&b.name));
        dbs
    }

    /// The tables of `db` this session may see, by name.
    pub fn visible_tables<'a>(&self, state: &'a State, db: &Database) -> Vec<&'a Table> {
        let mut tables: Vec<&Table> = state
            .tables(db.id)
            .filter(|t| self.any_on_table(&db.name, &t.name))
            .collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        tables
    }

    /// Passes or fails one need; `SelectScannedTables` passes here and is
    /// checked on the plan by [`Grants::check_scans`].
    pub fn check(&self, need: &Need) -> Result<(), FeError> {
        match need {
            Need::Privilege { any_of, object } if !self.has(any_of, object) => {
                let names: Vec<&str> = any_of.iter().map(|p| p.enum_name()).collect();
                Err(self.denied(&names.join(" OR "), object))
            }
            Need::AnyInDatabase(db) if !self.any_in_database(db) => {
                Err(self.denied("ANY", &PrivilegeObject::Database { db: Some(db.clone()) }))
            }
            Need::AnyOnTable { db, table } if !self.any_on_table(db, table) => Err(self.denied(
                "ANY",
                &PrivilegeObject::Table {
                    db: Some(db.clone()),
                    table: Some(table.clone()),
                },
            )),
            Need::Grantable { privileges, object }
                if !self.has(&[Privilege::Grant], &PrivilegeObject::System)
                    && !self.can_pass_on(privileges, object) =>
            {
                Err(self.denied(Privilege::Grant.enum_name(), &PrivilegeObject::System))
            }
            _ => Ok(()),
        }
    }

    /// Requires `SELECT` on every table a planned query reads, except
    /// `except_table` (the table id a DELETE reads under its own privilege).
    /// Each scan is identified by its provider, not by the name written in the
    /// query: an OLAP table by its catalog id, anything else is one of
    /// `information_schema`'s tables (readable through `public`).
    pub fn check_scans(
        &self,
        state: &State,
        plan: &LogicalPlan,
        except_table: Option<u64>,
    ) -> Result<(), FeError> {
        if self.root {
            return Ok(());
        }
        let mut denied = None;
        let walked = plan.apply_with_subqueries(|node| {
            let LogicalPlan::TableScan(scan) = node else {
                return Ok(TreeNodeRecursion::Continue);
            };
            let provider = source_as_provider(&scan.source)?;
            let any: &dyn std::any::Any = provider.as_ref();
            let need = match any.downcast_ref::<OlapTableProvider>() {
                Some(olap) if Some(olap.table().id) == except_table => None,
                Some(olap) => {
                    let table = olap.table();
                    let db = state.database_by_id(table.db_id).map(|d| d.name.clone());
                    Some(Need::table(
                        Privilege::Select,
                        &db.unwrap_or_default(),
                        &table.name,
                    ))
                }
                None => Some(Need::table(
                    Privilege::Select,
                    query::information_schema::NAME,
                    &scan.table_name.table().to_ascii_lowercase(),
                )),
            };
            if let Some(Err(e)) = need.map(|n| self.check(&n)) {
                denied = Some(e);
                return Ok(TreeNodeRecursion::Stop);
            }
            Ok(TreeNodeRecursion::Continue)
        });
        if let Err(e) = walked {
            return Err(FeError::common(e.to_string()));
        }
        denied.map_or(Ok(()), Err)
    }

    /// StarRocks' denial: errno 5203, SQLSTATE 42000.
    pub fn denied(&self, privilege: &str, object: &PrivilegeObject) -> FeError {
        let role_list = |roles: &[String]| {
            if roles.is_empty() {
                "NONE".to_string()
            } else {
                format!("[{}]", roles.join(", "))
            }
        };
        FeError::exec(
            ErrorCode::AccessDenied,
            format!(
                "Access denied; you need (at least one of) the {privilege} privilege(s) on {} for this \
                 operation. Please ask the admin to grant permission(s) or try activating existing roles \
                 using <set [default] role>. Current role(s): {}. Inactivated role(s): {}.",
                denial_object(object),
                role_list(&self.active),
                role_list(&self.inactive)
            ),
        )
    }
}

/// How a denial names the object: `SYSTEM`, `CATALOG default_catalog`,
/// `DATABASE db`, `TABLE t` (the bare table name, as StarRocks prints it).
fn denial_object(object: &PrivilegeObject) -> String {
    match object {
        PrivilegeObject::System => "SYSTEM".into(),
        PrivilegeObject::Catalog => format!("CATALOG {}", query::engine::DEFAULT_CATALOG),
        PrivilegeObject::Database { db } => format!("DATABASE {}", db.as_deref().unwrap_or("*")),
        PrivilegeObject::Table { table, .. } => format!("TABLE {}", table.as_deref().unwrap_or("*")),
    }
}

/// Adds to `txn` the removal of every grant that names what is being dropped:
/// table `db.table`, or with `table` `None` database `db` and every table in
/// it. Grants name objects, so without this a grant would pass to the next
/// object created under the same name, by anyone. Grants on all databases or
/// all tables (`*`) are not tied to one object and stay.
pub fn revoke_on_drop(txn: &mut catalog::Txn<'_>, db: &str, table: Option<&str>) {
    edit_grants(txn, |g| {
        let dropped = match (&g.object, table) {
            (
                PrivilegeObject::Table {
                    db: Some(d),
                    table: Some(t),
                },
                Some(gone),
            ) => d == db && t == gone,
            (PrivilegeObject::Table { db: Some(d), .. }, None) => d == db,
            (PrivilegeObject::Database { db: Some(d) }, None) => d == db,
            _ => false,
        };
        dropped.then_some(None)
    });
}

/// Adds to `txn` the move of every grant on table `db.old` to `db.new`: the
/// grants follow the table, as StarRocks' grants by id do, and none is left
/// for a new table named `old`.
pub fn follow_rename(txn: &mut catalog::Txn<'_>, db: &str, old: &str, new: &str) {
    edit_grants(txn, |g| match &g.object {
        PrivilegeObject::Table {
            db: Some(d),
            table: Some(t),
        } if d == db && t == old => {
            let mut moved = g.clone();
            moved.object = PrivilegeObject::Table {
                db: Some(db.to_string()),
                table: Some(new.to_string()),
            };
            Some(Some(moved))
        }
        _ => None,
    });
}

/// Rewrites the grants of every user and role: `edit` returns `None` to keep
/// a grant, `Some(None)` to remove it, `Some(Some(g))` to replace it.
fn edit_grants(txn: &mut catalog::Txn<'_>, edit: impl Fn(&PrivilegeGrant) -> Option<Option<PrivilegeGrant>>) {
    let apply = |grants: &[PrivilegeGrant]| -> Option<Vec<PrivilegeGrant>> {
        let mut changed = false;
        let mut out = Vec::with_capacity(grants.len());
        for g in grants {
            match edit(g) {
                None => out.push(g.clone()),
                Some(replacement) => {
                    changed = true;
                    out.extend(replacement);
                }
            }
        }
        changed.then_some(out)
    };
    let users: Vec<User> = txn
        .state()
        .users()
        .filter_map(|u| apply(&u.grants).map(|grants| User { grants, ..u.clone() }))
        .collect();
    for user in users {
        txn.push(catalog::Change::PutUser(user));
    }
    let roles: Vec<catalog::Role> = txn
        .state()
        .roles()
        .filter_map(|r| apply(&r.grants).map(|grants| catalog::Role { grants, ..r.clone() }))
        .collect();
    for role in roles {
        txn.push(catalog::Change::PutRole(role));
    }
}

/// The authorization step: every need of `stmt` must hold. Returns the
/// session's grants for the checks that happen on a query plan.
pub fn authorize(fe: &Fe, session: &Session, stmt: &Statement) -> Result<Grants, FeError> {
    let state = fe.catalog.read();
    let grants = Grants::of(&state, session);
    if grants.root {
        return Ok(grants);
    }
    let connection_user = |id: u64| {
        fe.connections
            .list()
            .into_iter()
            .find(|c| u64::from(c.id) == id)
            .map(|c| c.user)
    };
    for need in needs(&state, session, stmt, &connection_user)? {
        grants.check(&need)?;
    }
    Ok(grants)
}
