//! Source rows to the table's storage schema: cast every column to its type,
//! fill defaults, and filter rows that cannot be stored (a value that does not
//! convert, a string too long, NULL in a NOT NULL column), as StarRocks does.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int8Array, RecordBatch, StringArray, new_null_array,
};
use arrow::compute::kernels::cast::{CastOptions, cast_with_options};
use arrow::compute::{filter_record_batch, is_not_null};
use arrow::datatypes::DataType;
use catalog::{ColumnDefault, ColumnType, KeysKind, Table};

use crate::error::FeError;
use crate::query::types::{arrow_type, storage_schema};

/// Rows ready to load, and what was filtered out.
#[derive(Debug)]
pub struct Converted {
    /// Rows in the table's storage schema.
    pub batch: RecordBatch,
    /// Rows dropped because a value could not be stored.
    pub filtered: usize,
    /// Why the first filtered row was dropped.
    pub first_error: Option<String>,
}

fn internal(e: impl std::fmt::Display) -> FeError {
    FeError::Internal(e.to_string())
}

/// The value of a column's default, repeated `rows` times.
fn default_array(col: &catalog::Column, rows: usize) -> Result<ArrayRef, FeError> {
    let ty = arrow_type(&col.ty);
    let text = match &col.default {
        None if col.nullable => return Ok(new_null_array(&ty, rows)),
        None => {
            return Err(FeError::analysis(format!(
                "Column has no default value, column={}",
                col.name
            )));
        }
        Some(ColumnDefault::Value(v)) => v.clone(),
        Some(ColumnDefault::CurrentTimestamp) => chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
    };
    let strings: ArrayRef = Arc::new(StringArray::from(vec![text.as_str(); rows]));
    cast_with_options(&strings, &ty, &CastOptions::default()).map_err(|e| {
        FeError::analysis(format!(
            "Invalid default value '{text}' for column {}: {e}",
            col.name
        ))
    })
}

/// Converts `source`, whose columns are `names` (table column names, any case),
/// to the storage schema. Table columns not named get their default. `op` is
/// the `__op` of every row for PRIMARY KEY tables (0 upsert, 1 delete).
pub fn to_storage(
    table: &Table,
    names: &[String],
    source: &RecordBatch,
    op: i8,
) -> Result<Converted, FeError> {
    let rows = source.num_rows();
    let mut keep = vec![true; rows];
    let mut first_error: Option<String> = None;
    let mut note = |row: usize, why: String, keep: &mut Vec<bool>| {
        if keep[row] {
            keep[row] = false;
            if first_error.is_none() {
                first_error = Some(why);
            }
        }
    };
    let safe = CastOptions {
        safe: true,
        ..CastOptions::default()
    };
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(table.columns.len() + 1);
    for col in &table.columns {
        let ty = arrow_type(&col.ty);
        let array = match names.iter().position(|n| n.eq_ignore_ascii_case(&col.name)) {
            Some(i) => {
                let input = source.column(i);
                let cast = cast_with_options(input, &ty, &safe).map_err(|e| {
                    FeError::analysis(format!(
                        "Cannot cast column {} from {} to {}: {e}",
                        col.name,
                        input.data_type(),
                        col.ty
                    ))
                })?;
                // Logical nulls: an all-NULL column (`VALUES (1, NULL)`) is a
                // `NullArray`, whose rows are NULL without a validity buffer.
                let given = input.logical_nulls();
                for r in 0..rows {
                    if given.as_ref().is_none_or(|n| n.is_valid(r)) && cast.is_null(r) {
                        note(
                            r,
                            format!("Value for column {} cannot be converted to {}", col.name, col.ty),
                            &mut keep,
                        );
                    }
                }
                cast
            }
            None => default_array(col, rows)?,
        };
        if let (ColumnType::Varchar { len } | ColumnType::Char { len }, DataType::Utf8) =
            (&col.ty, array.data_type())
        {
            let strings = array.as_string::<i32>();
            for r in 0..rows {
                if strings.is_valid(r) && strings.value(r).len() > *len as usize {
                    note(
                        r,
                        format!("String is too long for column {} ({})", col.name, col.ty),
                        &mut keep,
                    );
                }
            }
        }
        if !col.nullable {
            for r in 0..rows {
                if array.is_null(r) {
                    note(
                        r,
                        format!("NULL value in non-nullable column {}", col.name),
                        &mut keep,
                    );
                }
            }
        }
        columns.push(array);
    }
    if table.keys_kind == KeysKind::Primary {
        columns.push(Arc::new(Int8Array::from(vec![op; rows])));
    }
    let batch = RecordBatch::try_new(storage_schema(table), columns).map_err(internal)?;
    let filtered = keep.iter().filter(|k| !**k).count();
    let batch = if filtered > 0 {
        filter_record_batch(&batch, &BooleanArray::from(keep)).map_err(internal)?
    } else {
        batch
    };
    Ok(Converted {
        batch,
        filtered,
        first_error,
    })
}

/// Rows of a PRIMARY KEY table to delete: key columns given, others NULL.
pub fn deletes(table: &Table, keys: &RecordBatch) -> Result<RecordBatch, FeError> {
    let rows = keys.num_rows();
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(table.columns.len() + 1);
    for (i, col) in table.columns.iter().enumerate() {
        let ty = arrow_type(&col.ty);
        if col.is_key {
            let cast = cast_with_options(keys.column(i), &ty, &CastOptions::default()).map_err(internal)?;
            columns.push(cast);
        } else {
            columns.push(new_null_array(&ty, rows));
        }
    }
    columns.push(Arc::new(Int8Array::from(vec![1i8; rows])));
    let batch = RecordBatch::try_new(storage_schema(table), columns).map_err(internal)?;
    // Keys are never NULL: drop any row whose key is.
    let mut mask = BooleanArray::from(vec![true; rows]);
    for (i, col) in table.columns.iter().enumerate() {
        if col.is_key {
            mask = arrow::compute::and(&mask, &is_not_null(batch.column(i)).map_err(internal)?)
                .map_err(internal)?;
        }
    }
    filter_record_batch(&batch, &mask).map_err(internal)
}
