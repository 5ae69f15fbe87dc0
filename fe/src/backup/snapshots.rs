//! SHOW SNAPSHOT and DROP SNAPSHOT (spec §4.9, §4.10, §5.3, §8.4). Nothing is
//! cached: every statement reads the repository.

use sqlparser::ast::{BinaryOperator, Expr, Value as SqlValue};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::Fe;
use crate::error::{ErrorCode, FeError};
use crate::result::{Output, ResultSet, Value};

/// Status of a snapshot whose job info is there but whose table definitions are not.
const NO_META: &str = "ERROR: __meta is missing: the snapshot cannot be restored";

const WHERE_SHAPE: &str =
    "Where clause should looks like: SNAPSHOT = 'your_snapshot_name' [AND TIMESTAMP = '2018-04-18-19-19-10']";

/// What a SHOW SNAPSHOT `WHERE` selects.
#[derive(Debug, PartialEq, Eq)]
enum Filter {
    All,
    /// `SNAPSHOT = 'x'`: a row for `x` even when absent.
    Name(String),
    /// `SNAPSHOT IN (...)`: only filters the listing.
    Names(Vec<String>),
    NameAt(String, String),
}

fn string(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(v) => match &v.value {
            SqlValue::SingleQuotedString(s) | SqlValue::DoubleQuotedString(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(id) => Some(id.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// `column = 'non-empty string'` → (column, value).
fn equality(expr: &Expr) -> Option<(String, String)> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            let value = string(right).filter(|v| !v.is_empty())?;
            Some((column(left)?, value.to_string()))
        }
        Expr::Nested(inner) => equality(inner),
        _ => None,
    }
}

fn parse_filter(text: Option<&str>) -> Result<Filter, FeError> {
    let Some(text) = text else { return Ok(Filter::All) };
    let shape = || FeError::analysis(WHERE_SHAPE);
    let expr = Parser::new(&MySqlDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|_| shape())?;
    match &expr {
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            if column(expr).as_deref() != Some("snapshot") {
                return Err(FeError::analysis("Left expr of should be snapshot"));
            }
            let mut names = Vec::new();
            for item in list {
                let s = string(item)
                    .ok_or_else(|| FeError::analysis("Child of in predicate should be string value"))?;
                if !s.is_empty() {
                    names.push(s.to_string());
                }
            }
            Ok(Filter::Names(names))
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let (a, b) = (
                equality(left).ok_or_else(shape)?,
                equality(right).ok_or_else(shape)?,
            );
            match (a.0.as_str(), b.0.as_str()) {
                ("snapshot", "timestamp") => Ok(Filter::NameAt(a.1, b.1)),
                ("timestamp", "snapshot") => Ok(Filter::NameAt(b.1, a.1)),
                _ => Err(shape()),
            }
        }
        other => match equality(other) {
            Some((col, value)) if col == "snapshot" => Ok(Filter::Name(value)),
            _ => Err(shape()),
        },
    }
}

/// `SHOW SNAPSHOT ON repo [WHERE ...]`: 3 columns, or 5 for one snapshot at one timestamp.
pub async fn show_snapshot(fe: &Fe, repository: &str, filter: Option<&str>) -> Result<Output, FeError> {
    let record = super::repos::lookup(fe, repository)?;
    let filter = parse_filter(filter)?;
    let repo = super::repos::open(&record)
        .await
        .map_err(|e| FeError::common(format!("Failed to list snapshot in repo: {repository}, err: {e}")))?;
    if let Filter::NameAt(name, timestamp) = filter {
        let mut rs = ResultSet::text_columns(&["Snapshot", "Timestamp", "Database", "Details", "Status"]);
        let has_meta = repo.snapshot_files(&name).await.is_ok_and(|f| f.has_meta);
        let row: Vec<Value> = match repo.read_job_info(&name, &timestamp).await {
            Ok(info) => vec![
                name.into(),
                timestamp.into(),
                info.database.clone().into(),
                info.brief().into(),
                if has_meta { "OK".into() } else { NO_META.into() },
            ],
            Err(e) => vec![
                name.into(),
                timestamp.into(),
                "\\N".into(),
                "\\N".into(),
                format!("Failed to get info: {e}").into(),
            ],
        };
        rs.push(row);
        return Ok(Output::Rows(rs));
    }
    let listed = repo
        .list_snapshots()
        .await
        .map_err(|e| FeError::common(format!("Failed to list snapshot in repo: {repository}, err: {e}")))?;
    let names = match filter {
        Filter::Name(name) => vec![name],
        Filter::Names(names) => listed.into_iter().filter(|l| names.contains(l)).collect(),
        _ => listed,
    };
    let mut rs = ResultSet::text_columns(&["Snapshot", "Timestamp", "Status"]);
    for name in names {
        let row: Vec<Value> = match repo.snapshot_files(&name).await {
            Ok(files) if files.infos.is_empty() => {
                vec![name.into(), "".into(), "ERROR: no snapshot".into()]
            }
            Ok(files) => {
                let stamps: Vec<String> = files
                    .infos
                    .iter()
                    .map(|f| {
                        f.timestamp
                            .clone()
                            .unwrap_or_else(|| format!("Invalid: {}", f.stored_name))
                    })
                    .collect();
                let status = if files.has_meta { "OK" } else { NO_META };
                vec![name.into(), stamps.join("\n").into(), status.into()]
            }
            Err(e) => vec![
                name.into(),
                "\\N".into(),
                format!("ERROR: Failed to get info: {e}").into(),
            ],
        };
        rs.push(row);
    }
    Ok(Output::Rows(rs))
}

/// `DROP SNAPSHOT label ON repo [FORCE]`: deletes `__ss_<label>` (v4.2 semantics).
pub async fn drop_snapshot(fe: &Fe, name: &str, repository: &str, force: bool) -> Result<Output, FeError> {
    super::repos::check_repo_name(repository)?;
    let record = super::repos::lookup(fe, repository)?;
    if name.is_empty() {
        return Err(FeError::analysis_code(
            ErrorCode::Common,
            "Must specify a snapshot name",
        ));
    }
    let _guard = fe.backups.submit_guard().await?;
    if record.read_only {
        return Err(FeError::common(format!("Repository {repository} is read only")));
    }
    let repo = super::repos::open(&record).await.map_err(|e| {
        FeError::common(format!(
            "Failed to list snapshots in repository {repository}: {e}"
        ))
    })?;
    let listed = repo.list_snapshots().await.map_err(|e| {
        FeError::common(format!(
            "Failed to list snapshots in repository {repository}: {e}"
        ))
    })?;
    if !listed.iter().any(|l| l == name) {
        return Err(FeError::common(format!(
            "Snapshot does not exist in repository {repository}: {name}"
        )));
    }
    if fe.backups.writing_snapshot(repository, name) {
        return Err(FeError::common(format!(
            "Can not drop snapshot {name}: a backup is writing it"
        )));
    }
    if !force {
        let ours = fe.catalog.read().cluster_id();
        let mut owner = None;
        for file in repo
            .list_info_files(name)
            .await
            .map_err(|e| FeError::common(e.to_string()))?
        {
            if let Some(ts) = &file.timestamp
                && let Ok(info) = repo.read_job_info(name, ts).await
            {
                owner = info.cluster_id;
            }
        }
        if owner != Some(ours) {
            let who = match owner {
                None => "does not record which cluster created it".to_string(),
                Some(id) => format!("was created by cluster {id}"),
            };
            return Err(FeError::common(format!(
                "Snapshot {name} in repository {repository} {who}, and this cluster is {ours}. \
                 Use DROP SNAPSHOT ... FORCE to drop it anyway"
            )));
        }
    }
    repo.delete_snapshot(name).await.map_err(|e| {
        FeError::common(format!(
            "Failed to delete snapshot {name} in repository {repository}: {e}"
        ))
    })?;
    Ok(Output::ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_clauses_of_show_snapshot() {
        assert_eq!(parse_filter(None).expect("none"), Filter::All);
        assert_eq!(
            parse_filter(Some("SNAPSHOT = 's1'")).expect("eq"),
            Filter::Name("s1".into())
        );
        assert_eq!(
            parse_filter(Some("timestamp = 't' and Snapshot = \"s1\"")).expect("and"),
            Filter::NameAt("s1".into(), "t".into())
        );
        assert_eq!(
            parse_filter(Some("snapshot in ('a', '', 'b')")).expect("in"),
            Filter::Names(vec!["a".into(), "b".into()])
        );
        let msg = |w: &str| parse_filter(Some(w)).expect_err("bad").to_string();
        assert!(msg("timestamp = 't'").contains(WHERE_SHAPE));
        assert!(msg("snapshot = ''").contains(WHERE_SHAPE));
        assert!(msg("snapshot = 's' or timestamp = 't'").contains(WHERE_SHAPE));
        assert!(msg("name in ('a')").contains("Left expr of should be snapshot"));
        assert!(msg("snapshot in (1)").contains("Child of in predicate should be string value"));
    }
}
