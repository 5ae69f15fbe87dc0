//! Rowset files: immutable Parquet files holding one load's rows for a tablet.

use std::fs::File;
use std::path::Path;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::BeError;

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> BeError {
    BeError::CorruptMeta {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `batches` as one Parquet file, atomically (temp file, fsync, rename).
/// Returns (rows, bytes on disk).
pub fn write(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<(u64, u64), BeError> {
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| parquet_err(path, e))?;
    let mut rows = 0u64;
    for batch in batches {
        rows += batch.num_rows() as u64;
        writer.write(batch).map_err(|e| parquet_err(path, e))?;
    }
    let file = writer.into_inner().map_err(|e| parquet_err(path, e))?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    let bytes = std::fs::metadata(path)?.len();
    Ok((rows, bytes))
}

/// Opens a rowset file for reading, keeping only `columns` (by name) when
/// given. Columns the file does not have are skipped; the caller fills them.
pub fn open(
    path: &Path,
    columns: Option<&[String]>,
) -> Result<impl Iterator<Item = Result<RecordBatch, BeError>> + use<>, BeError> {
    let file = File::open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_err(path, e))?;
    let builder = match columns {
        Some(names) => {
            let schema = builder.schema().clone();
            let roots: Vec<usize> = names.iter().filter_map(|n| schema.index_of(n).ok()).collect();
            let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
            builder.with_projection(mask)
        }
        None => builder,
    };
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| parquet_err(path, e))?;
    let path = path.to_path_buf();
    Ok(reader.map(move |b| b.map_err(|e| parquet_err(&path, e))))
}

/// Reads a whole rowset file (see [`open`]).
pub fn read(path: &Path, columns: Option<&[String]>) -> Result<Vec<RecordBatch>, BeError> {
    open(path, columns)?.collect()
}

/// `batch` with its `Utf8` columns as `Utf8View`, the string type queries
/// compute with (see the FE's `query::types::query_type`).
pub fn with_string_views(batch: RecordBatch) -> Result<RecordBatch, arrow::error::ArrowError> {
    use arrow::datatypes::{DataType, Field, Schema};
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| f.data_type() == &DataType::Utf8)
    {
        return Ok(batch);
    }
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if field.data_type() == &DataType::Utf8 {
            fields.push(Field::new(field.name(), DataType::Utf8View, field.is_nullable()));
            columns.push(arrow::compute::cast(column, &DataType::Utf8View)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(std::sync::Arc::clone(column));
        }
    }
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(std::sync::Arc::new(Schema::new(fields)), columns, &options)
}
