//! INSERT INTO ... VALUES / SELECT, and DELETE FROM on PRIMARY KEY tables.

use catalog::{KeysKind, Table};
use sqlparser::ast::{self, Statement};

use super::resolve_db;
use crate::Fe;
use crate::error::FeError;
use crate::load::statement::{parse, take_label};
use crate::load::{convert, txn};
use crate::privilege::Grants;
use crate::query::engine;
use crate::result::Output;
use crate::session::Session;

fn resolve(
    fe: &Fe,
    session: &Session,
    name: &ast::ObjectName,
) -> Result<(catalog::Database, Table), FeError> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.to_string().trim_matches('`').to_string())
        .collect();
    let (db_name, table_name) = match parts.as_slice() {
        [t] => (None, t.clone()),
        [.., d, t] => (Some(d.clone()), t.clone()),
        [] => return Err(FeError::analysis("missing table name")),
    };
    let db = resolve_db(fe, session, db_name.as_deref())?;
    let table = fe
        .catalog
        .read()
        .table(db.id, &table_name)
        .cloned()
        .ok_or_else(|| FeError::unknown_table(&format!("{}.{}", db.name, table_name)))?;
    Ok((db, table))
}

fn strict_mode_error(filtered: u64, reason: Option<&str>) -> FeError {
    FeError::common(format!(
        "Insert has filtered data in strict mode: {filtered} row(s) filtered. First error: {}",
        reason.unwrap_or("unknown")
    ))
}

fn ok_info(outcome: &txn::LoadOutcome) -> Output {
    Output::Ok {
        affected_rows: outcome.loaded_rows,
        info: format!(
            "{{'label':'{}', 'status':'VISIBLE', 'txnId':'{}'}}",
            outcome.label, outcome.txn_id
        ),
    }
}

/// `INSERT INTO t [WITH LABEL l] [(cols)] VALUES ... | SELECT ...`.
pub async fn insert(fe: &Fe, session: &Session, grants: &Grants, sql: &str) -> Result<Output, FeError> {
    let (sql, label) = take_label(sql);
    let Statement::Insert(ins) = parse(&sql)? else {
        return Err(FeError::analysis("expected an INSERT statement"));
    };
    if ins.overwrite {
        return Err(FeError::not_supported("INSERT OVERWRITE"));
    }
    let ast::TableObject::TableName(name) = &ins.table else {
        return Err(FeError::not_supported("INSERT INTO a table function"));
    };
    let (db, table) = resolve(fe, session, name)?;
    let Some(source) = &ins.source else {
        return Err(FeError::analysis("INSERT needs VALUES or a SELECT"));
    };
    let names: Vec<String> = if ins.columns.is_empty() {
        table.columns.iter().map(|c| c.name.clone()).collect()
    } else {
        let mut names = Vec::with_capacity(ins.columns.len());
        for c in &ins.columns {
            let name = c.to_string().trim_matches('`').to_string();
            if table.column(&name).is_none() {
                return Err(FeError::analysis(format!(
                    "Unknown column '{name}' in '{}'",
                    table.name
                )));
            }
            names.push(name);
        }
        names
    };
    let ctx = engine::session(
        &fe.catalog,
        &fe.cluster,
        session.database.as_deref().or(Some(&db.name)),
        grants,
    )?;
    let (schema, batches) = engine::run(&ctx, &source.to_string(), |plan| {
        grants.check_scans(&fe.catalog.read(), plan, None)
    })
    .await?;
    if schema.fields().len() != names.len() {
        return Err(FeError::analysis("Column count doesn't match value count"));
    }
    let mut converted = Vec::with_capacity(batches.len());
    let (mut filtered, mut total, mut first_error) = (0u64, 0u64, None);
    for batch in &batches {
        total += batch.num_rows() as u64;
        let c = convert::to_storage(&table, &names, batch, 0)?;
        filtered += c.filtered as u64;
        if first_error.is_none() {
            first_error = c.first_error;
        }
        converted.push(c.batch);
    }
    let outcome = txn::run(
        fe,
        txn::LoadRequest {
            db: &db,
            table_id: table.id,
            label,
            batches: converted,
            filtered,
            total_rows: total,
            max_filter_ratio: 0.0,
            too_many_filtered: &strict_mode_error,
            first_error,
        },
    )
    .await?;
    Ok(ok_info(&outcome))
}

/// `DELETE FROM t WHERE ...` on a PRIMARY KEY table: deletes the matching keys.
pub async fn delete(fe: &Fe, session: &Session, grants: &Grants, sql: &str) -> Result<Output, FeError> {
    let Statement::Delete(del) = parse(sql)? else {
        return Err(FeError::analysis("expected a DELETE statement"));
    };
    let tables = match &del.from {
        ast::FromTable::WithFromKeyword(t) | ast::FromTable::WithoutKeyword(t) => t,
    };
    let [twj] = tables.as_slice() else {
        return Err(FeError::not_supported("DELETE from several tables"));
    };
    let ast::TableFactor::Table { name, .. } = &twj.relation else {
        return Err(FeError::not_supported("DELETE from this kind of table"));
    };
    let (db, table) = resolve(fe, session, name)?;
    if table.keys_kind != KeysKind::Primary {
        return Err(FeError::not_supported("DELETE on a DUPLICATE KEY table"));
    }
    let Some(selection) = &del.selection else {
        return Err(FeError::analysis(
            "DELETE needs a WHERE clause; use TRUNCATE TABLE to remove every row",
        ));
    };
    let ctx = engine::session(&fe.catalog, &fe.cluster, Some(&db.name), grants)?;
    let query = format!("SELECT * FROM `{}`.`{}` WHERE {selection}", db.name, table.name);
    // The table itself is read under its DELETE privilege; other tables in the
    // WHERE clause need SELECT.
    let (_, batches) = engine::run(&ctx, &query, |plan| {
        grants.check_scans(&fe.catalog.read(), plan, Some(table.id))
    })
    .await?;
    let mut rows = Vec::with_capacity(batches.len());
    let mut total = 0u64;
    for b in &batches {
        total += b.num_rows() as u64;
        rows.push(convert::deletes(&table, b)?);
    }
    let outcome = txn::run(
        fe,
        txn::LoadRequest {
            db: &db,
            table_id: table.id,
            label: None,
            batches: rows,
            filtered: 0,
            total_rows: total,
            max_filter_ratio: 0.0,
            too_many_filtered: &strict_mode_error,
            first_error: None,
        },
    )
    .await?;
    Ok(ok_info(&outcome))
}

#[cfg(test)]
mod tests {
    use super::take_label;

    #[test]
    fn label_is_taken_out() {
        let (sql, label) = take_label("INSERT INTO t WITH LABEL my_load (a) VALUES (1)");
        assert_eq!(label.as_deref(), Some("my_load"));
        assert_eq!(
            sql.split_whitespace().collect::<Vec<_>>().join(" "),
            "INSERT INTO t (a) VALUES (1)"
        );
        let (sql, label) = take_label("INSERT INTO t WITH x AS (SELECT 1) SELECT * FROM x");
        assert!(label.is_none());
        assert!(sql.contains("WITH x AS"));
    }
}
