//! Statement execution: one `match` over the AST, one module per family.

mod account;
mod alter;
mod database;
mod grant;
mod insert;
mod like;
mod query;
mod set;
pub(crate) mod show;
mod system;
mod table;

use parser::ast::{AccountStmt, Statement};

use crate::error::FeError;
use crate::result::Output;
use crate::session::{Session, Warning};
use crate::{Fe, backup, privilege};

pub(crate) use crate::session::{resolve_db, resolve_table};
pub use database::use_database;

/// Runs every statement of `sql` in order and returns one outcome per statement
/// run; execution stops at the first error (as MySQL does for multi-statements).
pub async fn execute_sql(fe: &Fe, session: &mut Session, sql: &str) -> Vec<Result<Output, FeError>> {
    let pieces = parser::split_statements(sql);
    if pieces.is_empty() {
        return vec![Err(FeError::Syntax(
            "Getting syntax error. Detail message: Empty statement.".into(),
        ))];
    }
    let mut statements = Vec::with_capacity(pieces.len());
    for (offset, text) in &pieces {
        match parser::parse_one(text) {
            Ok(stmt) => statements.push(stmt),
            Err(e) => {
                // Report positions relative to the whole text the client sent.
                let line_offset = sql[..*offset].matches('\n').count();
                let mut e = e;
                if e.positioned {
                    e.line += line_offset;
                }
                return vec![Err(FeError::from(e))];
            }
        }
    }
    let last = statements.len() - 1;
    if statements[..last].iter().any(returns_rows) {
        return vec![Err(FeError::common(
            "In a multi-statement query only the last statement may return rows",
        ))];
    }
    let mut outcomes = Vec::with_capacity(statements.len());
    for stmt in statements {
        let keeps_warnings = matches!(stmt, Statement::ShowWarnings { .. });
        if !keeps_warnings {
            session.warnings.clear();
        }
        let outcome = execute(fe, session, stmt).await;
        if let Err(e) = &outcome {
            session.warnings = vec![Warning {
                level: "Error",
                code: e.code().errno(),
                message: e.to_string(),
            }];
        }
        let failed = outcome.is_err();
        outcomes.push(outcome);
        if failed {
            break;
        }
    }
    outcomes
}

/// Whether a statement answers with a result set.
fn returns_rows(stmt: &Statement) -> bool {
    use Statement as S;
    matches!(
        stmt,
        S::Query(_)
            | S::Explain { .. }
            | S::ShowDatabases { .. }
            | S::ShowTables { .. }
            | S::ShowCreateTable { .. }
            | S::ShowCreateDatabase { .. }
            | S::ShowColumns { .. }
            | S::Describe { .. }
            | S::ShowPartitions { .. }
            | S::ShowTablet { .. }
            | S::ShowTabletId(_)
            | S::ShowBackends
            | S::ShowFrontends
            | S::ShowVariables { .. }
            | S::ShowStatus { .. }
            | S::ShowWarnings { .. }
            | S::ShowProcesslist { .. }
            | S::ShowEngines
            | S::ShowTableStatus { .. }
            | S::ShowData { .. }
            | S::ShowRepositories
            | S::ShowBackup { .. }
            | S::ShowRestore { .. }
            | S::ShowJobs { .. }
            | S::ShowSnapshot { .. }
            | S::ShowCharset
            | S::ShowCollation { .. }
    ) || matches!(
        stmt,
        S::Account(a) if matches!(
            a.as_ref(),
            AccountStmt::ShowGrants { .. } | AccountStmt::ShowUsers | AccountStmt::ShowRoles
        )
    )
}

/// Executes one statement once the session is authorized to.
pub async fn execute(fe: &Fe, session: &mut Session, stmt: Statement) -> Result<Output, FeError> {
    use Statement as S;
    let grants = privilege::authorize(fe, session, &stmt)?;
    match stmt {
        S::CreateDatabase {
            if_not_exists,
            name,
            properties,
        } => database::create(fe, &name, if_not_exists, &properties),
        S::DropDatabase {
            if_exists,
            name,
            force,
        } => database::drop(fe, session, &name, if_exists, force).await,
        S::Use { database } => use_database(fe, session, &database).map(|()| Output::ok()),
        S::ShowDatabases { filter } => database::show(fe, &grants, filter.as_ref()),
        S::ShowCreateDatabase { name } => database::show_create(fe, &name),
        S::CreateTable(create) => table::create(fe, session, &create).await,
        S::DropTable {
            if_exists,
            name,
            force,
        } => table::drop(fe, session, &name, if_exists, force).await,
        S::TruncateTable { name, partitions } => table::truncate(fe, session, &name, &partitions).await,
        S::AlterTable { name, op } => alter::alter_table(fe, session, &name, op).await,
        S::ShowTables {
            full,
            database,
            filter,
        } => show::tables(fe, session, &grants, full, database.as_deref(), filter.as_ref()),
        S::ShowCreateTable { name } => show::create_table(fe, session, &name),
        S::ShowColumns { full, table, filter } => show::columns(fe, session, &table, full, filter.as_ref()),
        S::Describe { table, all } => show::describe(fe, session, &table, all),
        S::ShowPartitions { table, temporary } => show::partitions(fe, session, &table, temporary),
        S::ShowTablet { table, partitions } => show::tablets(fe, session, &table, &partitions),
        S::ShowTabletId(id) => show::tablet_by_id(fe, id),
        S::ShowBackends => system::show_backends(fe),
        S::ShowFrontends => system::show_frontends(fe),
        S::AlterSystem(op) => system::alter_system(fe, op).await,
        S::ShowVariables { scope, filter } => set::show_variables(fe, session, scope, filter.as_ref()),
        S::ShowStatus { filter, .. } => set::show_status(fe, filter.as_ref()),
        S::ShowWarnings { errors, limit } => show::warnings(session, errors, limit),
        S::ShowProcesslist { full } => show::processlist(fe, session, &grants, full),
        S::ShowEngines => Ok(show::engines()),
        S::ShowTableStatus { database, filter } => {
            show::table_status(fe, session, &grants, database.as_deref(), filter.as_ref())
        }
        S::ShowData { table } => show::data(fe, session, &grants, table.as_ref()),
        S::ShowCharset => Ok(show::charsets()),
        S::ShowCollation { filter } => show::collations(filter.as_ref()),
        S::Set(assignments) => set::set(fe, session, assignments),
        S::SetNames { .. } => Ok(Output::ok()),
        S::SetPassword { user, password } => set::set_password(fe, session, user, password),
        S::Kill { query, connection_id } => set::kill(fe, connection_id, query),
        S::Begin | S::Commit | S::Rollback => Ok(Output::ok()),
        S::CreateRepository {
            read_only,
            name,
            broker,
            location,
            properties,
        } => backup::create_repository(fe, read_only, &name, broker.as_deref(), &location, &properties).await,
        S::DropRepository { name } => backup::drop_repository(fe, &name).await,
        S::ShowRepositories => backup::show_repositories(fe),
        S::Backup(stmt) => backup::backup(fe, session, &stmt).await,
        S::Restore(stmt) => backup::restore(fe, &grants, &stmt).await,
        S::ShowBackup { database, tail } => {
            let rows = backup::show_backup(fe, &grants, database.as_deref())?;
            crate::query::rows::apply_tail(rows, tail.as_deref()).await
        }
        S::ShowRestore { database, tail } => {
            let rows = backup::show_restore(fe, database.as_deref())?;
            crate::query::rows::apply_tail(rows, tail.as_deref()).await
        }
        S::ShowJobs { database, tail } => {
            let rows = backup::show_jobs(fe, database.as_deref())?;
            crate::query::rows::apply_tail(rows, tail.as_deref()).await
        }
        S::CancelBackup { database, .. } => match database {
            Some(db) => backup::cancel_backup(fe, &db).await,
            None => Err(FeError::common("No backup job is currently running")),
        },
        S::CancelRestore { database, .. } => match database {
            Some(db) => backup::cancel_restore(fe, &db).await,
            None => Err(FeError::common("No restore is currently running")),
        },
        S::SteerJob {
            resume,
            restore,
            database,
        } => backup::steer(fe, &database, restore, resume).await,
        S::JobById { action, job_id } => backup::job_by_id(fe, action, job_id).await,
        S::ShowSnapshot { repository, filter } => {
            backup::show_snapshot(fe, &repository, filter.as_deref()).await
        }
        S::DropSnapshot {
            name,
            repository,
            force,
        } => backup::drop_snapshot(fe, &name, &repository, force).await,
        S::Account(a) => account::execute(fe, session, &a),
        S::Query(text) => query::select(fe, session, &grants, &text).await,
        S::Explain { logical, query } => query::explain(fe, session, &grants, logical, &query).await,
        S::Insert(text) => insert::insert(fe, session, &grants, &text).await,
        S::Delete(text) => insert::delete(fe, session, &grants, &text).await,
        S::Update(text) => crate::query::be_configs::update(&fe.catalog, &fe.cluster, &text).await,
        S::AdminSetConfig { key, value } => {
            fe.live.set(&key, &value)?;
            Ok(Output::ok())
        }
        S::AdminShowConfig { pattern } => system::admin_show_config(fe, pattern.as_deref()),
    }
}
