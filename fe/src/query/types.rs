//! Column types as Arrow types, and table schemas as Arrow schemas.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use catalog::{ColumnType, KeysKind, Table};

/// The Arrow type a column is stored and computed as.
pub fn arrow_type(ty: &ColumnType) -> DataType {
    match ty {
        ColumnType::Boolean => DataType::Boolean,
        ColumnType::TinyInt => DataType::Int8,
        ColumnType::SmallInt => DataType::Int16,
        ColumnType::Int => DataType::Int32,
        ColumnType::BigInt => DataType::Int64,
        ColumnType::LargeInt => DataType::Decimal128(38, 0),
        ColumnType::Float => DataType::Float32,
        ColumnType::Double => DataType::Float64,
        ColumnType::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale as i8),
        ColumnType::Char { .. } | ColumnType::Varchar { .. } | ColumnType::Json => DataType::Utf8,
        ColumnType::Date => DataType::Date32,
        ColumnType::DateTime => DataType::Timestamp(TimeUnit::Microsecond, None),
    }
}

/// The Arrow type queries compute a column as: the stored type, except that
/// strings are views (`Utf8View`), which DataFusion groups, compares and
/// filters without touching the bytes of short strings. BEs send strings as
/// views.
pub fn query_type(ty: &ColumnType) -> DataType {
    match arrow_type(ty) {
        DataType::Utf8 => DataType::Utf8View,
        other => other,
    }
}

/// The schema queries see. Fields are nullable whatever the column says: the
/// storage layer writes PRIMARY KEY deletes as rows of NULLs plus `__op`.
pub fn table_schema(table: &Table) -> SchemaRef {
    Arc::new(Schema::new(
        table
            .columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(&c.ty), true))
            .collect::<Vec<_>>(),
    ))
}

/// The schema DataFusion plans with: like [`table_schema`] but with lower-case
/// names, because DataFusion folds unquoted identifiers to lower case while
/// StarRocks resolves column names case-insensitively.
pub fn query_schema(table: &Table) -> SchemaRef {
    Arc::new(Schema::new(
        table
            .columns
            .iter()
            .map(|c| Field::new(c.name.to_lowercase(), query_type(&c.ty), true))
            .collect::<Vec<_>>(),
    ))
}

/// The schema of rowset files: the table schema, plus `__op` for PRIMARY KEY tables.
pub fn storage_schema(table: &Table) -> SchemaRef {
    let mut fields: Vec<Field> = table_schema(table)
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    if table.keys_kind == KeysKind::Primary {
        fields.push(Field::new(rpc::OP_COLUMN, DataType::Int8, true));
    }
    Arc::new(Schema::new(fields))
}
