//! Reading a tablet at a version: every published rowset up to it, merged by
//! primary key for PRIMARY KEY tables, strings as `Utf8View`.

use std::collections::HashMap;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions, Scalar, StringArray};
use arrow::compute::kernels::cmp;
use arrow::compute::{and, cast, filter_record_batch, interleave};
use arrow::datatypes::{Int8Type, Schema};
use arrow::row::{RowConverter, SortField};
use rpc::{OP_COLUMN, ScanFilter, ScanTicket};

use crate::error::BeError;
use crate::rowset;
use crate::storage::TabletStore;

fn arrow_err(tablet_id: u64) -> impl Fn(arrow::error::ArrowError) -> BeError {
    move |e| BeError::BadData {
        tablet_id,
        reason: e.to_string(),
    }
}

/// Keeps the rows of `batch` that pass every filter (NULL never passes).
fn apply_filters(batch: RecordBatch, filters: &[ScanFilter], tablet_id: u64) -> Result<RecordBatch, BeError> {
    if filters.is_empty() || batch.num_rows() == 0 {
        return Ok(batch);
    }
    let err = arrow_err(tablet_id);
    let mut mask: Option<arrow::array::BooleanArray> = None;
    for f in filters {
        let Ok(idx) = batch.schema().index_of(&f.column) else {
            continue;
        };
        let column = batch.column(idx);
        let literal: ArrayRef = Arc::new(StringArray::from(vec![f.value.as_str()]));
        let Ok(literal) = cast(&literal, column.data_type()) else {
            // A literal the column type cannot hold: leave the filter to the FE.
            continue;
        };
        if literal.is_null(0) {
            continue;
        }
        let scalar = Scalar::new(literal);
        let m = match f.op.as_str() {
            "=" => cmp::eq(column, &scalar),
            "!=" => cmp::neq(column, &scalar),
            "<" => cmp::lt(column, &scalar),
            "<=" => cmp::lt_eq(column, &scalar),
            ">" => cmp::gt(column, &scalar),
            ">=" => cmp::gt_eq(column, &scalar),
            _ => continue,
        }
        .map_err(&err)?;
        mask = Some(match mask {
            None => m,
            Some(prev) => and(&prev, &m).map_err(&err)?,
        });
    }
    match mask {
        Some(m) => filter_record_batch(&batch, &m).map_err(err),
        None => Ok(batch),
    }
}

impl TabletStore {
    /// The rows of a tablet visible at `ticket.version`, passing its filters,
    /// handed to `sink` batch by batch; `sink` returns false to stop early.
    pub fn scan_into(
        &self,
        ticket: &ScanTicket,
        mut sink: impl FnMut(RecordBatch) -> bool,
    ) -> Result<(), BeError> {
        let tablet_id = ticket.tablet_id;
        let dir = self.schema_dir(tablet_id)?;
        let meta = self.meta(tablet_id)?.ok_or(BeError::TabletNotFound(tablet_id))?;
        let mut files = Vec::new();
        for r in meta.rowsets.iter().filter(|r| r.version <= ticket.version) {
            files.extend(r.files.iter().map(|f| dir.join(f)));
        }
        let mut read_cols: Option<Vec<String>> = ticket.columns.clone();
        if let Some(cols) = &mut read_cols {
            for f in &ticket.filters {
                if !cols.contains(&f.column) {
                    cols.push(f.column.clone());
                }
            }
        }
        let output = |batch: RecordBatch| -> Result<RecordBatch, BeError> {
            let batch = apply_filters(batch, &ticket.filters, tablet_id)?;
            match &ticket.columns {
                Some(cols) => project(&batch, cols, tablet_id),
                None => {
                    let keep: Vec<String> = batch
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| f.name().clone())
                        .filter(|n| n != OP_COLUMN)
                        .collect();
                    project(&batch, &keep, tablet_id)
                }
            }
        };
        match &ticket.primary_key {
            None => {
                for f in files {
                    let batches: Box<dyn Iterator<Item = Result<RecordBatch, BeError>>> =
                        match self.columns.read(&f, read_cols.as_deref())? {
                            Some(cached) => Box::new(cached.into_iter().map(Ok)),
                            None => Box::new(rowset::open(&f, read_cols.as_deref())?.map(move |b| {
                                b.and_then(|b| rowset::with_string_views(b).map_err(arrow_err(tablet_id)))
                            })),
                        };
                    for batch in batches {
                        let out = output(batch?)?;
                        if out.num_rows() > 0 && !sink(out) {
                            return Ok(());
                        }
                    }
                }
                Ok(())
            }
            Some(keys) => {
                let merge_cols = read_cols.map(|cols| {
                    let mut all: Vec<String> = keys.clone();
                    all.extend(cols.into_iter().filter(|c| !keys.contains(c)));
                    all.push(OP_COLUMN.to_string());
                    all
                });
                let mut batches = Vec::new();
                for f in files {
                    match self.columns.read(&f, merge_cols.as_deref())? {
                        Some(cached) => batches.extend(cached),
                        None => {
                            for b in rowset::read(&f, merge_cols.as_deref())? {
                                batches.push(rowset::with_string_views(b).map_err(arrow_err(tablet_id))?);
                            }
                        }
                    }
                }
                if let Some(batch) = merge_by_key(&batches, keys, tablet_id)? {
                    sink(output(batch)?);
                }
                Ok(())
            }
        }
    }

    /// The rows of a tablet visible at `ticket.version`, collected.
    pub fn scan(&self, ticket: &ScanTicket) -> Result<Vec<RecordBatch>, BeError> {
        let mut out = Vec::new();
        self.scan_into(ticket, |b| {
            out.push(b);
            true
        })?;
        Ok(out)
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
    let out_schema = Arc::new(Schema::new(schema.fields().clone()));
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
