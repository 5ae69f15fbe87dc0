//! SET, SET PASSWORD, SHOW VARIABLES / STATUS, KILL.

use catalog::Change;
use parser::ast::{
    Literal, PasswordValue, SetAssignment, SetScope, SetValue, ShowFilter, UserIdent, VarScope,
};

use super::{like, query};
use crate::error::{ErrorCode, FeError};
use crate::result::{Output, ResultSet, Value};
use crate::session::Session;
use crate::{Fe, auth, variables};

fn literal_text(l: &Literal) -> Option<String> {
    match l {
        Literal::Null => None,
        Literal::Bool(b) => Some(b.to_string()),
        Literal::Integer(s) | Literal::Decimal(s) | Literal::String(s) => Some(s.clone()),
    }
}

fn value_text(fe: &Fe, session: &Session, value: &SetValue) -> Result<Option<String>, FeError> {
    Ok(match value {
        SetValue::Literal(l) => literal_text(l),
        SetValue::Ident(s) => Some(s.clone()),
        SetValue::Expr(raw) => match query::eval_scalar(fe, session, raw)? {
            Value::Null => None,
            Value::Int(i) => Some(i.to_string()),
            Value::UInt(u) => Some(u.to_string()),
            Value::Double(d) => Some(d.to_string()),
            Value::Text(t) => Some(t),
        },
    })
}

/// `SET a = x, GLOBAL b = y, @u = z`.
pub fn set(fe: &Fe, session: &mut Session, assignments: Vec<SetAssignment>) -> Result<Output, FeError> {
    for a in assignments {
        if a.scope == SetScope::User {
            let text = value_text(fe, session, &a.value)?;
            match text {
                Some(t) => session.user_vars.insert(a.name.to_ascii_lowercase(), t),
                None => session.user_vars.remove(&a.name.to_ascii_lowercase()),
            };
            continue;
        }
        let def = variables::lookup(&a.name).ok_or_else(|| variables::unknown(&a.name))?;
        if def.read_only {
            return Err(FeError::analysis_code(
                ErrorCode::VariableReadOnly,
                format!("Variable '{}' is a read only variable", def.name),
            ));
        }
        let is_default = matches!(&a.value, SetValue::Ident(s) if s.eq_ignore_ascii_case("default"));
        let value = if is_default {
            match a.scope {
                SetScope::Global => def.default.to_string(),
                _ => fe
                    .globals
                    .get(def.name)
                    .unwrap_or_else(|| def.default.to_string()),
            }
        } else {
            let text = value_text(fe, session, &a.value)?.ok_or_else(|| {
                FeError::analysis_code(
                    ErrorCode::WrongValueForVar,
                    format!("Variable '{}' can't be set to the value of 'NULL'", def.name),
                )
            })?;
            variables::normalize(def, &text)?
        };
        match a.scope {
            SetScope::Global => {
                // Global values survive FE restarts, as in StarRocks.
                fe.catalog.update(|txn| {
                    txn.push(Change::PutGlobalVariable(catalog::GlobalVariable {
                        name: def.name.to_string(),
                        value: value.clone(),
                    }));
                    Ok::<_, FeError>(())
                })?;
                fe.globals.set(def, value)
            }
            _ => {
                session.vars.insert(def.name, value);
            }
        }
    }
    Ok(Output::ok())
}

/// `SET PASSWORD [FOR user] = PASSWORD('x') | '*hash'`.
pub fn set_password(
    fe: &Fe,
    session: &Session,
    user: Option<UserIdent>,
    password: PasswordValue,
) -> Result<Output, FeError> {
    let stored = match &password {
        PasswordValue::Plain(p) => auth::stored_form(p),
        PasswordValue::Hashed(h) => auth::stored_from_hashed(h)?,
    };
    let (name, host) = match user {
        Some(u) => (u.user, u.host),
        None => (session.user.clone(), session.user_host.clone()),
    };
    // Other accounts need GRANT on SYSTEM (checked by the authorization step);
    // root's password is root's alone.
    if name == auth::ROOT && session.user != auth::ROOT {
        return Err(FeError::analysis(
            "Can not set password for root user, except root itself",
        ));
    }
    fe.catalog.update(|txn| {
        let Some(mut account) = txn.state().user(&name, &host).cloned() else {
            return Err(FeError::common(format!(
                "Operation SET PASSWORD failed for '{name}'@'{host}'"
            )));
        };
        account.password_sha1_sha1 = stored;
        txn.push(Change::PutUser(account));
        Ok(())
    })?;
    Ok(Output::ok())
}

/// `SHOW [GLOBAL|SESSION] VARIABLES [LIKE|WHERE]`.
pub fn show_variables(
    fe: &Fe,
    session: &Session,
    scope: VarScope,
    filter: Option<&ShowFilter>,
) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&["Variable_name", "Value"]);
    let values = match scope {
        VarScope::Global => fe.globals.snapshot(),
        VarScope::Session => session.vars.clone(),
    };
    for (name, value) in values {
        rs.push(vec![name.into(), value.into()]);
    }
    like::filter(rs, filter, 0).map(Output::Rows)
}

/// `SHOW STATUS`: the counters clients ask for.
pub fn show_status(fe: &Fe, filter: Option<&ShowFilter>) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&["Variable_name", "Value"]);
    let uptime = (crate::cluster::now_ms() - fe.start_time_ms).max(0) / 1000;
    rs.push(vec![
        "Threads_connected".into(),
        fe.connections.list().len().to_string().into(),
    ]);
    rs.push(vec!["Uptime".into(), uptime.to_string().into()]);
    like::filter(rs, filter, 0).map(Output::Rows)
}

/// `KILL [CONNECTION|QUERY] id`. Statements run to completion, so `KILL QUERY`
/// has nothing to cancel; `KILL` closes the connection before its next command.
pub fn kill(fe: &Fe, connection_id: u64, query_only: bool) -> Result<Output, FeError> {
    let id = u32::try_from(connection_id).unwrap_or(u32::MAX);
    let found = if query_only {
        fe.connections.contains(id)
    } else {
        fe.connections.kill(id)
    };
    if !found {
        return Err(FeError::exec(
            ErrorCode::Common,
            format!("Unknown thread id: {connection_id}"),
        ));
    }
    Ok(Output::ok())
}
