//! Decoded columns of rowset files, kept in memory for queries and evicted
//! least recently used first (StarRocks' BE keeps a page cache for the same
//! reason: decoding Parquet costs more than the query over the decoded rows).
//!
//! Rowset files never change once published, so an entry is right for as long
//! as its file is the same file: the key is the path together with the file's
//! inode, length and modification time.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{FieldRef, Schema};
use parking_lot::Mutex;

use crate::error::BeError;
use crate::rowset;

/// A file as it is on disk now.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileKey {
    path: PathBuf,
    inode: u64,
    len: u64,
    mtime_ns: i128,
}

type Key = (Arc<FileKey>, String);

/// One column of one file: its field and its arrays, one per batch.
struct Entry {
    field: FieldRef,
    chunks: Arc<[ArrayRef]>,
    bytes: usize,
    stamp: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Entries by last use, oldest first.
    by_use: BTreeMap<u64, Key>,
    used: usize,
    clock: u64,
}

/// The cache; capacity 0 turns it off.
pub struct ColumnCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl ColumnCache {
    /// A cache holding up to `capacity` bytes of decoded columns.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.inner.lock().used
    }

    /// The batches of `path` with `columns` (those the file has, in the given
    /// order, strings as `Utf8View`), from memory where cached and decoded
    /// (then kept) otherwise.
    /// `None` when the cache is off or the file too big for it: the caller
    /// streams the file instead.
    pub fn read(&self, path: &Path, columns: Option<&[String]>) -> Result<Option<Vec<RecordBatch>>, BeError> {
        let Some(columns) = columns else {
            return Ok(None);
        };
        let meta = std::fs::metadata(path)?;
        if self.capacity == 0 || meta.len() > (self.capacity / 4) as u64 {
            return Ok(None);
        }
        let key = Arc::new(FileKey {
            path: path.to_path_buf(),
            inode: meta.ino(),
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        });
        let mut found: HashMap<String, (FieldRef, Arc<[ArrayRef]>)> = HashMap::new();
        let mut missing: Vec<String> = Vec::new();
        {
            let mut inner = self.inner.lock();
            for c in columns {
                match inner.touch(&(Arc::clone(&key), c.clone())) {
                    Some(hit) => {
                        found.insert(c.clone(), hit);
                    }
                    None => missing.push(c.clone()),
                }
            }
        }
        if !missing.is_empty() {
            let batches = rowset::read(path, Some(&missing))?
                .into_iter()
                .map(rowset::with_string_views)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| BeError::CorruptMeta {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
            let mut inner = self.inner.lock();
            for c in &missing {
                let field = batches
                    .first()
                    .and_then(|b| b.schema().field_with_name(c).ok().map(|f| Arc::new(f.clone())));
                let Some(field) = field else {
                    continue; // Not in this file (or the file has no rows).
                };
                let chunks: Arc<[ArrayRef]> = batches
                    .iter()
                    .filter_map(|b| b.column_by_name(c).cloned())
                    .collect();
                inner.insert(
                    self.capacity,
                    (Arc::clone(&key), c.clone()),
                    Arc::clone(&field),
                    Arc::clone(&chunks),
                );
                found.insert(c.clone(), (field, chunks));
            }
        }
        match assemble(columns, &found) {
            Some(batches) => Ok(Some(batches)),
            None => Ok(Some(read_views(path, columns)?)),
        }
    }
}

/// The file's `columns`, strings as views, without the cache.
fn read_views(path: &Path, columns: &[String]) -> Result<Vec<RecordBatch>, BeError> {
    rowset::read(path, Some(columns))?
        .into_iter()
        .map(|b| {
            rowset::with_string_views(b).map_err(|e| BeError::CorruptMeta {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        })
        .collect()
}

impl Inner {
    fn touch(&mut self, key: &Key) -> Option<(FieldRef, Arc<[ArrayRef]>)> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.entries.get_mut(key)?;
        self.by_use.remove(&entry.stamp);
        entry.stamp = clock;
        self.by_use.insert(clock, key.clone());
        Some((Arc::clone(&entry.field), Arc::clone(&entry.chunks)))
    }

    fn insert(&mut self, capacity: usize, key: Key, field: FieldRef, chunks: Arc<[ArrayRef]>) {
        let bytes: usize = chunks.iter().map(|a| a.get_array_memory_size()).sum();
        if bytes > capacity {
            return;
        }
        if let Some(old) = self.entries.remove(&key) {
            self.by_use.remove(&old.stamp);
            self.used -= old.bytes;
        }
        while self.used + bytes > capacity {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some(old) = self.entries.remove(&oldest) {
                self.used -= old.bytes;
            }
        }
        self.clock += 1;
        self.by_use.insert(self.clock, key.clone());
        self.used += bytes;
        self.entries.insert(
            key,
            Entry {
                field,
                chunks,
                bytes,
                stamp: self.clock,
            },
        );
    }
}

/// Batches of the found columns, in `columns` order; `None` if their chunks
/// do not line up (the caller then reads the file again).
fn assemble(
    columns: &[String],
    found: &HashMap<String, (FieldRef, Arc<[ArrayRef]>)>,
) -> Option<Vec<RecordBatch>> {
    let present: Vec<&(FieldRef, Arc<[ArrayRef]>)> = columns.iter().filter_map(|c| found.get(c)).collect();
    let Some(first) = present.first() else {
        return Some(Vec::new());
    };
    let n = first.1.len();
    if present.iter().any(|(_, chunks)| chunks.len() != n) {
        return None;
    }
    let schema = Arc::new(Schema::new(
        present.iter().map(|(f, _)| Arc::clone(f)).collect::<Vec<_>>(),
    ));
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let rows = first.1[i].len();
        let arrays: Vec<ArrayRef> = present.iter().map(|(_, chunks)| Arc::clone(&chunks[i])).collect();
        if arrays.iter().any(|a| a.len() != rows) {
            return None;
        }
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        out.push(RecordBatch::try_new_with_options(Arc::clone(&schema), arrays, &options).ok()?);
    }
    Some(out)
}

/// Bytes meant by a `storage_page_cache_limit` value: a byte count with an
/// optional `K`, `M`, `G` or `T` suffix (powers of 1024), or a percentage of
/// physical memory.
pub fn capacity(value: &str) -> Result<usize, BeError> {
    let bad = || BeError::BadConfig {
        key: "storage_page_cache_limit",
        value: value.to_string(),
        reason: "expected bytes (e.g. 2147483648, 2G, 512M) or a percentage of memory (e.g. 20%)",
    };
    let v = value.trim();
    if let Some(percent) = v.strip_suffix('%') {
        let p: f64 = percent.trim().parse().map_err(|_| bad())?;
        if !(0.0..=100.0).contains(&p) {
            return Err(bad());
        }
        return Ok((physical_memory() as f64 * p / 100.0) as usize);
    }
    let (digits, unit) = match v.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&v[..i], c.to_ascii_uppercase()),
        _ => (v, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        'T' => 40,
        _ => return Err(bad()),
    };
    let n: usize = digits.trim().parse().map_err(|_| bad())?;
    n.checked_mul(1usize << shift).ok_or_else(bad)
}

fn physical_memory() -> usize {
    // SAFETY: sysconf only reads system constants.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || page <= 0 {
        return 0;
    }
    (pages as usize).saturating_mul(page as usize)
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};

    use super::*;

    fn write_file(dir: &Path, name: &str, rows: i64) -> PathBuf {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Utf8, true),
        ]));
        let a: Vec<i64> = (0..rows).collect();
        let b: Vec<String> = (0..rows).map(|i| format!("row {i}")).collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(Int64Array::from(a)), Arc::new(StringArray::from(b))],
        )
        .expect("batch");
        let path = dir.join(name);
        rowset::write(&path, schema, &[batch]).expect("write");
        path
    }

    fn names(batches: &[RecordBatch]) -> Vec<String> {
        batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    #[test]
    fn cached_reads_equal_file_reads_in_any_column_order() {
        let dir = tempfile::tempdir().expect("dir");
        let path = write_file(dir.path(), "v2_1_0.parquet", 20_000);
        let cache = ColumnCache::new(64 << 20);
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();

        let first = cache
            .read(&path, Some(&cols(&["b"])))
            .expect("read")
            .expect("cached");
        assert_eq!(names(&first), ["b"]);
        let filled = cache.used();
        assert!(filled > 0);
        // "b" now comes from memory, "a" from the file; order as asked.
        let both = cache
            .read(&path, Some(&cols(&["b", "a"])))
            .expect("read")
            .expect("cached");
        assert_eq!(names(&both), ["b", "a"]);
        assert!(cache.used() > filled);
        let from_file = rowset::read(&path, None).expect("file");
        let rows = |bs: &[RecordBatch]| bs.iter().map(|b| b.num_rows()).sum::<usize>();
        assert_eq!(rows(&both), 20_000);
        assert_eq!(
            arrow::compute::concat_batches(&from_file[0].schema(), &from_file)
                .expect("concat")
                .column(0)
                .as_ref(),
            arrow::compute::concat(&both.iter().map(|b| b.column(1).as_ref()).collect::<Vec<_>>())
                .expect("concat")
                .as_ref()
        );
        // A column the file lacks is left out, as when reading the file.
        let partial = cache
            .read(&path, Some(&cols(&["zz", "a"])))
            .expect("read")
            .expect("cached");
        assert_eq!(names(&partial), ["a"]);

        // A new file at the same path is a different entry.
        std::fs::remove_file(&path).expect("rm");
        let path = write_file(dir.path(), "v2_1_0.parquet", 5);
        let again = cache
            .read(&path, Some(&cols(&["a"])))
            .expect("read")
            .expect("cached");
        assert_eq!(rows(&again), 5);
    }

    #[test]
    fn eviction_keeps_the_cache_within_capacity_and_off_means_off() {
        let dir = tempfile::tempdir().expect("dir");
        let files: Vec<PathBuf> = (0..4)
            .map(|i| write_file(dir.path(), &format!("f{i}"), 10_000))
            .collect();
        let both = ["a".to_string(), "b".to_string()];
        let one = ColumnCache::new(usize::MAX >> 1);
        one.read(&files[0], Some(&both)).expect("read");
        let per_file = one.used();

        let cache = ColumnCache::new(per_file * 2 + per_file / 2);
        for f in &files {
            cache.read(f, Some(&both)).expect("read").expect("cached");
            assert!(cache.used() <= per_file * 2 + per_file / 2);
        }
        assert_eq!(cache.used(), per_file * 2);

        let off = ColumnCache::new(0);
        assert!(
            off.read(&files[0], Some(&["b".to_string()]))
                .expect("read")
                .is_none()
        );
        assert!(cache.read(&files[0], None).expect("read").is_none());
    }

    #[test]
    fn capacity_values() {
        assert_eq!(capacity("0").expect("0"), 0);
        assert_eq!(capacity("512M").expect("M"), 512 << 20);
        assert_eq!(capacity("2g").expect("g"), 2 << 30);
        assert_eq!(capacity("1234").expect("n"), 1234);
        let fifth = capacity("20%").expect("%");
        assert!(fifth > 0 && fifth < physical_memory());
        for bad in ["", "x", "12Q", "-1", "101%", "G"] {
            let err = capacity(bad).expect_err(bad).to_string();
            assert!(err.contains("storage_page_cache_limit"), "{err}");
        }
    }
}
