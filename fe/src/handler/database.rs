//! CREATE / DROP / USE / SHOW DATABASES.

use catalog::{Change, Database};
use parser::ast::ShowFilter;

use super::like;
use crate::Fe;
use crate::cluster::now_ms;
use crate::error::{ErrorCode, FeError};
use crate::privilege::Grants;
use crate::result::{Output, ResultSet};
use crate::session::Session;

/// The read-only schema every MySQL client expects (sysbench connects to it).
pub const INFORMATION_SCHEMA: &str = "information_schema";

fn is_information_schema(name: &str) -> bool {
    name.eq_ignore_ascii_case(INFORMATION_SCHEMA)
}

/// StarRocks' database name rule: a letter or `_` first, then letters, digits,
/// `_` or `-`, at most 256 characters.
fn check_name(name: &str) -> Result<(), FeError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if first_ok && rest_ok && name.len() <= 256 {
        Ok(())
    } else {
        Err(FeError::analysis_code(
            ErrorCode::WrongNameFormat,
            format!("Incorrect database name '{name}'"),
        ))
    }
}

/// `CREATE DATABASE`.
pub fn create(
    fe: &Fe,
    name: &str,
    if_not_exists: bool,
    properties: &[(String, String)],
) -> Result<Output, FeError> {
    check_name(name)?;
    if let Some((k, _)) = properties.first() {
        return Err(FeError::analysis(format!("Unknown properties: {{{k}}}")));
    }
    let exists = || {
        FeError::exec(
            ErrorCode::DbCreateExists,
            format!("Can't create database '{name}'; database exists"),
        )
    };
    if is_information_schema(name) {
        return if if_not_exists {
            Ok(Output::ok())
        } else {
            Err(exists())
        };
    }
    fe.catalog.update(|txn| {
        if txn.state().database(name).is_some() {
            return if if_not_exists { Ok(()) } else { Err(exists()) };
        }
        let id = txn.next_id();
        txn.push(Change::PutDatabase(Database {
            id,
            name: name.to_string(),
            created_ms: now_ms(),
        }));
        Ok(())
    })?;
    Ok(Output::ok())
}

/// `DROP DATABASE`: removes the database and all its tables in one catalog
/// write, then their tablets on the backends.
pub async fn drop(
    fe: &Fe,
    session: &mut Session,
    name: &str,
    if_exists: bool,
    _force: bool,
) -> Result<Output, FeError> {
    if is_information_schema(name) {
        return Err(FeError::common(format!(
            "Can not drop database '{name}': it is a system database"
        )));
    }
    let dropped = fe.catalog.update(|txn| {
        let Some(db) = txn.state().database(name).cloned() else {
            return if if_exists {
                Ok(Vec::new())
            } else {
                Err(FeError::exec(
                    ErrorCode::DbDropExists,
                    format!("Can't drop database '{name}'; database doesn't exist"),
                ))
            };
        };
        let tables: Vec<_> = txn.state().tables(db.id).cloned().collect();
        for t in &tables {
            txn.push(Change::DeleteTable(t.id));
        }
        txn.push(Change::DeleteDatabase(db.id));
        crate::privilege::revoke_on_drop(txn, &db.name, None);
        Ok(tables)
    })?;
    if session.database.as_deref() == Some(name) {
        session.database = None;
    }
    for table in &dropped {
        super::table::drop_replicas(fe, table).await;
    }
    Ok(Output::ok())
}

/// `USE db` (also COM_INIT_DB and a database in the handshake).
pub fn use_database(fe: &Fe, session: &mut Session, name: &str) -> Result<(), FeError> {
    // `USE catalog.db`: only the default catalog exists.
    let name = match name.split_once('.') {
        Some((catalog, db)) if catalog.eq_ignore_ascii_case("default_catalog") => db,
        _ => name,
    };
    if is_information_schema(name) {
        session.database = Some(INFORMATION_SCHEMA.to_string());
        return Ok(());
    }
    if fe.catalog.read().database(name).is_none() {
        return Err(FeError::unknown_db(name));
    }
    session.database = Some(name.to_string());
    Ok(())
}

/// `SHOW DATABASES`.
/// `SHOW DATABASES`: the databases the user has some privilege on or in.
pub fn show(fe: &Fe, grants: &Grants, filter: Option<&ShowFilter>) -> Result<Output, FeError> {
    let mut names: Vec<String> = grants
        .visible_databases(&fe.catalog.read())
        .iter()
        .map(|d| d.name.clone())
        .collect();
    names.push(INFORMATION_SCHEMA.to_string());
    names.sort();
    let mut rs = ResultSet::text_columns(&["Database"]);
    for n in names {
        rs.push(vec![n.into()]);
    }
    like::filter(rs, filter, 0).map(Output::Rows)
}

/// `SHOW CREATE DATABASE`.
pub fn show_create(fe: &Fe, name: &str) -> Result<Output, FeError> {
    if !is_information_schema(name) && fe.catalog.read().database(name).is_none() {
        return Err(FeError::unknown_db(name));
    }
    let mut rs = ResultSet::text_columns(&["Database", "Create Database"]);
    rs.push(vec![name.into(), format!("CREATE DATABASE `{name}`").into()]);
    Ok(Output::Rows(rs))
}
