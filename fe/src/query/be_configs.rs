//! `information_schema.be_configs`: every BE's configuration, asked of the
//! BEs when a query names the table, and `UPDATE information_schema.be_configs
//! SET value = ... WHERE name = ... [AND be_id = ...]`, StarRocks' way of
//! changing a BE key while it runs (the BE's `POST /api/update_config` does
//! the same). Both need OPERATE on SYSTEM: without it the table is empty.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use catalog::{Catalog, Privilege};
use datafusion::error::Result as DfResult;
use sqlparser::ast::{self, Expr, Value as SqlValue};

use super::information_schema::{Builder, Kind, V, s};
use crate::cluster::Cluster;
use crate::error::{ErrorCode, FeError};
use crate::privilege::{Grants, Need};
use crate::result::Output;

/// The table's name.
pub const TABLE: &str = "be_configs";

/// The table's rows: each alive BE's keys (a BE that does not answer is left out).
pub(super) async fn build(
    catalog: &Catalog,
    cluster: &Cluster,
    grants: &Grants,
) -> DfResult<(SchemaRef, RecordBatch)> {
    let mut b = Builder::new(&[
        ("BE_ID", Kind::Int),
        ("NAME", Kind::Text),
        ("VALUE", Kind::Text),
        ("TYPE", Kind::Text),
        ("DEFAULT", Kind::Text),
        ("MUTABLE", Kind::Int),
    ]);
    if grants.check(&Need::system(Privilege::Operate)).is_ok() {
        let backends: Vec<catalog::Backend> = catalog.read().backends().cloned().collect();
        for be in backends.iter().filter(|be| cluster.status(be.id).alive) {
            let Ok(mut client) = cluster.client(be) else {
                continue;
            };
            let Ok(answer) = client.get_config(rpc::pb::GetConfigRequest {}).await else {
                continue;
            };
            for e in answer.into_inner().entries {
                b.row(vec![
                    V::I(be.id as i64),
                    s(e.name),
                    s(e.value),
                    s(e.r#type),
                    s(e.default_value),
                    V::I(i64::from(e.mutable)),
                ]);
            }
        }
    }
    b.finish()
}

/// What an UPDATE of the table asks.
#[derive(Debug, PartialEq)]
struct ConfigUpdate {
    name: String,
    value: String,
    be_id: Option<u64>,
}

fn unsupported(what: &str) -> FeError {
    FeError::analysis_code(
        ErrorCode::Common,
        format!(
            "{what}; an UPDATE of information_schema.be_configs sets `value` WHERE `name` = '<key>' \
             [AND `be_id` = <id>]"
        ),
    )
}

/// True when `sql` is an UPDATE of `information_schema.be_configs`.
pub fn is_be_configs_update(sql: &str) -> bool {
    matches!(crate::load::statement::parse(sql), Ok(ast::Statement::Update(u)) if is_be_configs(&u.table))
}

fn is_be_configs(t: &ast::TableWithJoins) -> bool {
    table_name(t).is_some_and(|(db, table)| {
        db.eq_ignore_ascii_case(super::information_schema::NAME) && table.eq_ignore_ascii_case(TABLE)
    })
}

fn table_name(t: &ast::TableWithJoins) -> Option<(String, String)> {
    let ast::TableFactor::Table { name, .. } = &t.relation else {
        return None;
    };
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.to_string().trim_matches('`').to_string())
        .collect();
    match parts.as_slice() {
        [db, table] => Some((db.clone(), table.clone())),
        _ => None,
    }
}

fn literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            SqlValue::SingleQuotedString(t) | SqlValue::DoubleQuotedString(t) => Some(t.clone()),
            SqlValue::Number(n, _) => Some(n.clone()),
            SqlValue::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn column(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// The `name = ...` / `be_id = ...` conditions of a WHERE.
fn conditions(e: &Expr, out: &mut Vec<(String, String)>) -> Result<(), FeError> {
    match e {
        Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::And,
            right,
        } => {
            conditions(left, out)?;
            conditions(right, out)
        }
        Expr::BinaryOp {
            left,
            op: ast::BinaryOperator::Eq,
            right,
        } => match (column(left), literal(right)) {
            (Some(c), Some(v)) => {
                out.push((c, v));
                Ok(())
            }
            _ => Err(unsupported(&format!("Unsupported condition {e}"))),
        },
        Expr::Nested(inner) => conditions(inner, out),
        other => Err(unsupported(&format!("Unsupported condition {other}"))),
    }
}

fn analyze(sql: &str) -> Result<ConfigUpdate, FeError> {
    let ast::Statement::Update(u) = crate::load::statement::parse(sql)? else {
        return Err(unsupported("Not an UPDATE"));
    };
    if !is_be_configs(&u.table) {
        return Err(FeError::analysis_code(
            ErrorCode::Common,
            "UPDATE is only supported on information_schema.be_configs",
        ));
    }
    let [assignment] = u.assignments.as_slice() else {
        return Err(unsupported("Exactly one column may be set"));
    };
    let target = match &assignment.target {
        ast::AssignmentTarget::ColumnName(name) => name.to_string().trim_matches('`').to_ascii_lowercase(),
        ast::AssignmentTarget::Tuple(_) => String::new(),
    };
    if target != "value" {
        return Err(unsupported(&format!("Column '{target}' cannot be set")));
    }
    let value = literal(&assignment.value).ok_or_else(|| unsupported("The value must be a literal"))?;
    let mut conds = Vec::new();
    match &u.selection {
        Some(e) => conditions(e, &mut conds)?,
        None => return Err(unsupported("A WHERE naming the key is required")),
    }
    let (mut name, mut be_id) = (None, None);
    for (column, v) in conds {
        match column.as_str() {
            "name" => name = Some(v),
            "be_id" => {
                be_id = Some(
                    v.parse()
                        .map_err(|_| unsupported(&format!("Invalid be_id '{v}'")))?,
                )
            }
            other => return Err(unsupported(&format!("Unsupported condition on '{other}'"))),
        }
    }
    let name = name.ok_or_else(|| unsupported("A WHERE naming the key is required"))?;
    Ok(ConfigUpdate { name, value, be_id })
}

/// Runs an UPDATE, which Starling supports on `information_schema.be_configs`
/// only: every alive BE (or the one `be_id` names) sets the key; the
/// affected rows are the BEs changed.
pub async fn update(catalog: &Catalog, cluster: &Cluster, sql: &str) -> Result<Output, FeError> {
    let u = analyze(sql)?;
    let backends: Vec<catalog::Backend> = catalog
        .read()
        .backends()
        .filter(|be| u.be_id.is_none_or(|id| id == be.id))
        .cloned()
        .collect();
    if backends.is_empty() {
        return Err(FeError::common(format!(
            "Unknown backend id {}",
            u.be_id.unwrap_or_default()
        )));
    }
    let mut changed = 0;
    for be in backends {
        if !cluster.status(be.id).alive {
            return Err(FeError::common(format!("Backend {} is not alive", be.id)));
        }
        let mut client = cluster.client(&be)?;
        client
            .update_config(rpc::pb::UpdateConfigRequest {
                name: u.name.clone(),
                value: u.value.clone(),
            })
            .await
            .map_err(|e| FeError::common(format!("Backend {}: {}", be.id, e.message())))?;
        changed += 1;
    }
    Ok(Output::Ok {
        affected_rows: changed,
        info: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_name_a_key_and_maybe_a_backend() {
        let got = analyze(
            "UPDATE information_schema.be_configs SET value = '1048576' \
             WHERE name = 'download_rate_limit_bytes_per_second' AND be_id = 10001",
        )
        .expect("valid");
        assert_eq!(
            got,
            ConfigUpdate {
                name: "download_rate_limit_bytes_per_second".into(),
                value: "1048576".into(),
                be_id: Some(10001),
            }
        );
        for bad in [
            "UPDATE information_schema.be_configs SET value = 1",
            "UPDATE information_schema.be_configs SET name = 'x' WHERE name = 'y'",
            "UPDATE information_schema.be_configs SET value = 1 WHERE name LIKE 'x%'",
            "UPDATE information_schema.be_configs SET value = 1 WHERE type = 'u64'",
        ] {
            assert!(analyze(bad).is_err(), "{bad}");
        }
        assert!(is_be_configs_update(
            "update INFORMATION_SCHEMA.BE_CONFIGS set value = 1 where name = 'x'"
        ));
        assert!(!is_be_configs_update("UPDATE db.t SET v = 1"));
    }
}
