//! Defects found by trying to break Starling (issue 17), each pinned through
//! the real binaries: a snapshot label taken twice at once, snapshots newer
//! than this build or missing their `__meta`, and bad input that must get an
//! error, never a crash or a dropped connection.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::backup::{SCHEMA, loaded_cluster, tree};
use crate::query_strings;
use crate::restore::{backup_db1, expect_error};

fn md5_hex(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("md5sum").arg(&path).output().expect("md5sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The one stored file of the snapshot directory whose name starts with `prefix`.
fn snapshot_file(repo_dir: &Path, label: &str, prefix: &str) -> std::path::PathBuf {
    let found: Vec<String> = tree(repo_dir)
        .into_iter()
        .filter(|f| {
            let mut parts = f.rsplitn(2, '/');
            let name = parts.next().unwrap_or_default();
            let dir = parts.next().unwrap_or_default();
            dir.ends_with(&format!("/__ss_{label}")) && name.starts_with(prefix)
        })
        .collect();
    assert_eq!(found.len(), 1, "{prefix} in {label}: {found:?}");
    repo_dir.join(&found[0])
}

/// Rewrites a checksummed file with `edit` applied, under its new checksum name.
fn rewrite_checksummed(path: &Path, edit: impl FnOnce(&str) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let edited = edit(&text);
    assert_ne!(text, edited, "the edit changed nothing");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let (base, _) = name.rsplit_once('.').unwrap();
    let new_path = path.with_file_name(format!("{base}.{}", md5_hex(edited.as_bytes())));
    std::fs::remove_file(path).unwrap();
    std::fs::write(&new_path, edited).unwrap();
    new_path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_label_submitted_from_two_databases_is_taken_once() {
    let (cluster, mut conn, repo_dir) = loaded_cluster(1, None, 2).await;
    conn.query_drop("CREATE DATABASE db2").await.unwrap();
    conn.query_drop(SCHEMA.replace("db1.t", "db2.t")).await.unwrap();
    conn.query_drop("INSERT INTO db2.t VALUES (1, 'two')")
        .await
        .unwrap();

    // Submitted together from two connections, many times over: exactly one
    // job per label is accepted, the other gets StarRocks' error.
    for round in 0..5 {
        let label = format!("same{round}");
        let (mut a, mut b) = (cluster.conn().await, cluster.conn().await);
        let (ra, rb) = tokio::join!(
            a.query_drop(format!("BACKUP SNAPSHOT db1.{label} TO r1")),
            b.query_drop(format!("BACKUP SNAPSHOT db2.{label} TO r1")),
        );
        let errors: Vec<String> = [ra, rb]
            .into_iter()
            .filter_map(|r| r.err())
            .map(|e| match e {
                mysql_async::Error::Server(e) => format!("{} {}", e.code, e.message),
                other => other.to_string(),
            })
            .collect();
        assert_eq!(
            errors,
            vec![format!(
                "5064 Snapshot with name '{label}' already exist in repository"
            )],
            "round {round}"
        );
        // Whichever was accepted finishes; its snapshot is whole and the reservation is gone.
        for db in ["db1", "db2"] {
            let rows = query_strings(&mut conn, &format!("SHOW BACKUP FROM {db}")).await;
            if rows.first().is_some_and(|r| r[1] == label) {
                let deadline = std::time::Instant::now() + Duration::from_secs(60);
                while query_strings(&mut conn, &format!("SHOW BACKUP FROM {db}")).await[0][3] != "FINISHED" {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "backup of {db} did not finish"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        let snaps = query_strings(
            &mut conn,
            &format!("SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = '{label}'"),
        )
        .await;
        assert_eq!(snaps[0][2], "OK", "{snaps:?}");
        assert!(
            !tree(&repo_dir).iter().any(|f| f.ends_with("/__label")),
            "a reservation stayed behind"
        );
    }

    // A label already in the repository is refused for every database.
    expect_error(
        &mut conn,
        "BACKUP SNAPSHOT db2.same0 TO r1",
        5064,
        "Snapshot with name 'same0' already exist in repository",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newer_or_incomplete_snapshots_are_refused_at_submission() {
    let (_cluster, mut conn, repo_dir) = loaded_cluster(1, None, 1).await;
    let ts = backup_db1(&mut conn, "s1").await;
    let restore = format!(
        "RESTORE SNAPSHOT s1 FROM r1 DATABASE db1 AS dbx PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    );
    let databases = |rows: Vec<Vec<String>>| rows.into_iter().map(|r| r[0].clone()).collect::<Vec<_>>();

    // A job info that claims a newer format: refused, naming both versions, nothing created.
    let info = snapshot_file(&repo_dir, "s1", "__info_");
    let original = std::fs::read(&info).unwrap();
    let edited = rewrite_checksummed(&info, |t| {
        t.replace("\"meta_version\": 92", "\"meta_version\": 9999")
    });
    expect_error(
        &mut conn,
        &restore,
        5064,
        "Snapshot s1 has meta_version 9999, newer than 92, the newest this version of Starling reads. \
         Restore it with a newer release",
    )
    .await;
    assert!(!databases(query_strings(&mut conn, "SHOW DATABASES").await).contains(&"dbx".to_string()));
    // The same for a RESTORE that asks for a newer meta_version itself.
    std::fs::remove_file(&edited).unwrap();
    std::fs::write(&info, &original).unwrap();
    expect_error(
        &mut conn,
        &restore.replace(
            "'replication_num' = '1'",
            "'replication_num' = '1', 'meta_version' = '100'",
        ),
        5064,
        "Snapshot s1 has meta_version 100, newer than 92, the newest this version of Starling reads. \
         Restore it with a newer release",
    )
    .await;

    // A snapshot without its __meta tells the truth in SHOW SNAPSHOT and is refused up front.
    let meta = snapshot_file(&repo_dir, "s1", "__meta");
    std::fs::remove_file(&meta).unwrap();
    let snaps = query_strings(&mut conn, "SHOW SNAPSHOT ON r1").await;
    assert_eq!(
        snaps[0][2], "ERROR: __meta is missing: the snapshot cannot be restored",
        "{snaps:?}"
    );
    let one = query_strings(
        &mut conn,
        &format!("SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = 's1' AND TIMESTAMP = '{ts}'"),
    )
    .await;
    assert_eq!(
        one[0][4],
        "ERROR: __meta is missing: the snapshot cannot be restored"
    );
    let err = conn.query_drop(&restore).await.expect_err("no meta");
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!(e.code, 5064);
    assert!(
        e.message.starts_with("Failed to read backup meta from file: "),
        "{}",
        e.message
    );
    assert!(!databases(query_strings(&mut conn, "SHOW DATABASES").await).contains(&"dbx".to_string()));
}

/// A tmpfs mounted for the length of a test (needs root, as CI runs).
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .expect("mount");
        assert!(status.success(), "this test mounts a small tmpfs and needs root");
        Self(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fe_writes_again_once_its_full_disk_has_room() {
    let mut cluster = crate::harness::TestCluster::start(1).await;
    cluster.stop_fe();
    // The FE's data directory moves onto a 16 MB file system.
    let fe_dir = cluster.path().join("fe");
    let saved = cluster.path().join("fe.saved");
    std::fs::rename(&fe_dir, &saved).unwrap();
    let _tmpfs = Tmpfs::mount(&fe_dir, "16m");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", saved.display()))
        .arg(&fe_dir)
        .status();
    assert!(copied.unwrap().success());
    cluster.start_fe(0, 0).await;
    let mut conn = cluster.conn().await;
    conn.query_drop("CREATE DATABASE before_full").await.unwrap();

    // Fill the disk.
    let filler = fe_dir.join("filler");
    {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    // (RocksDB may have room left in a preallocated log: write until it is used up.)
    let comment = "c".repeat(4000);
    let mut refused = false;
    for i in 0..500 {
        let sql = format!(
            "CREATE TABLE before_full.t{i} (k INT NOT NULL COMMENT '{comment}') DUPLICATE KEY(k) \
             DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES ('replication_num' = '1')"
        );
        if conn.query_drop(sql).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "a full disk refuses catalog writes");
    // Space is back: writes work again, without a restart.
    std::fs::remove_file(&filler).unwrap();
    conn.query_drop("CREATE DATABASE after_full").await.unwrap();
    conn.query_drop("CREATE TABLE after_full.t (k INT NOT NULL) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES ('replication_num' = '1')")
        .await
        .unwrap();
    conn.query_drop("INSERT INTO after_full.t VALUES (1)")
        .await
        .unwrap();
    // And what was acknowledged survives a kill -9.
    drop(conn);
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    let mut conn = cluster.conn().await;
    let dbs: Vec<String> = query_strings(&mut conn, "SHOW DATABASES")
        .await
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(
        dbs.contains(&"before_full".to_string()) && dbs.contains(&"after_full".to_string()),
        "{dbs:?}"
    );
    assert_eq!(
        query_strings(&mut conn, "SELECT COUNT(*) FROM after_full.t").await,
        vec![vec!["1"]]
    );
    drop(conn);
    cluster.kill_fe();
}

/// The FE's peak resident memory, kB (`VmHWM`).
fn peak_rss_kb(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_result_is_streamed_not_held() {
    let cluster = crate::harness::TestCluster::start(1).await;
    let mut root = cluster.conn().await;
    root.query_drop("CREATE USER nogrants IDENTIFIED BY 'x'")
        .await
        .unwrap();
    let opts = cluster.opts_as("nogrants", "x");
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    let pid = cluster.fe.as_ref().unwrap().pid();
    // Warm up, so the first query's one-time allocations are not counted.
    let _: Vec<i64> = conn
        .query("SELECT * FROM generate_series(1, 1000)")
        .await
        .unwrap();
    let before = peak_rss_kb(pid);
    // Three million rows, read one at a time: held whole, they took over 150 MB.
    let mut result = conn
        .query_iter("SELECT * FROM generate_series(1, 3000000)")
        .await
        .unwrap();
    let mut rows = 0u64;
    result.for_each(|_| rows += 1).await.unwrap();
    drop(result);
    assert_eq!(rows, 3_000_000);
    let grew_mb = peak_rss_kb(pid).saturating_sub(before) / 1024;
    assert!(grew_mb < 64, "the FE's peak memory grew by {grew_mb} MB");
    assert_eq!(query_strings(&mut conn, "SELECT 1").await, vec![vec!["1"]]);
}

/// Polls SHOW BACKUP FROM db1 until the job is CANCELLED (90 s at most; FINISHED fails).
async fn backup_cancelled(conn: &mut mysql_async::Conn) -> std::collections::BTreeMap<String, String> {
    let started = std::time::Instant::now();
    loop {
        let row = crate::backup::show_backup(conn).await;
        if row["State"] == "CANCELLED" {
            return row;
        }
        assert_ne!(row["State"], "FINISHED", "{row:?}");
        assert!(started.elapsed() < Duration::from_secs(90), "still {row:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_that_refuses_the_final_write_cancels_the_backup() {
    // Uploads are slowed so the test can damage the repository mid-job.
    let cluster = crate::harness::TestCluster::start_with_confs(
        1,
        Some("upload_rate_limit_bytes_per_second = 4000\n"),
        Some("backup_task_retry_limit = 1\n"),
    )
    .await;
    let mut conn = cluster.conn().await;
    crate::backup::load(&mut conn, 4).await;
    let repo_dir = cluster.path().join("backups");
    crate::backup::create_r1(&mut conn, &repo_dir, false).await;
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while crate::backup::show_backup(&mut conn).await["State"] != "UPLOADING" {
        assert!(std::time::Instant::now() < deadline, "no UPLOADING");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The place `__meta` is written through is a directory now: every attempt fails.
    let blocker = repo_dir.join("__starrocks_repository_r1/__ss_s1/__meta.part");
    std::fs::create_dir_all(blocker.join("x")).unwrap();
    let row = backup_cancelled(&mut conn).await;
    assert!(
        row["Status"].contains("failed to upload snapshot info"),
        "{row:?}"
    );
    // The database is free for the next job, and no half-written file is left.
    std::fs::remove_dir_all(&blocker).unwrap();
    let parts: Vec<String> = tree(&repo_dir)
        .into_iter()
        .filter(|f| f.ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "{parts:?}");
    conn.query_drop("BACKUP SNAPSHOT db1.s2 TO r1").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_repository_leaves_no_partial_files() {
    let cluster =
        crate::harness::TestCluster::start_with_confs(1, None, Some("backup_task_retry_limit = 1\n")).await;
    let mut conn = cluster.conn().await;
    crate::backup::load(&mut conn, 40).await;
    let repo_dir = cluster.path().join("small-repo");
    let _tmpfs = Tmpfs::mount(&repo_dir, "48k");
    crate::backup::create_r1(&mut conn, &repo_dir, false).await;
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    let row = backup_cancelled(&mut conn).await;
    assert!(!row["Status"].starts_with("[OK"), "{row:?}");
    let parts: Vec<String> = tree(&repo_dir)
        .into_iter()
        .filter(|f| f.ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "{parts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_over_ten_thousand_tablets_answers() {
    let cluster = crate::harness::TestCluster::start(1).await;
    let mut conn = cluster.conn().await;
    let partitions: Vec<String> = (0..100)
        .map(|i| format!("PARTITION p{i} VALUES LESS THAN ('{}')", (i + 1) * 100))
        .collect();
    conn.query_drop("CREATE DATABASE big").await.unwrap();
    conn.query_drop(format!(
        "CREATE TABLE big.t (k INT NOT NULL, v INT) DUPLICATE KEY(k) PARTITION BY RANGE(k) ({}) \
         DISTRIBUTED BY HASH(k) BUCKETS 100 PROPERTIES ('replication_num' = '1')",
        partitions.join(", ")
    ))
    .await
    .unwrap();
    conn.query_drop("INSERT INTO big.t SELECT value AS k, value AS v FROM generate_series(0, 9999)")
        .await
        .unwrap();
    // 10,000 Flight streams at once broke the FE's connection to the BE.
    assert_eq!(
        query_strings(&mut conn, "SELECT COUNT(*), SUM(v), MAX(k) FROM big.t").await,
        vec![vec!["10000", "49995000", "9999"]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_a_backend_kept_while_it_was_down_go_to_its_trash() {
    let mut cluster = crate::harness::TestCluster::start_with_confs(
        1,
        None,
        Some("orphan_tablet_check_interval_second = 1\norphan_tablet_grace_second = 1\n"),
    )
    .await;
    let mut conn = cluster.conn().await;
    conn.query_drop("CREATE DATABASE orph").await.unwrap();
    for t in ["gone", "kept"] {
        conn.query_drop(format!(
            "CREATE TABLE orph.{t} (k INT NOT NULL) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3 \
             PROPERTIES ('replication_num' = '1')"
        ))
        .await
        .unwrap();
        conn.query_drop(format!("INSERT INTO orph.{t} VALUES (1), (2), (3)"))
            .await
            .unwrap();
    }
    let data = cluster.path().join("be0/storage/data");
    let trash = cluster.path().join("be0/storage/trash");
    let tablets = || std::fs::read_dir(&data).unwrap().count();
    assert_eq!(tablets(), 6);
    // The drop cannot reach the BE: its replicas stay behind.
    cluster.kill_be(0);
    conn.query_drop("DROP TABLE orph.gone").await.unwrap();
    cluster.restart_be(0);
    cluster.wait_backends_alive(1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while tablets() != 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} replicas left",
            tablets()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // They wait in the trash; the table that exists is untouched.
    assert_eq!(std::fs::read_dir(&trash).unwrap().count(), 3);
    assert_eq!(
        query_strings(&mut conn, "SELECT COUNT(*) FROM orph.kept").await,
        vec![vec!["3"]]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_restore_takes_effect_while_a_backend_hangs() {
    let (mut cluster, mut conn, _) = loaded_cluster(2, None, 1).await;
    let ts = backup_db1(&mut conn, "s1").await;
    drop(conn);
    let mut conn = cluster
        .restart_fe_with_conf("debug_job_step_delay_ms = 1500\n")
        .await;
    conn.query_drop(format!(
        "RESTORE SNAPSHOT hang.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '2')"
    ))
    .await
    .unwrap();
    // Once the replicas exist, one BE stops answering (SIGSTOP: its sockets stay open).
    crate::restore::wait_restore(&mut conn, "hang", "SNAPSHOTING", Duration::from_secs(30)).await;
    cluster.bes[1].as_ref().unwrap().signal(libc::SIGSTOP);
    let started = std::time::Instant::now();
    let cancelled = conn.query_drop("CANCEL RESTORE FROM hang").await;
    let took = started.elapsed();
    cluster.bes[1].as_ref().unwrap().signal(libc::SIGCONT);
    cancelled.unwrap();
    assert!(took < Duration::from_secs(10), "CANCEL took {took:?}");
    let row = crate::restore::show_restore(&mut conn, "hang").await;
    assert_eq!(row["State"], "CANCELLED", "{row:?}");
    assert!(query_strings(&mut conn, "SHOW TABLES FROM hang").await.is_empty());
}
