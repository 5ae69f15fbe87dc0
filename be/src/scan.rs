//! Reading a tablet at a version: every published rowset up to it, merged by
//! primary key for PRIMARY KEY tables.

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions};
use arrow::compute::interleave;
use arrow::datatypes::{Int8Type, Schema};
use arrow::row::{RowConverter, SortField};
use rpc::{OP_COLUMN, ScanTicket};

use crate::error::BeError;
use crate::rowset;
use crate::storage::TabletStore;

fn arrow_err(tablet_id: u64) -> impl Fn(arrow::error::ArrowError) -> BeError {
    move |e| BeError::BadData {
        tablet_id,
        reason: e.to_string(),
    }
}

impl TabletStore {
    /// The rows of a tablet visible at `ticket.version`.
    pub fn scan(&self, ticket: &ScanTicket) -> Result<Vec<RecordBatch>, BeError> {
        let tablet_id = ticket.tablet_id;
        let dir = self.schema_dir(tablet_id)?;
        let meta = self.meta(tablet_id)?.ok_or(BeError::TabletNotFound(tablet_id))?;
        let mut files = Vec::new();
        for r in meta.rowsets.iter().filter(|r| r.version <= ticket.version) {
            files.extend(r.files.iter().map(|f| dir.join(f)));
        }
        match &ticket.primary_key {
            None => {
                let mut out = Vec::new();
                for f in files {
                    out.extend(rowset::read(&f, ticket.columns.as_deref())?);
                }
                Ok(out)
            }
            Some(keys) => {
                let read_cols = ticket.columns.as_ref().map(|cols| {
                    let mut all: Vec<String> = keys.clone();
                    all.extend(cols.iter().filter(|c| !keys.contains(c)).cloned());
                    all.push(OP_COLUMN.to_string());
                    all
                });
                let mut batches = Vec::new();
                for f in files {
                    batches.extend(rowset::read(&f, read_cols.as_deref())?);
                }
                let merged = merge_by_key(&batches, keys, tablet_id)?;
                match (&ticket.columns, merged) {
                    (Some(cols), Some(batch)) => Ok(vec![project(&batch, cols, tablet_id)?]),
                    (None, Some(batch)) => {
                        let keep: Vec<String> = batch
                            .schema()
                            .fields()
                            .iter()
                            .map(|f| f.name().clone())
                            .filter(|n| n != OP_COLUMN)
                            .collect();
                        Ok(vec![project(&batch, &keep, tablet_id)?])
                    }
                    (_, None) => Ok(Vec::new()),
                }
            }
        }
    }
}

fn project(batch: &RecordBatch, columns: &[String], tablet_id: u64) -> Result<RecordBatch, BeError> {
    let schema = batch.schema();
    let mut indices = Vec::with_capacity(columns.len());
    for c in columns {
        indices.push(schema.index_of(c).map_err(arrow_err(tablet_id))?);
    }
    batch.project(&indices).map_err(arrow_err(tablet_id))
}

/// Keeps, for every key, the row of the latest load; drops keys whose latest
/// row is a delete (`__op` = 1). Batches are in load order.
fn merge_by_key(
    batches: &[RecordBatch],
    keys: &[String],
    tablet_id: u64,
) -> Result<Option<RecordBatch>, BeError> {
    let Some(first) = batches.first() else {
        return Ok(None);
    };
    let schema = first.schema();
    let key_idx: Vec<usize> = keys
        .iter()
        .map(|k| schema.index_of(k))
        .collect::<Result<_, _>>()
        .map_err(arrow_err(tablet_id))?;
    let fields: Vec<SortField> = key_idx
        .iter()
        .map(|i| SortField::new(schema.field(*i).data_type().clone()))
        .collect();
    let converter = RowConverter::new(fields).map_err(arrow_err(tablet_id))?;
    let mut latest: HashMap<Vec<u8>, (usize, usize)> = HashMap::new();
    let mut deleted: Vec<Vec<bool>> = Vec::with_capacity(batches.len());
    for (b, batch) in batches.iter().enumerate() {
        let key_cols: Vec<ArrayRef> = key_idx.iter().map(|i| batch.column(*i).clone()).collect();
        let rows = converter
            .convert_columns(&key_cols)
            .map_err(arrow_err(tablet_id))?;
        let ops = batch
            .column_by_name(OP_COLUMN)
            .and_then(|c| c.as_primitive_opt::<Int8Type>().cloned());
        let mut del = Vec::with_capacity(batch.num_rows());
        for r in 0..batch.num_rows() {
            latest.insert(rows.row(r).as_ref().to_vec(), (b, r));
            del.push(ops.as_ref().is_some_and(|o| o.is_valid(r) && o.value(r) == 1));
        }
        deleted.push(del);
    }
    let mut winners: Vec<(usize, usize)> = latest.into_values().filter(|(b, r)| !deleted[*b][*r]).collect();
    winners.sort_unstable();
    let out_schema = std::sync::Arc::new(Schema::new(schema.fields().clone()));
    let mut columns = Vec::with_capacity(schema.fields().len());
    for c in 0..schema.fields().len() {
        let arrays: Vec<&dyn Array> = batches.iter().map(|b| b.column(c).as_ref()).collect();
        columns.push(interleave(&arrays, &winners).map_err(arrow_err(tablet_id))?);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(winners.len()));
    RecordBatch::try_new_with_options(out_schema, columns, &options)
        .map(Some)
        .map_err(arrow_err(tablet_id))
}
