//! `SHOW ...` and `DESC`.

use nom::Parser;
use nom::branch::alt;
use nom::combinator::{map, opt};
use nom::sequence::preceded;

use super::common::{PResult, db_name, flag, integer, kw, kws, raw_rest, show_filter, table_name};
use super::partition::partition_names;
use crate::ast::{Statement, VarScope};

/// Every `SHOW` statement.
pub(super) fn show(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("SHOW")(i)?;
    alt((
        show_databases,
        show_table_status,
        show_data,
        show_tables,
        show_create,
        show_columns,
        show_partitions,
        show_tablet,
        map(kw("BACKENDS"), |_| Statement::ShowBackends),
        map(kw("FRONTENDS"), |_| Statement::ShowFrontends),
        show_variables_or_status,
        show_warnings,
        show_processlist,
        map(preceded(opt(kw("STORAGE")), kw("ENGINES")), |_| {
            Statement::ShowEngines
        }),
        show_charset,
        map(preceded(kw("COLLATION"), opt(show_filter)), |filter| {
            Statement::ShowCollation { filter }
        }),
        super::backup::show,
    ))
    .parse(i)
}

/// `FROM` or `IN`.
fn from_or_in(i: &str) -> PResult<'_, &str> {
    alt((kw("FROM"), kw("IN"))).parse(i)
}

/// `DATABASES [FROM catalog] [filter]` (the catalog is dropped).
fn show_databases(i: &str) -> PResult<'_, Statement> {
    let (i, _) = alt((kw("DATABASES"), kw("SCHEMAS"))).parse(i)?;
    let (i, _) = opt(preceded(from_or_in, db_name)).parse(i)?;
    let (i, filter) = opt(show_filter).parse(i)?;
    Ok((i, Statement::ShowDatabases { filter }))
}

/// `TABLE STATUS [{FROM|IN} db] [filter]`
fn show_table_status(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("TABLE")(i)?;
    let (i, _) = kw("STATUS")(i)?;
    let (i, database) = opt(preceded(from_or_in, db_name)).parse(i)?;
    let (i, filter) = opt(show_filter).parse(i)?;
    Ok((i, Statement::ShowTableStatus { database, filter }))
}

/// `DATA [FROM [db.]table]`
fn show_data(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("DATA")(i)?;
    let (i, table) = opt(preceded(kw("FROM"), table_name)).parse(i)?;
    Ok((i, Statement::ShowData { table }))
}

/// `[FULL] TABLES [{FROM|IN} db] [filter]`
fn show_tables(i: &str) -> PResult<'_, Statement> {
    let (i, full) = flag(&["FULL"])(i)?;
    let (i, _) = kw("TABLES")(i)?;
    let (i, database) = opt(preceded(from_or_in, db_name)).parse(i)?;
    let (i, filter) = opt(show_filter).parse(i)?;
    Ok((
        i,
        Statement::ShowTables {
            full,
            database,
            filter,
        },
    ))
}

/// `CREATE {TABLE|VIEW|MATERIALIZED VIEW} t` or `CREATE {DATABASE|SCHEMA} db`
fn show_create(i: &str) -> PResult<'_, Statement> {
    let (i, _) = kw("CREATE")(i)?;
    alt((
        map(
            preceded(
                alt((kw("TABLE"), kw("VIEW"), |i| {
                    kws(&["MATERIALIZED", "VIEW"])(i).map(|(i, _)| (i, ""))
                })),
                table_name,
            ),
            |name| Statement::ShowCreateTable { name },
        ),
        map(preceded(alt((kw("DATABASE"), kw("SCHEMA"))), db_name), |name| {
            Statement::ShowCreateDatabase { name }
        }),
    ))
    .parse(i)
}

/// `[FULL] {COLUMNS|FIELDS} {FROM|IN} t [{FROM|IN} db] [filter]`
fn show_columns(i: &str) -> PResult<'_, Statement> {
    let (i, full) = flag(&["FULL"])(i)?;
    let (i, _) = alt((kw("COLUMNS"), kw("FIELDS"))).parse(i)?;
    let (i, _) = from_or_in(i)?;
    let (i, mut table) = table_name(i)?;
    let (i, database) = opt(preceded(from_or_in, db_name)).parse(i)?;
    if database.is_some() {
        table.database = database;
    }
    let (i, filter) = opt(show_filter).parse(i)?;
    Ok((i, Statement::ShowColumns { full, table, filter }))
}

/// `WHERE ...`, `ORDER BY ...` or `LIMIT ...` up to the end: accepted and
/// dropped.
pub(super) fn dropped_tail(i: &str) -> PResult<'_, ()> {
    let (i, _) = alt((kw("WHERE"), kw("ORDER"), kw("LIMIT"))).parse(i)?;
    let (i, _) = raw_rest(i)?;
    Ok((i, ()))
}

/// `[TEMPORARY] PARTITIONS FROM t [WHERE ...] [ORDER BY ...] [LIMIT ...]`
fn show_partitions(i: &str) -> PResult<'_, Statement> {
    let (i, temporary) = flag(&["TEMPORARY"])(i)?;
    let (i, _) = kw("PARTITIONS")(i)?;
    let (i, _) = from_or_in(i)?;
    let (i, table) = table_name(i)?;
    let (i, _) = opt(dropped_tail).parse(i)?;
    Ok((i, Statement::ShowPartitions { table, temporary }))
}

/// `TABLET FROM t [PARTITION (...)] [tail]` or `TABLET <id>`
fn show_tablet(i: &str) -> PResult<'_, Statement> {
    let (i, _) = alt((kw("TABLET"), kw("TABLETS"))).parse(i)?;
    alt((map(integer, Statement::ShowTabletId), |i| {
        let (i, _) = from_or_in(i)?;
        let (i, table) = table_name(i)?;
        let (i, partitions) = opt(partition_names).parse(i)?;
        let (i, _) = opt(dropped_tail).parse(i)?;
        Ok((
            i,
            Statement::ShowTablet {
                table,
                partitions: partitions.unwrap_or_default(),
            },
        ))
    }))
    .parse(i)
}

/// `[GLOBAL|SESSION|LOCAL] {VARIABLES|STATUS} [filter]`
fn show_variables_or_status(i: &str) -> PResult<'_, Statement> {
    let (i, scope) = opt(alt((
        map(kw("GLOBAL"), |_| VarScope::Global),
        map(alt((kw("SESSION"), kw("LOCAL"))), |_| VarScope::Session),
    )))
    .parse(i)?;
    let scope = scope.unwrap_or_default();
    let (i, status) = alt((map(kw("VARIABLES"), |_| false), map(kw("STATUS"), |_| true))).parse(i)?;
    let (i, filter) = opt(show_filter).parse(i)?;
    let stmt = if status {
        Statement::ShowStatus { scope, filter }
    } else {
        Statement::ShowVariables { scope, filter }
    };
    Ok((i, stmt))
}

/// `{WARNINGS|ERRORS} [LIMIT n]`
fn show_warnings(i: &str) -> PResult<'_, Statement> {
    let (i, errors) = alt((map(kw("WARNINGS"), |_| false), map(kw("ERRORS"), |_| true))).parse(i)?;
    let (i, limit) = opt(preceded(kw("LIMIT"), integer)).parse(i)?;
    Ok((i, Statement::ShowWarnings { errors, limit }))
}

/// `[FULL] PROCESSLIST`
fn show_processlist(i: &str) -> PResult<'_, Statement> {
    let (i, full) = flag(&["FULL"])(i)?;
    let (i, _) = kw("PROCESSLIST")(i)?;
    Ok((i, Statement::ShowProcesslist { full }))
}

/// `{CHARSET | CHARACTER SET | CHAR SET} [filter]` (the filter is dropped).
fn show_charset(i: &str) -> PResult<'_, Statement> {
    let (i, _) = alt((
        map(kw("CHARSET"), |_| ()),
        kws(&["CHARACTER", "SET"]),
        kws(&["CHAR", "SET"]),
    ))
    .parse(i)?;
    let (i, _) = opt(show_filter).parse(i)?;
    Ok((i, Statement::ShowCharset))
}

/// `{DESC|DESCRIBE} t [ALL]`
pub(super) fn describe(i: &str) -> PResult<'_, Statement> {
    let (i, _) = alt((kw("DESC"), kw("DESCRIBE"))).parse(i)?;
    let (i, table) = table_name(i)?;
    let (i, all) = flag(&["ALL"])(i)?;
    Ok((i, Statement::Describe { table, all }))
}
