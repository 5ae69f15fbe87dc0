//! Which tablet each row goes to.

use std::collections::BTreeMap;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{
    Date32Type, Decimal128Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
};
use catalog::{ColumnType, Distribution, KeyPart, PartitionKey, Partitioning, Table};

use super::hash;
use crate::error::FeError;

/// Rows for one tablet: (partition index, bucket) → rows.
pub type Routed = BTreeMap<(usize, usize), Vec<RecordBatch>>;

/// The partition key of row `i` of `column` (a partition column of type `ty`).
fn key_part(column: &dyn Array, ty: &ColumnType, i: usize) -> Option<KeyPart> {
    if column.is_null(i) {
        // NULL sorts first, like the type's minimum.
        return Some(KeyPart::Min);
    }
    let text = match column.data_type() {
        arrow::datatypes::DataType::Int8 => column.as_primitive::<Int8Type>().value(i).to_string(),
        arrow::datatypes::DataType::Int16 => column.as_primitive::<Int16Type>().value(i).to_string(),
        arrow::datatypes::DataType::Int32 => column.as_primitive::<Int32Type>().value(i).to_string(),
        arrow::datatypes::DataType::Int64 => column.as_primitive::<Int64Type>().value(i).to_string(),
        arrow::datatypes::DataType::Decimal128(_, 0) => {
            column.as_primitive::<Decimal128Type>().value(i).to_string()
        }
        arrow::datatypes::DataType::Date32 => {
            let days = column.as_primitive::<Date32Type>().value(i);
            chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)?
                .format("%Y-%m-%d")
                .to_string()
        }
        arrow::datatypes::DataType::Timestamp(_, _) => {
            let us = column.as_primitive::<TimestampMicrosecondType>().value(i);
            chrono::DateTime::from_timestamp_micros(us)?
                .naive_utc()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        }
        _ => return None,
    };
    KeyPart::parse(ty, &text).ok()
}

/// Splits `batch` (in the table's storage schema) by tablet. Rows that fall in
/// no partition are counted in the second value and dropped.
pub fn route(table: &Table, batch: &RecordBatch, seed: usize) -> Result<(Routed, usize), FeError> {
    let rows = batch.num_rows();
    let schema = batch.schema();
    let column = |name: &str| -> Result<ArrayRef, FeError> {
        let idx = schema
            .index_of(name)
            .map_err(|_| FeError::Internal(format!("load batch lacks column {name}")))?;
        Ok(batch.column(idx).clone())
    };
    // Partition of every row.
    let mut partition_of: Vec<Option<usize>> = vec![Some(0); rows];
    if let Partitioning::Range { columns } = &table.partitioning {
        let types = table.partition_column_types();
        let arrays: Vec<ArrayRef> = columns.iter().map(|c| column(c)).collect::<Result<_, _>>()?;
        for (i, slot) in partition_of.iter_mut().enumerate() {
            let key: Option<Vec<KeyPart>> = arrays
                .iter()
                .zip(&types)
                .map(|(a, t)| key_part(a.as_ref(), t, i))
                .collect();
            *slot = key.and_then(|k| {
                let k = PartitionKey(k);
                table
                    .partitions
                    .iter()
                    .position(|p| p.range.as_ref().is_some_and(|r| r.lower <= k && k < r.upper))
            });
        }
    }
    // Bucket of every row.
    let buckets = table.distribution.buckets();
    let bucket_of: Vec<usize> = match &table.distribution {
        Distribution::Hash { columns, .. } => {
            let arrays: Vec<ArrayRef> = columns.iter().map(|c| column(c)).collect::<Result<_, _>>()?;
            hash::hash_rows(&arrays, rows)
                .into_iter()
                .map(|h| hash::bucket(h, buckets))
                .collect()
        }
        Distribution::Random { .. } => (0..rows).map(|i| (i + seed) % buckets as usize).collect(),
    };
    let mut groups: BTreeMap<(usize, usize), Vec<u32>> = BTreeMap::new();
    let mut unrouted = 0;
    for i in 0..rows {
        match partition_of[i] {
            Some(p) => groups.entry((p, bucket_of[i])).or_default().push(i as u32),
            None => unrouted += 1,
        }
    }
    let mut out = Routed::new();
    for (target, indices) in groups {
        let taken = take_record_batch(batch, &UInt32Array::from(indices))
            .map_err(|e| FeError::Internal(e.to_string()))?;
        out.entry(target).or_default().push(taken);
    }
    Ok((out, unrouted))
}
