//! What each statement needs (StarRocks' `AuthorizerStmtVisitor`, spec §10).
//!
//! Analysis errors come before authorization in StarRocks, so a need on an
//! object that does not exist is left out: the handler then reports the
//! unknown database or table.

use catalog::{Job, Privilege as P, PrivilegeObject, State};
use parser::ast::{
    AccountStmt, BackupObject, BackupStmt, Grantee, RestoreStmt, SetScope, Statement, TableName, UserIdent,
};

use super::grant_target;
use super::{Need, expand_roles};
use crate::error::FeError;
use crate::load::statement::target as insert_target;
use crate::session::Session;

/// The needs of `stmt` for `session`, in the order they are checked;
/// `connection_user` names the user of a live connection (for `KILL`).
pub fn needs(
    state: &State,
    session: &Session,
    stmt: &Statement,
    connection_user: &dyn Fn(u64) -> Option<String>,
) -> Result<Vec<Need>, FeError> {
    use Statement as S;
    let db_of = |named: Option<&str>| named.or(session.database.as_deref()).map(str::to_string);
    let existing_table = |name: &TableName| -> Option<(String, String)> {
        let db = db_of(name.database.as_deref())?;
        let db_id = state.database(&db)?.id;
        state.table(db_id, &name.table)?;
        Some((db, name.table.clone()))
    };
    let on_table = |p: P, name: &TableName| -> Vec<Need> {
        existing_table(name)
            .map(|(db, t)| Need::table(p, &db, &t))
            .into_iter()
            .collect()
    };
    let any_on_table = |name: &TableName| -> Vec<Need> {
        existing_table(name)
            .map(|(db, table)| Need::AnyOnTable { db, table })
            .into_iter()
            .collect()
    };
    let existing_db = |name: &str| state.database(name).is_some();
    let system = |p: P| vec![Need::system(p)];
    Ok(match stmt {
        S::CreateDatabase { .. } => vec![Need::Privilege {
            any_of: vec![P::CreateDatabase],
            object: PrivilegeObject::Catalog,
        }],
        S::DropDatabase { name, .. } if existing_db(name) => vec![Need::database(P::Drop, name)],
        S::Use { database } | S::ShowCreateDatabase { name: database } if existing_db(database) => {
            vec![Need::AnyInDatabase(database.clone())]
        }
        S::DropDatabase { .. } | S::Use { .. } | S::ShowCreateDatabase { .. } => Vec::new(),
        S::CreateTable(create) => match db_of(create.name.database.as_deref()) {
            Some(db) if existing_db(&db) => vec![Need::database(P::CreateTable, &db)],
            _ => Vec::new(),
        },
        S::DropTable { name, .. } => on_table(P::Drop, name),
        S::TruncateTable { name, .. } => on_table(P::Delete, name),
        S::AlterTable { name, .. } => on_table(P::Alter, name),
        S::ShowCreateTable { name } => any_on_table(name),
        S::ShowColumns { table, .. } | S::Describe { table, .. } | S::ShowPartitions { table, .. } => {
            any_on_table(table)
        }
        S::ShowData { table: Some(table) } => any_on_table(table),
        // Listings show only what the user may see (filtered by their handlers).
        S::ShowDatabases { .. }
        | S::ShowTables { .. }
        | S::ShowTableStatus { .. }
        | S::ShowData { table: None } => Vec::new(),
        S::ShowTablet { .. } | S::ShowTabletId(_) => system(P::Operate),
        S::ShowBackends | S::ShowFrontends => vec![Need::Privilege {
            any_of: vec![P::Operate, P::Node],
            object: PrivilegeObject::System,
        }],
        S::AlterSystem(_) => system(P::Node),
        S::Set(assignments) if assignments.iter().any(|a| a.scope == SetScope::Global) => system(P::Operate),
        S::Set(_)
        | S::SetNames { .. }
        | S::ShowVariables { .. }
        | S::ShowStatus { .. }
        | S::ShowWarnings { .. }
        | S::ShowEngines
        | S::ShowCharset
        | S::ShowCollation { .. }
        | S::Begin
        | S::Commit
        | S::Rollback
        | S::ShowRepositories => Vec::new(),
        // Other users' connections are listed only with OPERATE (handler).
        S::ShowProcesslist { .. } => Vec::new(),
        S::SetPassword { user, .. } => match user {
            Some(u) if !is_self(session, u) => system(P::Grant),
            _ => Vec::new(),
        },
        S::Kill { connection_id, .. } => match connection_user(*connection_id) {
            Some(owner) if owner != session.user => system(P::Operate),
            _ => Vec::new(),
        },
        S::Account(account) => account_needs(state, session, account)?,
        S::CreateRepository { .. }
        | S::DropRepository { .. }
        | S::ShowSnapshot { .. }
        | S::DropSnapshot { .. }
        | S::ShowBackup { .. }
        | S::ShowRestore { .. }
        | S::ShowJobs { .. }
        | S::CancelRestore { .. }
        | S::SteerJob { .. } => system(P::Repository),
        S::CancelBackup { database, .. } => {
            let db = database.as_deref().and_then(|n| state.database(n));
            cancel_backup_needs(state, db.and_then(|d| state.job(d.id)))
        }
        // By id, what the same statement by database needs.
        S::JobById { action, job_id } => {
            let job = state.jobs().find(|j| match j {
                Job::Backup(b) => u64::try_from(b.job_id).ok() == Some(*job_id),
                Job::Restore(r) => u64::try_from(r.job_id).ok() == Some(*job_id),
            });
            match (action, job) {
                (parser::ast::JobAction::Cancel, Some(job @ Job::Backup(_))) => {
                    cancel_backup_needs(state, Some(job))
                }
                _ => system(P::Repository),
            }
        }
        S::Backup(b) => backup_needs(state, session, b),
        S::Restore(r) => restore_needs(state, session, r),
        S::Query(_) | S::Explain { .. } => vec![Need::SelectScannedTables],
        S::Insert(sql) => {
            let mut needs: Vec<Need> = insert_target(sql)
                .map(|t| on_table(P::Insert, &t))
                .unwrap_or_default();
            needs.push(Need::SelectScannedTables);
            needs
        }
        S::Delete(sql) => {
            let mut needs: Vec<Need> = insert_target(sql)
                .map(|t| on_table(P::Delete, &t))
                .unwrap_or_default();
            needs.push(Need::SelectScannedTables);
            needs
        }
        // Only `information_schema.be_configs` can be updated; anything else
        // is refused by the handler.
        S::Update(sql) if crate::query::be_configs::is_be_configs_update(sql) => system(P::Operate),
        S::Update(_) => Vec::new(),
        S::AdminSetConfig { .. } | S::AdminShowConfig { .. } => system(P::Operate),
    })
}

fn is_self(session: &Session, user: &UserIdent) -> bool {
    user.user == session.user && user.host == session.user_host
}

/// User and role statements need `GRANT` on `SYSTEM`, except what a user does
/// to or asks about itself.
fn account_needs(state: &State, session: &Session, stmt: &AccountStmt) -> Result<Vec<Need>, FeError> {
    use AccountStmt as A;
    let grant = vec![Need::system(P::Grant)];
    Ok(match stmt {
        A::AlterUser { user, .. } | A::SetDefaultRole { user, .. } if is_self(session, user) => Vec::new(),
        A::ShowGrants {
            target: None,
            all: false,
        }
        | A::SetRole(_) => Vec::new(),
        A::ShowGrants {
            target: Some(Grantee::User(u)),
            all: false,
        } if is_self(session, u) => Vec::new(),
        A::ShowGrants {
            target: Some(Grantee::Role(r)),
            all: false,
        } => {
            let own = state
                .user(&session.user, &session.user_host)
                .map(|u| expand_roles(state, &u.roles))
                .unwrap_or_default();
            if own.contains(r) { Vec::new() } else { grant }
        }
        A::Grant {
            privileges, object, ..
        }
        | A::Revoke {
            privileges, object, ..
        } => {
            // Unknown privileges or objects are reported by the handler.
            match grant_target(session, privileges, object) {
                Ok((objects, privileges)) => objects
                    .into_iter()
                    .map(|object| Need::Grantable {
                        privileges: privileges.clone(),
                        object,
                    })
                    .collect(),
                Err(_) => grant,
            }
        }
        A::CreateUser { .. }
        | A::AlterUser { .. }
        | A::DropUser { .. }
        | A::CreateRole { .. }
        | A::DropRole { .. }
        | A::GrantRoles { .. }
        | A::RevokeRoles { .. }
        | A::ShowGrants { .. }
        | A::ShowUsers
        | A::ShowRoles
        | A::SetDefaultRole { .. } => grant,
    })
}

/// `REPOSITORY` on `SYSTEM` plus `EXPORT` on every table backed up.
fn backup_needs(state: &State, session: &Session, b: &BackupStmt) -> Vec<Need> {
    let mut needs = vec![Need::system(P::Repository)];
    let Some(db) = b
        .database
        .as_deref()
        .or(session.database.as_deref())
        .and_then(|n| state.database(n))
    else {
        return needs;
    };
    let whole_db = b.objects.is_empty() || b.objects.iter().any(|o| matches!(o, BackupObject::AllTables));
    let mut tables: Vec<String> = Vec::new();
    if whole_db {
        tables.extend(state.tables(db.id).map(|t| t.name.clone()));
    }
    for o in &b.objects {
        if let BackupObject::Table { name, .. } = o
            && state.table(db.id, &name.table).is_some()
        {
            tables.push(name.table.clone());
        }
    }
    tables.dedup();
    needs.extend(tables.iter().map(|t| Need::table(P::Export, &db.name, t)));
    needs
}

/// `REPOSITORY`, then `CREATE DATABASE` for a whole-database restore (or into
/// a database that does not exist yet), else `CREATE TABLE` on the target
/// database and `INSERT` on every existing table it overwrites.
fn restore_needs(state: &State, session: &Session, r: &RestoreStmt) -> Vec<Need> {
    let mut needs = vec![Need::system(P::Repository)];
    let target = r
        .target_database
        .as_deref()
        .or(r.database.as_deref())
        .or(session.database.as_deref());
    let target_db = target.and_then(|n| state.database(n));
    let create_db = Need::Privilege {
        any_of: vec![P::CreateDatabase],
        object: PrivilegeObject::Catalog,
    };
    let Some(db) = target_db.filter(|_| !r.objects.is_empty()) else {
        needs.push(create_db);
        return needs;
    };
    needs.push(Need::database(P::CreateTable, &db.name));
    if r.objects.iter().any(|o| matches!(o, BackupObject::AllTables)) {
        // Every table of the snapshot may land on an existing one.
        needs.extend(
            state
                .tables(db.id)
                .map(|t| Need::table(P::Insert, &db.name, &t.name)),
        );
    }
    for o in &r.objects {
        if let BackupObject::Table { name, alias, .. } = o {
            let target = alias.as_deref().unwrap_or(&name.table);
            if state.table(db.id, target).is_some() {
                needs.push(Need::table(P::Insert, &db.name, target));
            }
        }
    }
    needs
}

/// `CANCEL BACKUP`: `REPOSITORY`, and `EXPORT` on the tables of a running backup.
fn cancel_backup_needs(state: &State, job: Option<&Job>) -> Vec<Need> {
    let mut needs = vec![Need::system(P::Repository)];
    if let Some(Job::Backup(job)) = job
        && !job.state.is_done()
        && let Some(db) = state.database_by_id(job.db_id)
    {
        needs.extend(
            job.objects
                .iter()
                .map(|o| Need::table(P::Export, &db.name, &o.table)),
        );
    }
    needs
}
