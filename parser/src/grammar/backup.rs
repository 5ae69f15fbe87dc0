//! Repositories, `BACKUP`, `RESTORE`, snapshots and their `SHOW` / `CANCEL`
//! statements.
//!
//! The checks StarRocks makes while building the AST (after the grammar
//! matched) are raised here as unpositioned errors, but only when the whole
//! statement matched: trailing garbage is reported as an ordinary
//! positioned syntax error first, as ANTLR would.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};

use super::common::{
    PResult, fatal, flag, ident, ident_list, integer, kw, kws, opt_properties, punct, raw_rest, raw_until,
    string_lit,
};
use super::show::dropped_tail;
use crate::ast::{
    BackupObject, BackupStmt, ExternalCatalogs, JobAction, ObjectKeyword, RestoreStmt, Statement, TableName,
};
use crate::lex;

const DB_BEFORE_LABEL: &str = "Specifying dbName before snapshot name is forbidden if the DbName is specified \
                               explicitly in BACKUP/RESTORE";
const BACKUP_ALIAS: &str = "Specifying alias for backup object is forbidden in BACKUP stmt";
const CATALOG_WITH_DB: &str = "Can not sepcify database name for external catalog Backup/Restore";
const CATALOG_WITH_ON: &str = "Can not sepcify `ON` clause for external catalog Backup/Restore";
const RESTORE_ON_NO_DB: &str = "`ON` clause is forbidden if no Database explicitly specified in Restore stmt";
const CANCEL_NO_DB: &str = "No selected database for cancel BACKUP/RESTORE";

/// The statements of this family that do not start with `SHOW`.
pub(super) fn statement(i: &str) -> PResult<'_, Statement> {
    alt((
        create_repository,
        drop_repository,
        drop_snapshot,
        backup,
        restore,
        job_by_id,
        cancel,
        steer,
    ))
    .parse(i)
}

/// The `SHOW` statements of this family (after `SHOW`).
pub(super) fn show(i: &str) -> PResult<'_, Statement> {
    alt((
        show_repositories,
        show_backup_or_restore,
        show_jobs,
        show_snapshot,
    ))
    .parse(i)
}

/// Returns `value`, or the unpositioned error `violation` when there is one
/// and nothing follows (otherwise the caller reports the trailing input).
fn checked<'a, T>(rest: &'a str, value: T, violation: Option<String>) -> PResult<'a, T> {
    match violation {
        Some(message) if lex::skip_ws(rest).is_empty() => fatal(message),
        _ => Ok((rest, value)),
    }
}

/// `ident ('.' ident)*`
fn qname(i: &str) -> PResult<'_, Vec<String>> {
    separated_list1(punct("."), ident).parse(i)
}

/// The last two parts of a name: `(db, name)`.
fn last_two(mut parts: Vec<String>) -> (Option<String>, String) {
    let name = parts.pop().unwrap_or_default();
    (parts.pop(), name)
}

/// `CREATE [READ ONLY] REPOSITORY r WITH BROKER [b] ON LOCATION 'loc' [PROPERTIES (...)]`
fn create_repository(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("CREATE")(i)?;
    let (i, read_only) = flag(&["READ", "ONLY"])(i)?;
    let (i, _) = kw("REPOSITORY")(i)?;
    let (i, name) = ident(i)?;
    let (i, _) = kws(&["WITH", "BROKER"])(i)?;
    let (i, broker) = opt(alt((ident, string_lit))).parse(i)?;
    let (i, _) = kws(&["ON", "LOCATION"])(i)?;
    let (i, location) = string_lit(i)?;
    let (i, properties) = opt_properties(i)?;
    Ok((
        i,
        Statement::CreateRepository {
            read_only,
            name,
            broker,
            location,
            properties,
        },
    ))
}

/// `DROP REPOSITORY r`
fn drop_repository(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["DROP", "REPOSITORY"])(i)?;
    let (i, name) = ident(i)?;
    Ok((i, Statement::DropRepository { name }))
}

/// `DROP SNAPSHOT s ON repo [FORCE]`
fn drop_snapshot(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["DROP", "SNAPSHOT"])(i)?;
    let (i, name) = ident(i)?;
    let (i, _) = kw("ON")(i)?;
    let (i, repository) = ident(i)?;
    let (i, force) = flag(&["FORCE"])(i)?;
    Ok((
        i,
        Statement::DropSnapshot {
            name,
            repository,
            force,
        },
    ))
}

/// `ALL EXTERNAL CATALOGS` or `EXTERNAL {CATALOG|CATALOGS} (c [AS a], ...)`;
/// aliases only when `aliases` is set (RESTORE).
fn external_catalogs(aliases: bool) -> impl Fn(&str) -> PResult<'_, ExternalCatalogs> {
    move |i: &str| {
        alt((
            map(kws(&["ALL", "EXTERNAL", "CATALOGS"]), |_| ExternalCatalogs::All),
            map(
                preceded(
                    (kw("EXTERNAL"), alt((kw("CATALOG"), kw("CATALOGS")))),
                    delimited(
                        punct("("),
                        separated_list1(punct(","), |i| {
                            let (i, name) = ident(i)?;
                            if !aliases {
                                return Ok((i, (name, None)));
                            }
                            let (i, alias) = opt(preceded(kw("AS"), ident)).parse(i)?;
                            Ok((i, (name, alias)))
                        }),
                        punct(")"),
                    ),
                ),
                ExternalCatalogs::Named,
            ),
        ))
        .parse(i)
    }
}

/// `ON (obj, ...)`
fn object_list(i: &str) -> PResult<'_, Vec<BackupObject>> {
    preceded(
        kw("ON"),
        delimited(punct("("), separated_list1(punct(","), object), punct(")")),
    )
    .parse(i)
}

/// `[AS alias]`
fn opt_alias(i: &str) -> PResult<'_, Option<String>> {
    opt(preceded(kw("AS"), ident)).parse(i)
}

/// One entry of an `ON (...)` list.
fn object(i: &str) -> PResult<'_, BackupObject> {
    alt((
        map((kw("ALL"), alt((kw("FUNCTION"), kw("FUNCTIONS")))), |_| {
            BackupObject::AllFunctions
        }),
        map(
            (kws(&["ALL", "MATERIALIZED"]), alt((kw("VIEW"), kw("VIEWS")))),
            |_| BackupObject::AllMaterializedViews,
        ),
        map((kw("ALL"), alt((kw("TABLE"), kw("TABLES")))), |_| {
            BackupObject::AllTables
        }),
        map((kw("ALL"), alt((kw("VIEW"), kw("VIEWS")))), |_| {
            BackupObject::AllViews
        }),
        function_object,
        |i| {
            let (i, _) = (kw("MATERIALIZED"), alt((kw("VIEW"), kw("VIEWS")))).parse(i)?;
            view_object(i, ObjectKeyword::MaterializedView)
        },
        |i| {
            let (i, _) = alt((kw("VIEW"), kw("VIEWS"))).parse(i)?;
            view_object(i, ObjectKeyword::View)
        },
        |i| {
            let (i, _) = alt((kw("TABLE"), kw("TABLES"))).parse(i)?;
            table_object(i, ObjectKeyword::Table)
        },
        |i| table_object(i, ObjectKeyword::Bare),
    ))
    .parse(i)
}

/// `{FUNCTION|FUNCTIONS} [db.]f [AS alias]`
fn function_object(i: &str) -> PResult<'_, BackupObject> {
    let (i, _) = alt((kw("FUNCTION"), kw("FUNCTIONS"))).parse(i)?;
    let (i, parts) = qname(i)?;
    let (i, alias) = opt_alias(i)?;
    let (database, name) = last_two(parts);
    Ok((
        i,
        BackupObject::Function {
            database,
            name,
            alias,
        },
    ))
}

/// `qname [AS alias]` after `VIEW` or `MATERIALIZED VIEW`.
fn view_object(i: &str, keyword: ObjectKeyword) -> PResult<'_, BackupObject> {
    let (i, parts) = qname(i)?;
    let (i, alias) = opt_alias(i)?;
    let (database, table) = last_two(parts);
    Ok((
        i,
        BackupObject::Table {
            name: TableName { database, table },
            partitions: Vec::new(),
            temporary_partitions: false,
            alias,
            keyword,
        },
    ))
}

/// `qname [[TEMPORARY] PARTITION(S) {(p, ...) | p}] [AS alias]`
fn table_object(i: &str, keyword: ObjectKeyword) -> PResult<'_, BackupObject> {
    let (i, parts) = qname(i)?;
    let (i, partitions) = opt(|i| {
        let (i, temporary) = flag(&["TEMPORARY"])(i)?;
        let (i, _) = alt((kw("PARTITION"), kw("PARTITIONS"))).parse(i)?;
        let (i, names) = alt((ident_list, map(ident, |p| vec![p]))).parse(i)?;
        Ok((i, (temporary, names)))
    })
    .parse(i)?;
    let (temporary_partitions, partitions) = partitions.unwrap_or_default();
    let (i, alias) = opt_alias(i)?;
    let (database, table) = last_two(parts);
    Ok((
        i,
        BackupObject::Table {
            name: TableName { database, table },
            partitions,
            temporary_partitions,
            alias,
            keyword,
        },
    ))
}

/// Splits a snapshot label into `(db prefix, label)`, with the error for a
/// name of three or more parts.
fn split_label(parts: Vec<String>) -> (Option<String>, String, Option<String>) {
    let violation = (parts.len() > 2).then(|| format!("Invalid table name format '{}'", parts.join(".")));
    let (prefix, label) = last_two(parts);
    (prefix, label, violation)
}

/// The first violated rule shared by BACKUP and RESTORE.
fn common_violation(
    label_violation: Option<String>,
    prefix: &Option<String>,
    explicit: &Option<String>,
    catalogs: &Option<ExternalCatalogs>,
    has_on: bool,
) -> Option<String> {
    if label_violation.is_some() {
        return label_violation;
    }
    if prefix.is_some() && explicit.is_some() {
        return Some(DB_BEFORE_LABEL.to_string());
    }
    if catalogs.is_some() && (prefix.is_some() || explicit.is_some()) {
        return Some(CATALOG_WITH_DB.to_string());
    }
    if catalogs.is_some() && has_on {
        return Some(CATALOG_WITH_ON.to_string());
    }
    None
}

/// `BACKUP [catalogs] [DATABASE db] SNAPSHOT [db.]label TO repo [ON (...)] [PROPERTIES (...)]`
fn backup(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("BACKUP")(i)?;
    let (i, external_catalogs) = opt(external_catalogs(false)).parse(i)?;
    let (i, explicit) = opt(preceded(kw("DATABASE"), ident)).parse(i)?;
    let (i, _) = kw("SNAPSHOT")(i)?;
    let (i, (prefix, label, label_violation)) = map(qname, split_label).parse(i)?;
    let (i, _) = kw("TO")(i)?;
    let (i, repository) = ident(i)?;
    let (i, objects) = opt(object_list).parse(i)?;
    let (i, properties) = opt_properties(i)?;

    let has_on = objects.is_some();
    let objects = objects.unwrap_or_default();
    let aliased = objects.iter().any(|o| match o {
        BackupObject::Table { alias, .. } | BackupObject::Function { alias, .. } => alias.is_some(),
        _ => false,
    });
    let violation = common_violation(label_violation, &prefix, &explicit, &external_catalogs, has_on)
        .or_else(|| aliased.then(|| BACKUP_ALIAS.to_string()));
    let explicit_database = explicit.is_some();
    let stmt = BackupStmt {
        database: explicit.or(prefix),
        explicit_database,
        label,
        repository,
        objects,
        properties,
        external_catalogs,
    };
    checked(i, Statement::Backup(Box::new(stmt)), violation)
}

/// `RESTORE SNAPSHOT [db.]label FROM repo [catalogs] [DATABASE src [AS dst]] [ON (...)] [PROPERTIES (...)]`
fn restore(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["RESTORE", "SNAPSHOT"])(i)?;
    let (i, (prefix, label, label_violation)) = map(qname, split_label).parse(i)?;
    let (i, _) = kw("FROM")(i)?;
    let (i, repository) = ident(i)?;
    let (i, external_catalogs) = opt(external_catalogs(true)).parse(i)?;
    let (i, database) = opt(preceded(kw("DATABASE"), (ident, opt_alias))).parse(i)?;
    let (i, objects) = opt(object_list).parse(i)?;
    let (i, properties) = opt_properties(i)?;

    let (explicit, target_database) = match database {
        Some((src, dst)) => (Some(src), dst),
        None => (None, None),
    };
    let has_on = objects.is_some();
    let no_db = prefix.is_none() && explicit.is_none();
    let violation = common_violation(label_violation, &prefix, &explicit, &external_catalogs, has_on)
        .or_else(|| (has_on && no_db).then(|| RESTORE_ON_NO_DB.to_string()));
    let explicit_database = explicit.is_some();
    let stmt = RestoreStmt {
        database: explicit.or(prefix),
        explicit_database,
        target_database,
        label,
        repository,
        objects: objects.unwrap_or_default(),
        properties,
        external_catalogs,
    };
    checked(i, Statement::Restore(Box::new(stmt)), violation)
}

/// `FROM` or `IN`.
fn from_or_in(i: &str) -> PResult<'_, &str> {
    alt((kw("FROM"), kw("IN"))).parse(i)
}

/// `CANCEL {BACKUP|RESTORE} {{FROM|IN} db | FOR EXTERNAL CATALOG}`
fn cancel(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("CANCEL")(i)?;
    let (i, restore) = alt((map(kw("BACKUP"), |_| false), map(kw("RESTORE"), |_| true))).parse(i)?;
    let (i, target) = opt(alt((
        map(preceded(from_or_in, ident), Some),
        map(kws(&["FOR", "EXTERNAL", "CATALOG"]), |_| None),
    )))
    .parse(i)?;
    let violation = target.is_none().then(|| CANCEL_NO_DB.to_string());
    let external_catalog = matches!(target, Some(None));
    let database = target.flatten();
    let stmt = if restore {
        Statement::CancelRestore {
            database,
            external_catalog,
        }
    } else {
        Statement::CancelBackup {
            database,
            external_catalog,
        }
    };
    checked(i, stmt, violation)
}

/// `{PAUSE|RESUME|CANCEL} JOB id`
fn job_by_id(i: &str) -> PResult<'_, Statement> {
    let (i, action) = alt((
        map(kw("PAUSE"), |_| JobAction::Pause),
        map(kw("RESUME"), |_| JobAction::Resume),
        map(kw("CANCEL"), |_| JobAction::Cancel),
    ))
    .parse(i)?;
    let (i, _) = kw("JOB")(i)?;
    let (i, job_id) = integer(i)?;
    Ok((i, Statement::JobById { action, job_id }))
}

/// `{PAUSE|RESUME} {BACKUP|RESTORE} {FROM|IN} db`
fn steer(i: &str) -> PResult<'_, Statement> {
    let (i, resume) = alt((map(kw("PAUSE"), |_| false), map(kw("RESUME"), |_| true))).parse(i)?;
    let (i, restore) = alt((map(kw("BACKUP"), |_| false), map(kw("RESTORE"), |_| true))).parse(i)?;
    let (i, database) = preceded(from_or_in, ident).parse(i)?;
    Ok((
        i,
        Statement::SteerJob {
            resume,
            restore,
            database,
        },
    ))
}

/// `REPOSITORIES [tail]`
fn show_repositories(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("REPOSITORIES")(i)?;
    let (i, _) = opt(dropped_tail).parse(i)?;
    Ok((i, Statement::ShowRepositories))
}

/// `{BACKUP|RESTORE} [{FROM|IN} db] [tail]`
fn show_backup_or_restore(i: &str) -> PResult<'_, Statement> {
    let (i, restore) = alt((map(kw("BACKUP"), |_| false), map(kw("RESTORE"), |_| true))).parse(i)?;
    let (i, database) = opt(preceded(from_or_in, ident)).parse(i)?;
    let (i, tail) = opt(kept_tail).parse(i)?;
    let stmt = if restore {
        Statement::ShowRestore { database, tail }
    } else {
        Statement::ShowBackup { database, tail }
    };
    Ok((i, stmt))
}

/// `JOBS [{FROM|IN} db] [tail]`
fn show_jobs(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("JOBS")(i)?;
    let (i, database) = opt(preceded(from_or_in, ident)).parse(i)?;
    let (i, tail) = opt(kept_tail).parse(i)?;
    Ok((i, Statement::ShowJobs { database, tail }))
}

/// `WHERE ...`, `ORDER BY ...` or `LIMIT ...` up to the end, kept as text.
fn kept_tail(i: &str) -> PResult<'_, String> {
    let start = lex::skip_ws(i);
    let (i, _) = alt((kw("WHERE"), kw("ORDER"), kw("LIMIT"))).parse(start)?;
    let (i, _) = raw_rest(i)?;
    Ok((i, start.trim_end().to_string()))
}

/// `SNAPSHOT ON repo [WHERE expr] [ORDER BY ...] [LIMIT ...]` (only the
/// `WHERE` expression is kept).
fn show_snapshot(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kws(&["SNAPSHOT", "ON"])(i)?;
    let (i, repository) = ident(i)?;
    let (i, filter) = opt(preceded(kw("WHERE"), |i| {
        raw_until(i, |t| {
            t.eq_ignore_ascii_case("ORDER") || t.eq_ignore_ascii_case("LIMIT")
        })
    }))
    .parse(i)?;
    let (i, _) = opt(dropped_tail).parse(i)?;
    Ok((i, Statement::ShowSnapshot { repository, filter }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::ast::*;
    use crate::parse_one;

    #[test]
    fn rule_errors_are_unpositioned() {
        let err = parse_one("CANCEL BACKUP").unwrap_err();
        assert!(!err.positioned);
        assert_eq!(
            err.to_string(),
            "Getting syntax error. Detail message: No selected database for cancel BACKUP/RESTORE."
        );
        let err = parse_one("RESTORE SNAPSHOT s FROM r ON (t)").unwrap_err();
        assert!(!err.positioned);
    }

    #[test]
    fn trailing_input_wins_over_rules() {
        let err = parse_one("BACKUP SNAPSHOT d.s TO r ON (t AS a) x").unwrap_err();
        assert!(err.positioned, "{err}");
    }

    #[test]
    fn label_prefix_is_the_database() {
        let Statement::Backup(b) = parse_one("backup snapshot d.l to r").unwrap() else {
            panic!("not BACKUP");
        };
        assert_eq!(b.database.as_deref(), Some("d"));
        assert!(!b.explicit_database);
        assert_eq!(b.label, "l");
    }

    #[test]
    fn family_words_stay_identifiers() {
        for w in [
            "snapshot",
            "repository",
            "repositories",
            "backup",
            "restore",
            "location",
            "broker",
        ] {
            assert!(parse_one(&format!("DROP TABLE {w}")).is_ok(), "{w}");
        }
    }
}
