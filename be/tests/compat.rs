//! Tablet metadata written by older BEs still loads, and new loads work on it.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use be::storage::TabletStore;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn format_1_tablet_meta_loads_and_accepts_new_rowsets() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
            .join("tests/compat/v1"),
        dir.path(),
    );
    let store = TabletStore::open(dir.path().to_path_buf()).unwrap();
    let meta = store.meta(20001).unwrap().unwrap();
    assert_eq!(meta.format_version, 1);
    assert_eq!(meta.schema_hash, 777);
    assert!(meta.rowsets.is_empty(), "format 1 had no rowsets");

    // Publishing a transaction with no parts adds an empty rowset and
    // rewrites the meta in the current format.
    let (rows, bytes) = store.publish(20001, 9, 2).unwrap();
    assert_eq!((rows, bytes), (0, 0));
    let meta = store.meta(20001).unwrap().unwrap();
    assert_eq!(meta.format_version, be::storage::TABLET_META_VERSION);
    assert_eq!(meta.version, 2);
    assert_eq!(meta.rowsets.len(), 1);
    // Publishing again is a no-op.
    store.publish(20001, 9, 2).unwrap();
    assert_eq!(store.meta(20001).unwrap().unwrap().rowsets.len(), 1);
}
