//! SHOW statements about tables, sessions and the server.

use catalog::{ColumnDefault, Distribution, Partitioning, Privilege, PrivilegeObject};
use parser::ast::{ShowFilter, TableName};

use super::database::INFORMATION_SCHEMA;
use super::{like, resolve_db, resolve_table};
use crate::Fe;
use crate::ddl::show_create;
use crate::error::FeError;
use crate::privilege::Grants;
use crate::result::{Column, Output, ResultSet, Value, format_time};
use crate::session::Session;

/// StarRocks' compact byte size (`0B`, `4KB`, `1.2MB`).
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{}", UNITS[unit])
}

/// `"%.3f <unit>"`, as SHOW BACKENDS and SHOW DATA print sizes.
pub fn format_capacity(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.3} {}", UNITS[unit])
}

/// `SHOW TABLE STATUS [FROM db] [LIKE]`.
pub fn table_status(
    fe: &Fe,
    session: &Session,
    grants: &Grants,
    database: Option<&str>,
    filter: Option<&ShowFilter>,
) -> Result<Output, FeError> {
    let db = resolve_db(fe, session, database)?;
    let mut rs = ResultSet::text_columns(&[
        "Name",
        "Engine",
        "Version",
        "Row_format",
        "Rows",
        "Avg_row_length",
        "Data_length",
        "Max_data_length",
        "Index_length",
        "Data_free",
        "Auto_increment",
        "Create_time",
        "Update_time",
        "Check_time",
        "Collation",
        "Checksum",
        "Create_options",
        "Comment",
    ]);
    let state = fe.catalog.read();
    let tables = grants.visible_tables(&state, &db);
    for t in tables {
        let (rows, size, updated) = (t.row_count(), t.data_size(), t.last_load_ms());
        rs.push(vec![
            t.name.clone().into(),
            "StarRocks".into(),
            Value::Null,
            Value::Null,
            rows.to_string().into(),
            size.checked_div(rows).unwrap_or(0).to_string().into(),
            size.to_string().into(),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            format_time(t.created_ms).into(),
            format_time(updated).into(),
            Value::Null,
            "utf8_general_ci".into(),
            Value::Null,
            "".into(),
            t.comment.clone().into(),
        ]);
    }
    like::filter(rs, filter, 0).map(Output::Rows)
}

/// `SHOW DATA [FROM [db.]t]`: stored sizes per table, or per index of one table.
pub fn data(
    fe: &Fe,
    session: &Session,
    grants: &Grants,
    table: Option<&TableName>,
) -> Result<Output, FeError> {
    let replicas_and_size = |t: &catalog::Table| {
        let replicas: u64 = t
            .partitions
            .iter()
            .map(|p| p.tablets.iter().map(|tb| tb.replicas.len() as u64).sum::<u64>())
            .sum();
        let size: u64 = t
            .partitions
            .iter()
            .map(|p| p.data_size * u64::from(p.replication_num))
            .sum();
        (replicas, size)
    };
    if let Some(name) = table {
        let (_, t) = resolve_table(fe, session, name)?;
        let (replicas, size) = replicas_and_size(&t);
        let rows = t.row_count();
        let mut rs = ResultSet::text_columns(&["TableName", "IndexName", "Size", "ReplicaCount", "RowCount"]);
        rs.push(vec![
            t.name.clone().into(),
            t.name.clone().into(),
            format_capacity(size).into(),
            replicas.to_string().into(),
            rows.to_string().into(),
        ]);
        rs.push(vec![
            "".into(),
            "Total".into(),
            format_capacity(size).into(),
            replicas.to_string().into(),
            "".into(),
        ]);
        return Ok(Output::Rows(rs));
    }
    let db = resolve_db(fe, session, None)?;
    let mut rs = ResultSet::text_columns(&["TableName", "Size", "ReplicaCount"]);
    let state = fe.catalog.read();
    let tables = grants.visible_tables(&state, &db);
    let (mut total_size, mut total_replicas) = (0, 0);
    for t in tables {
        let (replicas, size) = replicas_and_size(t);
        total_size += size;
        total_replicas += replicas;
        rs.push(vec![
            t.name.clone().into(),
            format_capacity(size).into(),
            replicas.to_string().into(),
        ]);
    }
    rs.push(vec![
        "Total".into(),
        format_capacity(total_size).into(),
        total_replicas.to_string().into(),
    ]);
    rs.push(vec!["Quota".into(), "8388608.000 TB".into(), "1073741824".into()]);
    rs.push(vec![
        "Left".into(),
        format_capacity((8_388_608u64 << 40).saturating_sub(total_size)).into(),
        (1_073_741_824u64.saturating_sub(total_replicas))
            .to_string()
            .into(),
    ]);
    Ok(Output::Rows(rs))
}

/// `SHOW [FULL] TABLES [FROM db]`.
pub fn tables(
    fe: &Fe,
    session: &Session,
    grants: &Grants,
    full: bool,
    database: Option<&str>,
    filter: Option<&ShowFilter>,
) -> Result<Output, FeError> {
    let db_name = match database.or(session.database.as_deref()) {
        Some(d) => d.to_string(),
        None => return Err(FeError::no_db()),
    };
    let header = format!("Tables_in_{db_name}");
    let mut rs = if full {
        ResultSet::text_columns(&[&header, "Table_type"])
    } else {
        ResultSet::text_columns(&[&header])
    };
    if db_name.eq_ignore_ascii_case(INFORMATION_SCHEMA) {
        for t in ["columns", "schemata", "tables", "views"] {
            let mut row: Vec<Value> = vec![t.into()];
            if full {
                row.push("SYSTEM VIEW".into());
            }
            rs.push(row);
        }
    } else {
        let db = resolve_db(fe, session, Some(&db_name))?;
        for t in grants.visible_tables(&fe.catalog.read(), &db) {
            let mut row: Vec<Value> = vec![t.name.clone().into()];
            if full {
                row.push("BASE TABLE".into());
            }
            rs.push(row);
        }
    }
    like::filter(rs, filter, 0).map(Output::Rows)
}

/// `SHOW CREATE TABLE`.
pub fn create_table(fe: &Fe, session: &Session, name: &TableName) -> Result<Output, FeError> {
    let (_, table) = resolve_table(fe, session, name)?;
    let mut rs = ResultSet::text_columns(&["Table", "Create Table"]);
    rs.push(vec![
        table.name.clone().into(),
        show_create::render(&table).into(),
    ]);
    Ok(Output::Rows(rs))
}

fn default_text(d: &Option<ColumnDefault>) -> Value {
    match d {
        None => Value::Null,
        Some(ColumnDefault::Value(v)) => v.clone().into(),
        Some(ColumnDefault::CurrentTimestamp) => "CURRENT_TIMESTAMP".into(),
    }
}

fn extra(d: &Option<ColumnDefault>) -> &'static str {
    match d {
        Some(ColumnDefault::CurrentTimestamp) => "DEFAULT_GENERATED",
        _ => "",
    }
}

/// `SHOW [FULL] COLUMNS FROM t`.
pub fn columns(
    fe: &Fe,
    session: &Session,
    name: &TableName,
    full: bool,
    filter: Option<&ShowFilter>,
) -> Result<Output, FeError> {
    let (_, table) = resolve_table(fe, session, name)?;
    let mut rs = if full {
        ResultSet::text_columns(&[
            "Field",
            "Type",
            "Collation",
            "Null",
            "Key",
            "Default",
            "Extra",
            "Privileges",
            "Comment",
        ])
    } else {
        ResultSet::text_columns(&["Field", "Type", "Null", "Key", "Default", "Extra"])
    };
    for c in &table.columns {
        let null = if c.nullable { "YES" } else { "NO" };
        let key = if c.is_key { "true" } else { "false" };
        let row: Vec<Value> = if full {
            vec![
                c.name.clone().into(),
                c.ty.to_string().into(),
                Value::Null,
                null.into(),
                key.into(),
                default_text(&c.default),
                extra(&c.default).into(),
                "".into(),
                c.comment.clone().into(),
            ]
        } else {
            vec![
                c.name.clone().into(),
                c.ty.to_string().into(),
                null.into(),
                key.into(),
                default_text(&c.default),
                extra(&c.default).into(),
            ]
        };
        rs.push(row);
    }
    like::filter(rs, filter, 0).map(Output::Rows)
}

/// `DESC t [ALL]`.
pub fn describe(fe: &Fe, session: &Session, name: &TableName, all: bool) -> Result<Output, FeError> {
    let (_, table) = resolve_table(fe, session, name)?;
    let mut rs = if all {
        ResultSet::text_columns(&[
            "IndexName",
            "IndexKeysType",
            "Field",
            "Type",
            "Null",
            "Key",
            "Default",
            "Extra",
        ])
    } else {
        ResultSet::text_columns(&["Field", "Type", "Null", "Key", "Default", "Extra"])
    };
    for (i, c) in table.columns.iter().enumerate() {
        let mut row: Vec<Value> = Vec::new();
        if all {
            let (index, keys) = if i == 0 {
                (table.name.clone(), table.keys_kind.starrocks_name().to_string())
            } else {
                (String::new(), String::new())
            };
            row.push(index.into());
            row.push(keys.into());
        }
        row.extend([
            c.name.clone().into(),
            c.ty.to_string().into(),
            (if c.nullable { "YES" } else { "NO" }).into(),
            (if c.is_key { "true" } else { "false" }).into(),
            default_text(&c.default),
            extra(&c.default).into(),
        ]);
        rs.push(row);
    }
    Ok(Output::Rows(rs))
}

/// `SHOW PARTITIONS FROM t`: StarRocks' 17 columns.
pub fn partitions(fe: &Fe, session: &Session, name: &TableName, temporary: bool) -> Result<Output, FeError> {
    let (_, table) = resolve_table(fe, session, name)?;
    let mut rs = ResultSet::text_columns(&[
        "PartitionId",
        "PartitionName",
        "VisibleVersion",
        "VisibleVersionTime",
        "VisibleVersionHash",
        "State",
        "PartitionKey",
        "Range",
        "DistributionKey",
        "Buckets",
        "ReplicationNum",
        "StorageMedium",
        "CooldownTime",
        "LastConsistencyCheckTime",
        "DataSize",
        "IsInMemory",
        "RowCount",
    ]);
    if temporary {
        // Starling has no temporary partitions.
        return Ok(Output::Rows(rs));
    }
    let types = table.partition_column_types();
    let partition_key = match &table.partitioning {
        Partitioning::Unpartitioned => String::new(),
        Partitioning::Range { columns } => columns.join(", "),
    };
    let distribution_key = match &table.distribution {
        Distribution::Hash { columns, .. } => columns.join(", "),
        Distribution::Random { .. } => "ALL KEY".to_string(),
    };
    for p in &table.partitions {
        rs.push(vec![
            p.id.to_string().into(),
            p.name.clone().into(),
            p.visible_version.to_string().into(),
            format_time(p.visible_version_time_ms).into(),
            "0".into(),
            "NORMAL".into(),
            partition_key.clone().into(),
            p.range
                .as_ref()
                .map(|r| r.describe(&types))
                .unwrap_or_default()
                .into(),
            distribution_key.clone().into(),
            table.distribution.buckets().to_string().into(),
            p.replication_num.to_string().into(),
            "HDD".into(),
            "9999-12-31 23:59:59".into(),
            "NULL".into(),
            format_size(p.data_size).into(),
            "false".into(),
            p.row_count.to_string().into(),
        ]);
    }
    Ok(Output::Rows(rs))
}

/// `SHOW TABLET FROM t [PARTITION (...)]`: one row per replica.
pub fn tablets(
    fe: &Fe,
    session: &Session,
    name: &TableName,
    partitions: &[String],
) -> Result<Output, FeError> {
    let (_, table) = resolve_table(fe, session, name)?;
    for p in partitions {
        if table.partition(p).is_none() {
            return Err(FeError::common(format!("Partition '{p}' doesn't exist")));
        }
    }
    let mut rs = ResultSet::text_columns(&[
        "TabletId",
        "ReplicaId",
        "BackendId",
        "SchemaHash",
        "Version",
        "VersionHash",
        "LstSuccessVersion",
        "LstSuccessVersionHash",
        "LstFailedVersion",
        "LstFailedVersionHash",
        "LstFailedTime",
        "DataSize",
        "RowCount",
        "State",
        "LstConsistencyCheckTime",
        "CheckVersion",
        "CheckVersionHash",
        "VersionCount",
        "PathHash",
        "MetaUrl",
        "CompactionStatus",
        "DiskRootPath",
    ]);
    let state = fe.catalog.read();
    let mut rows: Vec<(u64, u64, Vec<Value>)> = Vec::new();
    for p in &table.partitions {
        if !partitions.is_empty() && !partitions.iter().any(|n| n.eq_ignore_ascii_case(&p.name)) {
            continue;
        }
        for t in &p.tablets {
            for r in &t.replicas {
                let host = state
                    .backends()
                    .find(|b| b.id == r.backend_id)
                    .map(|b| b.host.clone())
                    .unwrap_or_else(|| "N/A".into());
                rows.push((
                    t.id,
                    r.id,
                    vec![
                        t.id.to_string().into(),
                        r.id.to_string().into(),
                        r.backend_id.to_string().into(),
                        table.schema_hash.to_string().into(),
                        r.version.to_string().into(),
                        "0".into(),
                        r.version.to_string().into(),
                        "0".into(),
                        "-1".into(),
                        "0".into(),
                        "NULL".into(),
                        format_size(0).into(),
                        "0".into(),
                        "NORMAL".into(),
                        "NULL".into(),
                        "-1".into(),
                        "0".into(),
                        "1".into(),
                        "0".into(),
                        format!("http://{host}/api/meta/header/{}", t.id).into(),
                        format!("http://{host}/api/compaction/show?tablet_id={}", t.id).into(),
                        "".into(),
                    ],
                ));
            }
        }
    }
    rows.sort_by_key(|(t, r, _)| (*t, *r));
    rs.rows = rows.into_iter().map(|(_, _, row)| row).collect();
    Ok(Output::Rows(rs))
}

/// `SHOW TABLET <id>`: where a tablet lives.
pub fn tablet_by_id(fe: &Fe, tablet_id: u64) -> Result<Output, FeError> {
    let state = fe.catalog.read();
    let mut rs = ResultSet::text_columns(&[
        "DbName",
        "TableName",
        "PartitionName",
        "IndexName",
        "DbId",
        "TableId",
        "PartitionId",
        "IndexId",
        "IsSync",
        "DetailCmd",
    ]);
    for db in state.databases() {
        for table in state.tables(db.id) {
            for p in &table.partitions {
                if p.tablets.iter().any(|t| t.id == tablet_id) {
                    rs.push(vec![
                        db.name.clone().into(),
                        table.name.clone().into(),
                        p.name.clone().into(),
                        table.name.clone().into(),
                        db.id.to_string().into(),
                        table.id.to_string().into(),
                        p.id.to_string().into(),
                        table.index_id.to_string().into(),
                        "true".into(),
                        format!(
                            "SHOW PROC '/dbs/{}/{}/partitions/{}/{}/{}';",
                            db.id, table.id, p.id, table.index_id, tablet_id
                        )
                        .into(),
                    ]);
                }
            }
        }
    }
    if rs.rows.is_empty() {
        return Err(FeError::common(format!("Tablet {tablet_id} does not exist")));
    }
    Ok(Output::Rows(rs))
}

/// `SHOW WARNINGS` / `SHOW ERRORS`.
pub fn warnings(session: &Session, errors: bool, limit: Option<u64>) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&["Level", "Code", "Message"]);
    rs.columns[1] = Column::int("Code");
    for w in &session.warnings {
        if errors && w.level != "Error" {
            continue;
        }
        rs.push(vec![
            w.level.into(),
            Value::Int(i64::from(w.code)),
            w.message.clone().into(),
        ]);
    }
    if let Some(n) = limit {
        rs.rows.truncate(n as usize);
    }
    Ok(Output::Rows(rs))
}

/// `SHOW [FULL] PROCESSLIST`: other users' connections only with `OPERATE`.
pub fn processlist(fe: &Fe, session: &Session, grants: &Grants, full: bool) -> Result<Output, FeError> {
    let sees_all = grants.has(&[Privilege::Operate], &PrivilegeObject::System);
    let mut rs = ResultSet::text_columns(&[
        "ServerName",
        "Id",
        "User",
        "Host",
        "Db",
        "Command",
        "ConnectionStartTime",
        "Time",
        "State",
        "Info",
        "IsPending",
        "Warehouse",
        "CNGroup",
        "Catalog",
        "QueryId",
    ]);
    let server = format!("{}_{}", fe.config.listen_host, fe.ports.query);
    let now = chrono::Utc::now().timestamp();
    for c in fe.connections.list() {
        if !sees_all && c.user != session.user {
            continue;
        }
        let info: String = if full {
            c.info.clone()
        } else {
            c.info.chars().take(100).collect()
        };
        rs.push(vec![
            server.clone().into(),
            c.id.to_string().into(),
            c.user.into(),
            c.host.into(),
            c.db.into(),
            c.command.into(),
            c.connected_at.into(),
            (now - c.command_started).max(0).to_string().into(),
            "OK".into(),
            info.into(),
            "false".into(),
            "default_warehouse".into(),
            "".into(),
            "default_catalog".into(),
            "".into(),
        ]);
    }
    Ok(Output::Rows(rs))
}

/// `SHOW ENGINES`.
pub fn engines() -> Output {
    let mut rs =
        ResultSet::text_columns(&["Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"]);
    rs.push(vec![
        "OLAP".into(),
        "DEFAULT".into(),
        "Default storage engine of StarRocks".into(),
        "YES".into(),
        "NO".into(),
        "NO".into(),
    ]);
    Output::Rows(rs)
}

/// `SHOW CHARSET`.
pub fn charsets() -> Output {
    let mut rs = ResultSet::text_columns(&["Charset", "Description", "Default collation", "Maxlen"]);
    rs.push(vec![
        "utf8".into(),
        "UTF-8 Unicode".into(),
        "utf8_general_ci".into(),
        "3".into(),
    ]);
    Output::Rows(rs)
}

/// `SHOW COLLATION`.
pub fn collations(filter: Option<&ShowFilter>) -> Result<Output, FeError> {
    let mut rs = ResultSet::text_columns(&["Collation", "Charset", "Id", "Default", "Compiled", "Sortlen"]);
    rs.push(vec![
        "utf8_general_ci".into(),
        "utf8".into(),
        "33".into(),
        "Yes".into(),
        "Yes".into(),
        "1".into(),
    ]);
    like::filter(rs, filter, 0).map(Output::Rows)
}

#[cfg(test)]
mod tests {
    use super::format_size;

    #[test]
    fn sizes_like_starrocks() {
        assert_eq!(format_size(0), "0B");
        assert_eq!(format_size(4096), "4KB");
        assert_eq!(format_size(1_258_291), "1.2MB");
    }
}
