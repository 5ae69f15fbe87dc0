//! `information_schema`: SCHEMATA, TABLES, COLUMNS and VIEWS built from the
//! catalog when a query names them (and BE_CONFIGS from the BEs, [`super::be_configs`]), so SQLAlchemy, JDBC `DatabaseMetaData` and
//! BI tools can browse databases, tables and columns.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use catalog::{Catalog, ColumnDefault, ColumnType, KeysKind};
use datafusion::catalog::SchemaProvider;
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::error::Result as DfResult;

use super::engine::DEFAULT_CATALOG;
use crate::privilege::Grants;

/// The schema's name.
pub const NAME: &str = "information_schema";

const TABLES: &[&str] = &["schemata", "tables", "columns", "views", super::be_configs::TABLE];

/// Column kinds of the virtual tables.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    Text,
    Int,
}

pub(super) struct Builder {
    names: Vec<&'static str>,
    columns: Vec<Col>,
}

enum Col {
    Text(StringBuilder),
    Int(Int64Builder),
}

/// A cell value.
pub(super) enum V {
    S(String),
    N,
    I(i64),
}

impl Builder {
    pub(super) fn new(spec: &[(&'static str, Kind)]) -> Self {
        Self {
            names: spec.iter().map(|(n, _)| *n).collect(),
            columns: spec
                .iter()
                .map(|(_, k)| match k {
                    Kind::Text => Col::Text(StringBuilder::new()),
                    Kind::Int => Col::Int(Int64Builder::new()),
                })
                .collect(),
        }
    }

    pub(super) fn row(&mut self, values: Vec<V>) {
        for (col, v) in self.columns.iter_mut().zip(values) {
            match (col, v) {
                (Col::Text(b), V::S(s)) => b.append_value(s),
                (Col::Int(b), V::I(i)) => b.append_value(i),
                (Col::Text(b), _) => b.append_null(),
                (Col::Int(b), _) => b.append_null(),
            }
        }
    }

    pub(super) fn finish(self) -> DfResult<(SchemaRef, RecordBatch)> {
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        for (name, col) in self.names.into_iter().zip(self.columns) {
            match col {
                Col::Text(mut b) => {
                    fields.push(Field::new(name, DataType::Utf8, true));
                    arrays.push(Arc::new(b.finish()));
                }
                Col::Int(mut b) => {
                    fields.push(Field::new(name, DataType::Int64, true));
                    arrays.push(Arc::new(b.finish()));
                }
            }
        }
        let schema = Arc::new(Schema::new(fields));
        Ok((Arc::clone(&schema), RecordBatch::try_new(schema, arrays)?))
    }
}

pub(super) fn s(text: impl Into<String>) -> V {
    V::S(text.into())
}

/// MySQL's DATA_TYPE name and sizes of a column type.
fn type_facts(ty: &ColumnType) -> (&'static str, Option<i64>, Option<i64>, Option<i64>) {
    match ty {
        ColumnType::Boolean => ("boolean", None, None, None),
        ColumnType::TinyInt => ("tinyint", None, Some(3), Some(0)),
        ColumnType::SmallInt => ("smallint", None, Some(5), Some(0)),
        ColumnType::Int => ("int", None, Some(10), Some(0)),
        ColumnType::BigInt => ("bigint", None, Some(19), Some(0)),
        ColumnType::LargeInt => ("bigint unsigned", None, Some(39), Some(0)),
        ColumnType::Float => ("float", None, Some(12), None),
        ColumnType::Double => ("double", None, Some(22), None),
        ColumnType::Decimal { precision, scale } => (
            "decimal",
            None,
            Some(i64::from(*precision)),
            Some(i64::from(*scale)),
        ),
        ColumnType::Char { len } => ("char", Some(i64::from(*len)), None, None),
        ColumnType::Varchar { len } => ("varchar", Some(i64::from(*len)), None, None),
        ColumnType::Date => ("date", None, None, None),
        ColumnType::DateTime => ("datetime", None, None, None),
        ColumnType::Json => ("json", None, None, None),
    }
}

fn build(catalog: &Catalog, grants: &Grants, name: &str) -> DfResult<Option<(SchemaRef, RecordBatch)>> {
    let state = catalog.read();
    // Only what the user may see: databases it has a privilege on or in, and
    // tables it has a privilege on.
    let dbs = grants.visible_databases(&state);
    let out = match name {
        "schemata" => {
            use Kind::Text as T;
            let mut b = Builder::new(&[
                ("CATALOG_NAME", T),
                ("SCHEMA_NAME", T),
                ("DEFAULT_CHARACTER_SET_NAME", T),
                ("DEFAULT_COLLATION_NAME", T),
                ("SQL_PATH", T),
            ]);
            b.row(vec![s("def"), s(NAME), s("utf8"), s("utf8_general_ci"), V::N]);
            for db in &dbs {
                b.row(vec![s("def"), s(&db.name), s("utf8"), s("utf8_general_ci"), V::N]);
            }
            b.finish()?
        }
        "tables" => {
            use Kind::{Int as I, Text as T};
            let mut b = Builder::new(&[
                ("TABLE_CATALOG", T),
                ("TABLE_SCHEMA", T),
                ("TABLE_NAME", T),
                ("TABLE_TYPE", T),
                ("ENGINE", T),
                ("VERSION", I),
                ("ROW_FORMAT", T),
                ("TABLE_ROWS", I),
                ("AVG_ROW_LENGTH", I),
                ("DATA_LENGTH", I),
                ("MAX_DATA_LENGTH", I),
                ("INDEX_LENGTH", I),
                ("DATA_FREE", I),
                ("AUTO_INCREMENT", I),
                ("CREATE_TIME", T),
                ("UPDATE_TIME", T),
                ("CHECK_TIME", T),
                ("TABLE_COLLATION", T),
                ("CHECKSUM", I),
                ("CREATE_OPTIONS", T),
                ("TABLE_COMMENT", T),
            ]);
            for t in TABLES {
                b.row(vec![
                    s("def"),
                    s(NAME),
                    s(t.to_uppercase()),
                    s("SYSTEM VIEW"),
                    s("MEMORY"),
                    V::I(10),
                    s("Fixed"),
                    V::I(0),
                    V::I(0),
                    V::I(0),
                    V::I(0),
                    V::I(0),
                    V::I(0),
                    V::N,
                    V::N,
                    V::N,
                    V::N,
                    s("utf8_general_ci"),
                    V::N,
                    s(""),
                    s(""),
                ]);
            }
            for db in &dbs {
                for t in grants.visible_tables(&state, db) {
                    let (rows, size, updated) = (t.row_count(), t.data_size(), t.last_load_ms());
                    let avg = size.checked_div(rows).unwrap_or(0);
                    let created = crate::result::format_time(t.created_ms);
                    b.row(vec![
                        s("def"),
                        s(&db.name),
                        s(&t.name),
                        s("BASE TABLE"),
                        s("StarRocks"),
                        V::N,
                        s(""),
                        V::I(rows as i64),
                        V::I(avg as i64),
                        V::I(size as i64),
                        V::N,
                        V::N,
                        V::N,
                        V::N,
                        s(created),
                        s(crate::result::format_time(updated)),
                        V::N,
                        s("utf8_general_ci"),
                        V::N,
                        s(""),
                        s(&t.comment),
                    ]);
                }
            }
            b.finish()?
        }
        "columns" => {
            use Kind::{Int as I, Text as T};
            let mut b = Builder::new(&[
                ("TABLE_CATALOG", T),
                ("TABLE_SCHEMA", T),
                ("TABLE_NAME", T),
                ("COLUMN_NAME", T),
                ("ORDINAL_POSITION", I),
                ("COLUMN_DEFAULT", T),
                ("IS_NULLABLE", T),
                ("DATA_TYPE", T),
                ("CHARACTER_MAXIMUM_LENGTH", I),
                ("CHARACTER_OCTET_LENGTH", I),
                ("NUMERIC_PRECISION", I),
                ("NUMERIC_SCALE", I),
                ("DATETIME_PRECISION", I),
                ("CHARACTER_SET_NAME", T),
                ("COLLATION_NAME", T),
                ("COLUMN_TYPE", T),
                ("COLUMN_KEY", T),
                ("EXTRA", T),
                ("PRIVILEGES", T),
                ("COLUMN_COMMENT", T),
                ("COLUMN_SIZE", I),
                ("DECIMAL_DIGITS", I),
                ("GENERATION_EXPRESSION", T),
                ("SRS_ID", I),
            ]);
            for db in &dbs {
                for t in grants.visible_tables(&state, db) {
                    for (i, c) in t.columns.iter().enumerate() {
                        let (data_type, chars, precision, scale) = type_facts(&c.ty);
                        let opt = |v: Option<i64>| v.map_or(V::N, V::I);
                        let default = match &c.default {
                            Some(ColumnDefault::Value(v)) => s(v),
                            Some(ColumnDefault::CurrentTimestamp) => s("CURRENT_TIMESTAMP"),
                            None => V::N,
                        };
                        let key = match (c.is_key, t.keys_kind) {
                            (true, KeysKind::Primary) => "PRI",
                            (true, KeysKind::Duplicate) => "DUP",
                            _ => "",
                        };
                        b.row(vec![
                            s("def"),
                            s(&db.name),
                            s(&t.name),
                            s(&c.name),
                            V::I(i as i64 + 1),
                            default,
                            s(if c.nullable { "YES" } else { "NO" }),
                            s(data_type),
                            opt(chars),
                            opt(chars.map(|n| n * 4)),
                            opt(precision),
                            opt(scale),
                            V::N,
                            if chars.is_some() { s("utf8") } else { V::N },
                            if chars.is_some() {
                                s("utf8_general_ci")
                            } else {
                                V::N
                            },
                            s(c.ty.to_string()),
                            s(key),
                            s(""),
                            s("select,insert"),
                            s(&c.comment),
                            opt(chars.or(precision)),
                            opt(scale),
                            s(""),
                            V::N,
                        ]);
                    }
                }
            }
            b.finish()?
        }
        "views" => {
            use Kind::Text as T;
            let b = Builder::new(&[
                ("TABLE_CATALOG", T),
                ("TABLE_SCHEMA", T),
                ("TABLE_NAME", T),
                ("VIEW_DEFINITION", T),
                ("CHECK_OPTION", T),
                ("IS_UPDATABLE", T),
                ("DEFINER", T),
                ("SECURITY_TYPE", T),
                ("CHARACTER_SET_CLIENT", T),
                ("COLLATION_CONNECTION", T),
            ]);
            b.finish()?
        }
        _ => return Ok(None),
    };
    Ok(Some(out))
}

/// `information_schema` as a DataFusion schema.
#[derive(Debug)]
pub struct InformationSchema {
    /// The catalog the tables describe.
    pub catalog: Arc<Catalog>,
    /// The backends (`be_configs` asks them).
    pub cluster: Arc<crate::cluster::Cluster>,
    /// The privileges of the session that reads them.
    pub grants: Arc<Grants>,
}

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        TABLES.iter().map(|t| t.to_string()).collect()
    }

    async fn table(&self, name: &str) -> DfResult<Option<Arc<dyn TableProvider>>> {
        let name = name.to_ascii_lowercase();
        let built = if name == super::be_configs::TABLE {
            Some(super::be_configs::build(&self.catalog, &self.cluster, &self.grants).await?)
        } else {
            build(&self.catalog, &self.grants, &name)?
        };
        let Some((schema, batch)) = built else {
            return Ok(None);
        };
        // DataFusion folds unquoted names to lower case; expose both spellings.
        let lower = Arc::new(Schema::new(
            schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_name(f.name().to_lowercase()))
                .collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(Arc::clone(&lower), batch.columns().to_vec())?;
        let _ = DEFAULT_CATALOG;
        Ok(Some(Arc::new(MemTable::try_new(lower, vec![vec![batch]])?)))
    }

    fn table_exist(&self, name: &str) -> bool {
        TABLES.contains(&name.to_ascii_lowercase().as_str())
    }
}
