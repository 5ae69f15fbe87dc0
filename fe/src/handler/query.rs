//! Queries. SELECT without tables — what drivers and tools send on connect
//! (`SELECT @@version_comment LIMIT 1`, `SELECT DATABASE()`, `SELECT 1`) — is
//! answered here, because it needs MySQL's session variables and functions;
//! everything else runs on DataFusion ([`crate::query`]).

use sqlparser::ast::{
    self, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, LimitClause, SelectItem, SetExpr, Statement,
    UnaryOperator,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::Fe;
use crate::error::FeError;
use crate::privilege::Grants;
use crate::result::{ColType, Column, Output, ResultSet, Value};
use crate::session::Session;
use crate::variables;

fn parse_query(sql: &str) -> Result<Box<ast::Query>, FeError> {
    let mut statements = Parser::parse_sql(&MySqlDialect {}, sql)
        .map_err(|e| FeError::Syntax(format!("Getting syntax error. Detail message: {e}.")))?;
    match (statements.pop(), statements.is_empty()) {
        (Some(Statement::Query(q)), true) => Ok(q),
        _ => Err(FeError::Syntax(
            "Getting syntax error. Detail message: expected one SELECT statement.".into(),
        )),
    }
}

/// Runs a query: table-less SELECTs (what drivers send, with `@@variables` and
/// MySQL session functions) here, everything else on DataFusion.
pub async fn select(fe: &Fe, session: &Session, grants: &Grants, sql: &str) -> Result<Output, FeError> {
    match parse_query(sql) {
        Ok(query) if is_table_less(&query) => match select_without_tables(fe, session, &query) {
            Err(FeError::Execution { .. }) => run_engine(fe, session, grants, sql).await,
            other => other,
        },
        _ => run_engine(fe, session, grants, sql).await,
    }
}

async fn run_engine(fe: &Fe, session: &Session, grants: &Grants, sql: &str) -> Result<Output, FeError> {
    let ctx = engine_session(fe, session, grants)?;
    let (schema, batches) = crate::query::engine::stream(&ctx, sql, |plan| {
        grants.check_scans(&fe.catalog.read(), plan, None)
    })
    .await?;
    Ok(Output::Stream(crate::query::output::to_row_stream(
        &schema, batches,
    )))
}

/// `EXPLAIN`: the plan of a query, one line per row in StarRocks' `Explain
/// String` column. The physical plan shows what runs on the BEs
/// (`TabletScanExec ... on backends=[...]`).
pub async fn explain(
    fe: &Fe,
    session: &Session,
    grants: &Grants,
    logical: bool,
    sql: &str,
) -> Result<Output, FeError> {
    let ctx = engine_session(fe, session, grants)?;
    let text = crate::query::engine::explain(&ctx, sql, logical, |plan| {
        grants.check_scans(&fe.catalog.read(), plan, None)
    })
    .await?;
    let mut out = ResultSet::text_columns(&["Explain String"]);
    for line in text.lines() {
        out.push(vec![Value::Text(line.to_string())]);
    }
    Ok(Output::Rows(out))
}

/// The query engine's session for `session`: `new_planner_agg_stage = 1`
/// (one-stage aggregation) keeps aggregates off the BEs.
fn engine_session(
    fe: &Fe,
    session: &Session,
    grants: &Grants,
) -> Result<datafusion::prelude::SessionContext, FeError> {
    let one_stage = session.var("new_planner_agg_stage") == Some("1");
    crate::query::engine::session_with(
        &fe.catalog,
        &fe.cluster,
        session.database.as_deref(),
        grants,
        !one_stage,
    )
}

fn is_table_less(query: &ast::Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    let from_dual = select.from.len() == 1
        && matches!(&select.from[0].relation, ast::TableFactor::Table { name, .. } if name.to_string().eq_ignore_ascii_case("dual"));
    (select.from.is_empty() || from_dual) && query.with.is_none()
}

fn select_without_tables(fe: &Fe, session: &Session, query: &ast::Query) -> Result<Output, FeError> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err(FeError::not_supported("This form of query"));
    };
    if select.selection.is_some() || query.order_by.is_some() {
        return Err(FeError::not_supported("WHERE or ORDER BY without FROM"));
    }
    let mut columns = Vec::new();
    let mut row = Vec::new();
    for item in &select.projection {
        let (expr, name) = match item {
            SelectItem::UnnamedExpr(e) => (e, e.to_string()),
            SelectItem::ExprWithAlias { expr, alias } => (expr, alias.value.clone()),
            _ => return Err(FeError::analysis("No tables used")),
        };
        let value = eval(fe, session, expr)?;
        let ty = match &value {
            Value::Int(_) => ColType::BigInt,
            Value::UInt(_) => ColType::UBigInt,
            Value::Double(_) => ColType::Double,
            Value::Null | Value::Text(_) => ColType::Text,
        };
        columns.push(Column { name, ty });
        row.push(value);
    }
    let limit = match &query.limit_clause {
        Some(LimitClause::LimitOffset { limit: Some(e), .. })
        | Some(LimitClause::OffsetCommaLimit { limit: e, .. }) => match eval(fe, session, e)? {
            Value::Int(n) => Some(n.max(0) as usize),
            _ => return Err(FeError::analysis("LIMIT must be an integer")),
        },
        _ => None,
    };
    let mut rs = ResultSet {
        columns,
        rows: vec![row],
    };
    if let Some(n) = limit {
        rs.rows.truncate(n);
    }
    Ok(Output::Rows(rs))
}

/// Evaluates one scalar expression given as text (used by `SET x = <expr>`).
pub fn eval_scalar(fe: &Fe, session: &Session, expr: &str) -> Result<Value, FeError> {
    let query = parse_query(&format!("SELECT {expr}"))?;
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err(FeError::analysis(format!("Invalid expression: {expr}")));
    };
    match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(e)] => eval(fe, session, e),
        _ => Err(FeError::analysis(format!("Invalid expression: {expr}"))),
    }
}

fn system_var(fe: &Fe, session: &Session, scope: Option<&str>, name: &str) -> Result<Value, FeError> {
    if name.eq_ignore_ascii_case("socket") {
        return Ok(Value::Null);
    }
    let def = variables::lookup(name).ok_or_else(|| variables::unknown(name))?;
    let text = match scope.map(str::to_ascii_lowercase).as_deref() {
        Some("global") => fe.globals.get(def.name),
        _ => session.vars.get(def.name).cloned(),
    }
    .unwrap_or_default();
    Ok(variables::select_value(def, &text))
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Double(d) => Some(d.to_string()),
        Value::Text(t) => Some(t.clone()),
    }
}

fn eval(fe: &Fe, session: &Session, expr: &Expr) -> Result<Value, FeError> {
    match expr {
        Expr::Value(v) => Ok(match &v.value {
            ast::Value::Number(n, _) => {
                let text = n.to_string();
                text.parse::<i64>()
                    .map(Value::Int)
                    .or_else(|_| text.parse::<f64>().map(Value::Double))
                    .unwrap_or(Value::Text(text))
            }
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => Value::Text(s.clone()),
            ast::Value::Boolean(b) => Value::Int(i64::from(*b)),
            ast::Value::Null => Value::Null,
            other => Value::Text(other.to_string()),
        }),
        Expr::Identifier(id) => {
            let name = &id.value;
            if let Some(var) = name.strip_prefix("@@") {
                system_var(fe, session, None, var)
            } else if let Some(user_var) = name.strip_prefix('@') {
                Ok(session
                    .user_vars
                    .get(&user_var.to_ascii_lowercase())
                    .cloned()
                    .map_or(Value::Null, Value::Text))
            } else {
                Err(FeError::analysis(format!("Column '{name}' cannot be resolved")))
            }
        }
        Expr::CompoundIdentifier(parts) if parts.len() == 2 && parts[0].value.starts_with("@@") => {
            system_var(fe, session, Some(&parts[0].value[2..]), &parts[1].value)
        }
        Expr::Nested(inner) => eval(fe, session, inner),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match eval(fe, session, expr)? {
            Value::Int(i) => Ok(Value::Int(-i)),
            Value::Double(d) => Ok(Value::Double(-d)),
            other => Err(FeError::analysis(format!("Cannot negate {other:?}"))),
        },
        Expr::Function(f) => function(fe, session, f),
        Expr::BinaryOp { left, op, right } => {
            let (l, r) = (eval(fe, session, left)?, eval(fe, session, right)?);
            binary(&l, op, &r)
        }
        Expr::Like {
            negated,
            expr,
            pattern,
            ..
        } => {
            let (v, p) = (eval(fe, session, expr)?, eval(fe, session, pattern)?);
            match (text_of(&v), text_of(&p)) {
                (Some(v), Some(p)) => Ok(Value::Int(i64::from(super::like::like_match(&p, &v) != *negated))),
                _ => Ok(Value::Null),
            }
        }
        other => Err(FeError::not_supported(format!(
            "Expression '{other}' without FROM"
        ))),
    }
}

/// Integer arithmetic and comparisons, enough for `SELECT 1 + 1` and `SELECT x = y`.
fn binary(l: &Value, op: &ast::BinaryOperator, r: &Value) -> Result<Value, FeError> {
    use ast::BinaryOperator as B;
    if matches!(l, Value::Null) || matches!(r, Value::Null) {
        return Ok(Value::Null);
    }
    if let (Value::Int(a), Value::Int(b)) = (l, r) {
        let v = match op {
            B::Plus => a.checked_add(*b),
            B::Minus => a.checked_sub(*b),
            B::Multiply => a.checked_mul(*b),
            B::Eq => Some(i64::from(a == b)),
            B::NotEq => Some(i64::from(a != b)),
            B::Lt => Some(i64::from(a < b)),
            B::Gt => Some(i64::from(a > b)),
            _ => {
                return Err(FeError::not_supported(format!("Operator '{op}' without FROM")));
            }
        };
        return v
            .map(Value::Int)
            .ok_or_else(|| FeError::analysis("BIGINT value is out of range"));
    }
    match (op, text_of(l), text_of(r)) {
        (B::Eq, Some(a), Some(b)) => Ok(Value::Int(i64::from(a == b))),
        (B::NotEq, Some(a), Some(b)) => Ok(Value::Int(i64::from(a != b))),
        _ => Err(FeError::not_supported(format!(
            "Operator '{op}' on these values without FROM"
        ))),
    }
}

fn function(fe: &Fe, session: &Session, f: &ast::Function) -> Result<Value, FeError> {
    let name = f.name.to_string().to_ascii_lowercase();
    let args: Vec<&Expr> = match &f.args {
        FunctionArguments::None => Vec::new(),
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
                _ => Err(FeError::not_supported(format!("Argument '{a}'"))),
            })
            .collect::<Result<_, _>>()?,
        FunctionArguments::Subquery(_) => return Err(FeError::not_supported("Subquery argument")),
    };
    let no_args = |v: Value| {
        if args.is_empty() {
            Ok(v)
        } else {
            Err(FeError::analysis(format!(
                "No matching function with signature: {name}(...)"
            )))
        }
    };
    match name.as_str() {
        "database" | "schema" => no_args(session.database.clone().map_or(Value::Null, Value::Text)),
        "user" | "session_user" | "system_user" => no_args(Value::Text(session.user_at_client())),
        "current_user" => no_args(Value::Text(format!("'{}'@'{}'", session.user, session.user_host))),
        "connection_id" => no_args(Value::Int(i64::from(session.id))),
        "version" => no_args(Value::Text(fe.config.mysql_server_version.clone())),
        "current_version" => no_args(Value::Text(format!(
            "{} starling-{}",
            crate::STARROCKS_COMPAT_VERSION,
            env!("CARGO_PKG_VERSION")
        ))),
        "last_insert_id" => no_args(Value::Int(0)),
        "now" | "current_timestamp" | "localtime" | "localtimestamp" => no_args(Value::Text(
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        )),
        "curdate" | "current_date" => {
            no_args(Value::Text(chrono::Local::now().format("%Y-%m-%d").to_string()))
        }
        "concat" => {
            let mut out = String::new();
            for a in args {
                match text_of(&eval(fe, session, a)?) {
                    Some(t) => out.push_str(&t),
                    None => return Ok(Value::Null),
                }
            }
            Ok(Value::Text(out))
        }
        _ => Err(FeError::not_supported(format!("Function '{name}' without FROM"))),
    }
}
