//! System variables: what `SET`, `SHOW VARIABLES` and `SELECT @@x` see.
//!
//! Values are kept as text; each variable has a kind that validates `SET` and
//! decides how `SELECT @@x` types it. Global values live in the FE process;
//! session values start from them at connect.

use std::collections::BTreeMap;

use parking_lot::RwLock;

use crate::error::{ErrorCode, FeError};
use crate::result::Value;

/// How a variable's value is checked and typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    /// Integer.
    Int,
    /// Boolean: stored `true`/`false`, selected as 1/0.
    Bool,
    /// Free text.
    Text,
}

/// Static description of a variable.
#[derive(Debug, Clone, Copy)]
pub struct VarDef {
    /// Lower-case name.
    pub name: &'static str,
    /// Kind.
    pub kind: VarKind,
    /// Default text value.
    pub default: &'static str,
    /// Whether `SET` may change it.
    pub read_only: bool,
}

const fn var(name: &'static str, kind: VarKind, default: &'static str) -> VarDef {
    VarDef {
        name,
        kind,
        default,
        read_only: false,
    }
}

const fn ro(name: &'static str, kind: VarKind, default: &'static str) -> VarDef {
    VarDef {
        name,
        kind,
        default,
        read_only: true,
    }
}

use VarKind::{Bool, Int, Text};

/// Every variable Starling knows, sorted by name. `version` and
/// `version_comment` get their values from the FE at start-up.
pub const VARIABLES: &[VarDef] = &[
    var("auto_increment_increment", Int, "1"),
    var("autocommit", Bool, "true"),
    var("character_set_client", Text, "utf8"),
    var("character_set_connection", Text, "utf8"),
    var("character_set_database", Text, "utf8"),
    var("character_set_results", Text, "utf8"),
    var("character_set_server", Text, "utf8"),
    var("collation_connection", Text, "utf8_general_ci"),
    var("collation_database", Text, "utf8_general_ci"),
    var("collation_server", Text, "utf8_general_ci"),
    var("default_storage_engine", Text, "olap"),
    var("div_precision_increment", Int, "4"),
    var("enable_profile", Bool, "false"),
    var("event_scheduler", Text, "OFF"),
    var("exec_mem_limit", Int, "2147483648"),
    var("foreign_key_checks", Bool, "true"),
    var("group_concat_max_len", Int, "1024"),
    ro("have_query_cache", Text, "YES"),
    var("init_connect", Text, ""),
    var("interactive_timeout", Int, "3600"),
    ro("language", Text, "/starrocks/share/english/"),
    ro("license", Text, "Apache License 2.0"),
    ro("lower_case_table_names", Int, "0"),
    var("max_allowed_packet", Int, "33554432"),
    var("max_execution_time", Int, "3000000"),
    var("net_buffer_length", Int, "16384"),
    var("net_read_timeout", Int, "60"),
    var("net_write_timeout", Int, "60"),
    var("new_planner_agg_stage", Int, "0"),
    var("parallel_fragment_exec_instance_num", Int, "1"),
    ro("performance_schema", Bool, "false"),
    var("pipeline_dop", Int, "0"),
    var("query_cache_size", Int, "1048576"),
    var("query_cache_type", Int, "0"),
    var("query_mem_limit", Int, "0"),
    var("query_timeout", Int, "300"),
    var("resource_group", Text, ""),
    var("sql_mode", Text, "ONLY_FULL_GROUP_BY"),
    var("sql_safe_updates", Int, "0"),
    var("sql_select_limit", Int, "9223372036854775807"),
    ro("system_time_zone", Text, "UTC"),
    var("time_zone", Text, "UTC"),
    var("transaction_isolation", Text, "REPEATABLE-READ"),
    var("transaction_read_only", Bool, "false"),
    var("tx_isolation", Text, "REPEATABLE-READ"),
    var("tx_read_only", Bool, "false"),
    ro("version", Text, ""),
    ro("version_comment", Text, ""),
    var("wait_timeout", Int, "28800"),
];

/// Looks a variable up by (case-insensitive) name.
pub fn lookup(name: &str) -> Option<&'static VarDef> {
    let lower = name.to_ascii_lowercase();
    VARIABLES.iter().find(|v| v.name == lower)
}

/// The error for an unknown name, with StarRocks' three nearest suggestions.
pub fn unknown(name: &str) -> FeError {
    let lower = name.to_ascii_lowercase();
    let mut ranked: Vec<_> = VARIABLES
        .iter()
        .map(|v| (edit_distance(&lower, v.name), v.name))
        .collect();
    ranked.sort();
    let similar: Vec<_> = ranked.iter().take(3).map(|(_, n)| format!("'{n}'")).collect();
    FeError::analysis_code(
        ErrorCode::UnknownSystemVariable,
        format!(
            "Unknown system variable '{name}', the most similar variables are {{{}}}",
            similar.join(", ")
        ),
    )
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Normalises a value for a variable, or explains why it is not acceptable.
pub fn normalize(def: &VarDef, value: &str) -> Result<String, FeError> {
    let wrong = || {
        FeError::analysis_code(
            ErrorCode::WrongValueForVar,
            format!("Variable '{}' can't be set to the value of '{value}'", def.name),
        )
    };
    match def.kind {
        Int => value
            .trim()
            .parse::<i64>()
            .map(|v| v.to_string())
            .map_err(|_| wrong()),
        Bool => match value.trim().to_ascii_lowercase().as_str() {
            "1" | "on" | "true" => Ok("true".into()),
            "0" | "off" | "false" => Ok("false".into()),
            _ => Err(wrong()),
        },
        Text => Ok(value.to_string()),
    }
}

/// The typed value `SELECT @@x` returns.
pub fn select_value(def: &VarDef, text: &str) -> Value {
    match def.kind {
        Int => text.parse::<i64>().map_or(Value::Text(text.into()), Value::Int),
        Bool => Value::Int(i64::from(text == "true")),
        Text => Value::Text(text.into()),
    }
}

/// Global variable values shared by all sessions.
pub struct GlobalVariables {
    values: RwLock<BTreeMap<&'static str, String>>,
}

impl GlobalVariables {
    /// Defaults, with the FE's version strings filled in and the values
    /// persisted by earlier `SET GLOBAL`s applied.
    pub fn new(version: &str, version_comment: &str, persisted: &BTreeMap<String, String>) -> Self {
        let values = VARIABLES
            .iter()
            .map(|v| {
                let value = match v.name {
                    "version" => version.to_string(),
                    "version_comment" => version_comment.to_string(),
                    _ => persisted
                        .get(v.name)
                        .cloned()
                        .unwrap_or_else(|| v.default.to_string()),
                };
                (v.name, value)
            })
            .collect();
        Self {
            values: RwLock::new(values),
        }
    }

    /// A copy of every global value, to seed a new session.
    pub fn snapshot(&self) -> BTreeMap<&'static str, String> {
        self.values.read().clone()
    }

    /// The global value of a variable.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.read().get(name).cloned()
    }

    /// Sets a global value (already normalised).
    pub fn set(&self, def: &VarDef, value: String) {
        self.values.write().insert(def.name, value);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        let names: Vec<_> = VARIABLES.iter().map(|v| v.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn unknown_variable_suggests_neighbours() {
        let e = unknown("autocomit");
        let text = e.to_string();
        assert!(text.starts_with("Getting analyzing error. Detail message: Unknown system variable 'autocomit', the most similar variables are {'autocommit', "), "{text}");
        assert_eq!(e.code().errno(), 1193);
    }

    #[test]
    fn values_are_checked_by_kind() {
        let ac = lookup("AUTOCOMMIT").unwrap();
        assert_eq!(normalize(ac, "ON").unwrap(), "true");
        assert!(normalize(ac, "maybe").is_err());
        assert_eq!(select_value(ac, "true"), Value::Int(1));
        let qt = lookup("query_timeout").unwrap();
        assert!(normalize(qt, "abc").is_err());
        assert_eq!(select_value(qt, "300"), Value::Int(300));
    }
}
