//! What a `GRANT` or `REVOKE` names: its objects and privileges, checked
//! against each other.

use catalog::{Privilege, PrivilegeObject};
use parser::ast::GrantObject;

use crate::error::FeError;
use crate::query::engine::DEFAULT_CATALOG;
use crate::session::Session;

/// The objects and privileges a `GRANT`/`REVOKE` names, checked against each
/// other: `ALL` expands to every privilege of the object type.
pub fn grant_target(
    session: &Session,
    privileges: &[String],
    object: &GrantObject,
) -> Result<(Vec<PrivilegeObject>, Vec<Privilege>), FeError> {
    let objects = match object {
        GrantObject::System => vec![PrivilegeObject::System],
        GrantObject::AllCatalogs => vec![PrivilegeObject::Catalog],
        GrantObject::Catalog(c) if c == DEFAULT_CATALOG => vec![PrivilegeObject::Catalog],
        GrantObject::Catalog(c) => return Err(FeError::analysis(format!("Unknown catalog '{c}'"))),
        GrantObject::Database(db) => vec![PrivilegeObject::Database { db: Some(db.clone()) }],
        GrantObject::AllDatabases => vec![PrivilegeObject::Database { db: None }],
        GrantObject::AllTablesIn(db) => vec![PrivilegeObject::Table {
            db: db.clone(),
            table: None,
        }],
        GrantObject::Tables(tables) => {
            let mut out = Vec::with_capacity(tables.len());
            for t in tables {
                let db = t
                    .database
                    .clone()
                    .or_else(|| session.database.clone())
                    .ok_or_else(FeError::no_db)?;
                out.push(PrivilegeObject::Table {
                    db: Some(db),
                    table: Some(t.table.clone()),
                });
            }
            out
        }
    };
    let object_type = objects[0].object_type();
    let mut chosen = Vec::new();
    for name in privileges {
        if name == "ALL" {
            chosen.extend_from_slice(object_type.privileges());
            continue;
        }
        let Some(p) = Privilege::parse(name) else {
            return Err(FeError::analysis(format!("cannot find privilege type {name}")));
        };
        if !object_type.privileges().contains(&p) {
            return Err(FeError::analysis(format!(
                "Cannot grant or revoke {} on '{}' type object",
                p.sql_name(),
                object_type.name()
            )));
        }
        chosen.push(p);
    }
    if let Some(p) = chosen
        .iter()
        .find(|p| matches!(p, Privilege::Grant | Privilege::Node))
    {
        return Err(FeError::analysis(format!(
            "Operation not permitted, '{}' cannot be granted to user or role directly, use built-in role instead",
            p.enum_name()
        )));
    }
    chosen.sort();
    chosen.dedup();
    Ok((objects, chosen))
}
