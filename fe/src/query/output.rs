//! Arrow results as MySQL rows.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Int8Type, Int16Type, Int32Type, Int64Type, SchemaRef, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::error::FeError;
use datafusion::physical_plan::SendableRecordBatchStream;

use crate::result::{ColType, Column, ResultSet, RowBatch, RowStream, Value};

fn col_type(dt: &DataType) -> ColType {
    match dt {
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 | DataType::Boolean => {
            ColType::BigInt
        }
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => ColType::UBigInt,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => ColType::Double,
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => ColType::Decimal,
        DataType::Date32 | DataType::Date64 => ColType::Date,
        DataType::Timestamp(_, _) => ColType::DateTime,
        _ => ColType::Text,
    }
}

/// The result columns of a query's schema.
pub fn columns(schema: &SchemaRef) -> Vec<Column> {
    schema
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            ty: col_type(f.data_type()),
        })
        .collect()
}

/// The rows of one batch as cells.
pub fn batch_rows(batch: &RecordBatch) -> Result<RowBatch, FeError> {
    let options = FormatOptions::new()
        .with_null("NULL")
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S"))
        .with_datetime_format(Some("%Y-%m-%d %H:%M:%S"));
    let mut cols: Vec<Vec<Value>> = Vec::with_capacity(batch.num_columns());
    for array in batch.columns() {
        let a = array.as_ref();
        let mut values = Vec::with_capacity(a.len());
        macro_rules! ints {
            ($t:ty, $v:ident) => {{
                let p = a.as_primitive::<$t>();
                for i in 0..a.len() {
                    values.push(if p.is_null(i) {
                        Value::Null
                    } else {
                        Value::$v(p.value(i).into())
                    });
                }
            }};
        }
        match a.data_type() {
            DataType::Int8 => ints!(Int8Type, Int),
            DataType::Int16 => ints!(Int16Type, Int),
            DataType::Int32 => ints!(Int32Type, Int),
            DataType::Int64 => ints!(Int64Type, Int),
            DataType::UInt8 => ints!(UInt8Type, UInt),
            DataType::UInt16 => ints!(UInt16Type, UInt),
            DataType::UInt32 => ints!(UInt32Type, UInt),
            DataType::UInt64 => ints!(UInt64Type, UInt),
            DataType::Boolean => {
                let b = a.as_boolean();
                for i in 0..a.len() {
                    values.push(if b.is_null(i) {
                        Value::Null
                    } else {
                        Value::Int(i64::from(b.value(i)))
                    });
                }
            }
            _ => {
                let fmt =
                    ArrayFormatter::try_new(a, &options).map_err(|e| FeError::Internal(e.to_string()))?;
                for i in 0..a.len() {
                    values.push(if a.is_null(i) {
                        Value::Null
                    } else {
                        Value::Text(fmt.value(i).to_string())
                    });
                }
            }
        }
        cols.push(values);
    }
    let mut rows = Vec::with_capacity(batch.num_rows());
    for r in 0..batch.num_rows() {
        rows.push(cols.iter().map(|c| c[r].clone()).collect());
    }
    Ok(rows)
}

/// Converts query batches to a result set.
pub fn to_result_set(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<ResultSet, FeError> {
    let mut rows = Vec::new();
    for batch in batches {
        rows.extend(batch_rows(batch)?);
    }
    Ok(ResultSet {
        columns: columns(schema),
        rows,
    })
}

/// A query's record batches as a result set sent while it is computed.
pub fn to_row_stream(schema: &SchemaRef, batches: SendableRecordBatchStream) -> RowStream {
    use futures::StreamExt;
    RowStream {
        columns: columns(schema),
        batches: Box::pin(batches.map(|batch| {
            let batch = batch.map_err(super::engine::df_error)?;
            batch_rows(&batch)
        })),
    }
}
