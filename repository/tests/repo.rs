//! The repository layout and transfer protocol against a `file://` location.

use std::collections::BTreeMap;

use repository::{JobInfo, RepoError, Repository, TabletPath, layout};

async fn open(dir: &std::path::Path, name: &str) -> Repository {
    let location = format!("file://{}/", dir.display());
    Repository::open(name, &location, &BTreeMap::new())
        .await
        .expect("opens")
}

#[tokio::test]
async fn init_writes_repo_info_and_a_second_open_adopts_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = open(dir.path(), "r1").await;
    assert_eq!(
        repo.init("2026-01-02 03:04:05").await.expect("init"),
        "2026-01-02 03:04:05"
    );
    let info =
        std::fs::read_to_string(dir.path().join("__starrocks_repository_r1/__repo_info")).expect("file");
    assert!(info.contains("\"name\":\"r1\""), "{info}");
    let again = open(dir.path(), "r1").await;
    assert_eq!(
        again.init("2030-01-01 00:00:00").await.expect("adopt"),
        "2026-01-02 03:04:05"
    );
    again.ping().await.expect("reachable");
}

#[tokio::test]
async fn legacy_palo_directories_are_adopted() {
    let dir = tempfile::tempdir().expect("tmp");
    let legacy = dir.path().join("__palo_repository_old");
    std::fs::create_dir_all(&legacy).expect("mkdir");
    std::fs::write(
        legacy.join("__repo_info"),
        r#"{"name":"old","create_time":"2020-01-01 00:00:00"}"#,
    )
    .expect("write");
    let repo = open(dir.path(), "old").await;
    assert_eq!(
        repo.init("2026-01-01 00:00:00").await.expect("adopt"),
        "2020-01-01 00:00:00"
    );
    assert!(repo.display("x").ends_with("/__palo_repository_old/x"));
}

#[tokio::test]
async fn checksummed_files_round_trip_and_detect_corruption() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = open(dir.path(), "r").await;
    repo.init("2026-01-02 03:04:05").await.expect("init");
    repo.write_checksummed("__ss_s1/__meta", b"hello".to_vec())
        .await
        .expect("write");
    repo.write_checksummed("__ss_s1/__meta", b"hello again".to_vec())
        .await
        .expect("rewrite");
    let names: Vec<String> = repo
        .list_dir("__ss_s1")
        .await
        .expect("list")
        .files
        .into_iter()
        .map(|f| f.stored_name)
        .collect();
    assert_eq!(
        names,
        vec![format!(
            "__meta.{}",
            repository::transfer::md5_hex(b"hello again")
        )]
    );
    assert_eq!(
        &repo.read_checksummed("__ss_s1/__meta").await.expect("read")[..],
        b"hello again"
    );
    assert_eq!(repo.list_snapshots().await.expect("list"), vec!["s1"]);

    let stored = dir
        .path()
        .join("__starrocks_repository_r")
        .join("__ss_s1")
        .join(&names[0]);
    std::fs::write(&stored, b"tampered").expect("tamper");
    let err = repo
        .read_checksummed("__ss_s1/__meta")
        .await
        .expect_err("corrupt");
    assert!(matches!(err, RepoError::BadChecksum { .. }), "{err}");
    assert!(err.is_bad_file());

    let err = repo
        .read_checksummed("__ss_s1/__info_x")
        .await
        .expect_err("absent");
    assert_eq!(
        err.to_string(),
        format!(
            "Expected one file with path: file://{}/__starrocks_repository_r/__ss_s1/__info_x. get: 0",
            dir.path().display()
        )
    );
}

#[tokio::test]
async fn job_info_is_listed_by_timestamp() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = open(dir.path(), "r").await;
    repo.init("2026-01-02 03:04:05").await.expect("init");
    let info = JobInfo {
        name: "s1".into(),
        database: "db".into(),
        id: 7,
        backup_time: 1,
        meta_version: repository::info::META_VERSION,
        starrocks_meta_version: repository::info::STARROCKS_META_VERSION,
        backup_result: "succeed".into(),
        backup_objects: BTreeMap::new(),
        cluster_id: Some(42),
        starling_info_version: 1,
    };
    repo.write_job_info(&info, "2026-01-02-03-04-05-006")
        .await
        .expect("write");
    let files = repo.list_info_files("s1").await.expect("list");
    assert_eq!(files[0].timestamp.as_deref(), Some("2026-01-02-03-04-05-006"));
    assert_eq!(
        repo.read_job_info("s1", "2026-01-02-03-04-05-006")
            .await
            .expect("read"),
        info
    );
    repo.delete_snapshot("s1").await.expect("delete");
    assert!(repo.list_snapshots().await.expect("list").is_empty());
}

#[tokio::test]
async fn tablet_files_upload_skip_identical_and_download_verified() {
    let dir = tempfile::tempdir().expect("tmp");
    let local = tempfile::tempdir().expect("tmp");
    let repo = open(dir.path(), "r").await;
    repo.init("2026-01-02 03:04:05").await.expect("init");
    // One file above the streaming chunk size, one below.
    let big: Vec<u8> = (0..repository::transfer::CHUNK + 12345)
        .map(|i| (i % 251) as u8)
        .collect();
    std::fs::write(local.path().join("v2_5_0.parquet"), &big).expect("write");
    std::fs::write(local.path().join("meta.json"), b"{}").expect("write");
    let rel = TabletPath {
        db_id: 1,
        table_id: 2,
        partition_id: 3,
        index_id: 4,
        tablet_id: 5,
    }
    .dir("s1");
    for name in ["v2_5_0.parquet", "meta.json"] {
        let up = repo
            .upload_file(&local.path().join(name), &rel, name, None, None, None)
            .await
            .expect("upload");
        assert!(up.transferred);
        // A file:// repository is written directly: the stored file is where
        // the upload says, with the same bytes, and no `.part` is left.
        let written = up.local_path.expect("a local repository");
        assert_eq!(
            written.file_name().and_then(|n| n.to_str()),
            Some(up.stored_name.as_str())
        );
        assert_eq!(
            std::fs::read(&written).expect("read"),
            std::fs::read(local.path().join(name)).expect("read")
        );
    }
    let on_disk: Vec<String> = std::fs::read_dir(dir.path().join("__starrocks_repository_r").join(&rel))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(on_disk.iter().all(|n| !n.ends_with(".part")), "{on_disk:?}");
    let listing = repo.list_dir(&rel).await.expect("list");
    assert_eq!(listing.files.len(), 2, "{listing:?}");
    let big_remote = listing
        .files
        .iter()
        .find(|f| f.name == "v2_5_0.parquet")
        .expect("listed");
    assert_eq!(
        big_remote.md5.as_deref(),
        Some(repository::transfer::md5_hex(&big).as_str())
    );
    let again = repo
        .upload_file(
            &local.path().join("v2_5_0.parquet"),
            &rel,
            "v2_5_0.parquet",
            Some(big_remote),
            None,
            None,
        )
        .await
        .expect("skip");
    assert!(!again.transferred);

    let out = tempfile::tempdir().expect("tmp");
    // The counter hears of every chunk written, several for a big file.
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let counter: repository::transfer::ByteCounter = {
        let heard = std::sync::Arc::clone(&heard);
        std::sync::Arc::new(move |n| heard.lock().expect("lock").push(n))
    };
    let size = repo
        .download_file(&rel, &big_remote.stored_name, out.path(), None, Some(&counter))
        .await
        .expect("download");
    assert_eq!(size as usize, big.len());
    let chunks = heard.lock().expect("lock").clone();
    assert_eq!(chunks.iter().sum::<u64>(), size);
    assert!(chunks.len() > 1, "{chunks:?}");
    assert_eq!(
        std::fs::read(out.path().join("v2_5_0.parquet")).expect("read"),
        big
    );

    let remote_path = dir
        .path()
        .join("__starrocks_repository_r")
        .join(&rel)
        .join(&big_remote.stored_name);
    std::fs::write(&remote_path, b"bit rot").expect("tamper");
    let err = repo
        .download_file(&rel, &big_remote.stored_name, out.path(), None, None)
        .await
        .expect_err("bad");
    assert!(err.is_bad_file(), "{err}");
    assert!(!out.path().join("v2_5_0.parquet.part").exists());
    assert!(layout::split_checksum(&big_remote.stored_name).is_some());
}

#[tokio::test]
async fn download_of_a_missing_file_names_its_path() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let repo = open(dir.path(), "r").await;
    let stored = layout::with_checksum("v2_5_0.parquet", &repository::transfer::md5_hex(b"x"));
    let err = repo
        .download_file("__ss_s1/__ss_content", &stored, out.path(), None, None)
        .await
        .expect_err("missing");
    assert!(matches!(err, RepoError::NotFound(_)), "{err:?}");
    assert!(
        err.to_string()
            .ends_with(&format!("__starrocks_repository_r/__ss_s1/__ss_content/{stored}")),
        "{err}"
    );
    assert!(!err.is_bad_file());
}

#[tokio::test]
async fn a_label_is_reserved_once_and_released_when_nothing_was_written() {
    let dir = tempfile::tempdir().expect("tmp");
    let repo = open(dir.path(), "r").await;
    repo.init("2026-01-02 03:04:05").await.expect("init");
    // Two clusters sharing the repository race for one label: one wins.
    let other = open(dir.path(), "r").await;
    let (a, b) = tokio::join!(repo.reserve_label("s1", "a"), other.reserve_label("s1", "b"));
    assert_eq!(
        [a.expect("a"), b.expect("b")].iter().filter(|won| **won).count(),
        1
    );
    assert!(!repo.reserve_label("s1", "c").await.expect("again"));
    assert_eq!(repo.list_snapshots().await.expect("list"), vec!["s1".to_string()]);
    // Released with nothing else written: the label is free again.
    repo.release_label("s1").await.expect("release");
    assert!(repo.list_snapshots().await.expect("list").is_empty());
    assert!(repo.reserve_label("s1", "d").await.expect("free again"));
    // Released after files were uploaded: the snapshot directory stays, and so does the label.
    repo.write_checksummed("__ss_s1/__meta", b"m".to_vec())
        .await
        .expect("meta");
    repo.release_label("s1").await.expect("release");
    assert!(!repo.reserve_label("s1", "e").await.expect("taken"));
    // A label that is a finished snapshot is taken.
    repo.write_checksummed("__ss_s2/__meta", b"m".to_vec())
        .await
        .expect("meta");
    assert!(!repo.reserve_label("s2", "f").await.expect("taken"));
}
