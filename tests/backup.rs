//! BACKUP SNAPSHOT end to end: repositories on disk and on a local S3 server,
//! the job's states, the StarRocks layout, FE kill -9 and CANCEL mid-upload.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

use crate::harness::{ChildGuard, TestCluster, free_port};
use crate::query_strings;

pub(crate) const SCHEMA: &str = "CREATE TABLE db1.t (k INT NOT NULL, v VARCHAR(64)) DUPLICATE KEY(k) \
     PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN ('100'), PARTITION p2 VALUES LESS THAN ('200')) \
     DISTRIBUTED BY HASH(k) BUCKETS 2 PROPERTIES ('replication_num' = '1')";

/// Creates db1.t with rows in both partitions (`batches` inserts of 50 rows each).
pub(crate) async fn load(conn: &mut mysql_async::Conn, batches: usize) {
    conn.query_drop("CREATE DATABASE db1").await.unwrap();
    conn.query_drop(SCHEMA).await.unwrap();
    for b in 0..batches {
        let rows: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    "({}, 'row-{b}-{i}-abcdefghijklmnopqrstuvwxyz')",
                    (i * 4 + b) % 200
                )
            })
            .collect();
        conn.query_drop(format!("INSERT INTO db1.t VALUES {}", rows.join(", ")))
            .await
            .unwrap();
    }
}

/// `CREATE [READ ONLY] REPOSITORY r1` over `file://<dir>/` (the trailing `/` is stripped).
pub(crate) async fn create_r1(conn: &mut mysql_async::Conn, dir: &Path, read_only: bool) {
    let kind = if read_only { "READ ONLY " } else { "" };
    conn.query_drop(format!(
        "CREATE {kind}REPOSITORY r1 WITH BROKER ON LOCATION 'file://{}/'",
        dir.display()
    ))
    .await
    .unwrap();
}

/// A cluster of `backends` BEs (`be.conf` text optional) holding db1.t loaded
/// `batches` times, with repository r1 in `<cluster dir>/backups`.
pub(crate) async fn loaded_cluster(
    backends: usize,
    be_conf: Option<&str>,
    batches: usize,
) -> (TestCluster, mysql_async::Conn, std::path::PathBuf) {
    let cluster = TestCluster::start_with_be_conf(backends, be_conf).await;
    let mut conn = cluster.conn().await;
    load(&mut conn, batches).await;
    let repo_dir = cluster.path().join("backups");
    create_r1(&mut conn, &repo_dir, false).await;
    (cluster, conn, repo_dir)
}

/// SHOW BACKUP FROM db1 as column → value.
pub(crate) async fn show_backup(conn: &mut mysql_async::Conn) -> BTreeMap<String, String> {
    let rows: Vec<mysql_async::Row> = conn.query("SHOW BACKUP FROM db1").await.unwrap();
    let row = rows.first().expect("a backup job");
    let names: Vec<String> = row
        .columns_ref()
        .iter()
        .map(|c| c.name_str().to_string())
        .collect();
    assert_eq!(names.len(), 14, "{names:?}");
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, row.get::<Option<String>, _>(i).flatten().unwrap_or_default()))
        .collect()
}

/// Polls SHOW BACKUP until `state`, returning every state seen on the way.
pub(crate) async fn wait_state(conn: &mut mysql_async::Conn, state: &str, timeout: Duration) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    let mut seen: Vec<String> = Vec::new();
    loop {
        let row = show_backup(conn).await;
        if seen.last() != Some(&row["State"]) {
            seen.push(row["State"].clone());
        }
        if row["State"] == state {
            return seen;
        }
        assert!(row["State"] != "CANCELLED", "job cancelled: {row:?}");
        assert!(Instant::now() < deadline, "no {state} after {timeout:?}: {row:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn md5_of(path: &Path) -> String {
    let out = Command::new("md5sum").arg(path).output().expect("md5sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The tablet data files of a repository, relative to its directory.
pub(crate) fn data_files(repo_dir: &Path) -> Vec<String> {
    tree(repo_dir)
        .into_iter()
        .filter(|f| f.contains(".parquet."))
        .collect()
}

/// Every file under `dir`, relative, sorted.
pub(crate) fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_to_a_file_repository_follows_the_starrocks_layout() {
    let (_cluster, mut conn, repo_dir) = loaded_cluster(3, None, 3).await;
    let repos = query_strings(&mut conn, "SHOW REPOSITORIES").await;
    assert_eq!(repos.len(), 1);
    assert_eq!(
        &repos[0][1..],
        [
            "r1",
            &repos[0][2],
            "false",
            &format!("file://{}", repo_dir.display()),
            "",
            "\\N"
        ]
    );

    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1 ON (t PARTITION (p1, p2))")
        .await
        .unwrap();
    // Loads while the job runs: the snapshot holds each tablet at the version
    // captured in PENDING, whatever that was, and nothing newer.
    conn.query_drop("INSERT INTO db1.t VALUES (1, 'late-1'), (150, 'late-2')")
        .await
        .unwrap();
    let seen = wait_state(&mut conn, "FINISHED", Duration::from_secs(60)).await;
    let order = [
        "PENDING",
        "SNAPSHOTING",
        "UPLOAD_SNAPSHOT",
        "UPLOADING",
        "SAVE_META",
        "UPLOAD_INFO",
        "FINISHED",
    ];
    let positions: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("known state"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "states out of order: {seen:?}"
    );
    let row = show_backup(&mut conn).await;
    assert_eq!(row["SnapshotName"], "s1");
    assert_eq!(row["DbName"], "db1");
    assert_eq!(row["BackupObjs"], "[db1.tPARTITIONS (p1, p2) AS t]");
    assert_eq!(row["Status"], "[OK]");
    assert_eq!(row["Timeout"], "86400");
    assert_eq!(
        (row["UnfinishedTasks"].as_str(), row["TaskErrMsg"].as_str()),
        ("", "")
    );
    assert!(row["JobId"].parse::<i64>().unwrap() > 0, "{row:?}");
    for col in [
        "CreateTime",
        "SnapshotFinishedTime",
        "UploadFinishedTime",
        "FinishedTime",
    ] {
        assert_eq!(row[col].len(), "yyyy-MM-dd HH:mm:ss".len(), "{col}: {row:?}");
    }

    // The tree of spec §8 with checksummed names.
    let root = repo_dir.join("__starrocks_repository_r1");
    let files = tree(&root);
    assert!(files.contains(&"__repo_info".to_string()), "{files:?}");
    let meta: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("__ss_s1/__meta."))
        .collect();
    let info: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("__ss_s1/__info_"))
        .collect();
    assert_eq!((meta.len(), info.len()), (1, 1), "{files:?}");
    let tablet_files: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("__ss_s1/__ss_content/__db_"))
        .collect();
    let tablet_dirs: std::collections::BTreeSet<&str> = tablet_files
        .iter()
        .map(|f| f.rsplit_once('/').unwrap().0)
        .collect();
    assert_eq!(tablet_dirs.len(), 4, "2 partitions x 2 buckets: {tablet_dirs:?}");
    for dir in &tablet_dirs {
        let parts: Vec<&str> = dir.split('/').collect();
        assert_eq!(parts.len(), 7, "{dir}");
        for (part, prefix) in parts[2..]
            .iter()
            .zip(["__db_", "__tbl_", "__part_", "__idx_", "__"])
        {
            assert!(part.starts_with(prefix), "{dir}");
        }
    }
    for f in files.iter().filter(|f| f.starts_with("__ss_s1/")) {
        let (_, md5) = f.rsplit_once('.').unwrap();
        assert_eq!(md5, md5_of(&root.join(f)), "checksum suffix of {f}");
    }

    // The job info names every tablet and its files, at the captured versions;
    // each uploaded tablet meta is at exactly that version.
    let info_json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join(info[0])).unwrap()).unwrap();
    assert_eq!(info_json["database"], "db1");
    assert_eq!(info_json["backup_result"], "succeed");
    let ts = info[0]
        .strip_prefix("__ss_s1/__info_")
        .unwrap()
        .rsplit_once('.')
        .unwrap()
        .0
        .to_string();
    for (pname, p) in info_json["backup_objects"]["t"]["partitions"]
        .as_object()
        .unwrap()
    {
        let version = p["version"].as_u64().unwrap();
        let sub = p["subPartitions"].as_object().unwrap().values().next().unwrap();
        let index = &sub["indexes"]["t"];
        assert_eq!(index["tablets_order"].as_array().unwrap().len(), 2, "{pname}");
        for (tablet, names) in index["tablets"].as_object().unwrap() {
            let meta_name = names
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n.as_str().unwrap().starts_with("meta.json."));
            let dir = tablet_dirs
                .iter()
                .find(|d| d.ends_with(&format!("/__{tablet}")))
                .unwrap();
            let tablet_meta: serde_json::Value = serde_json::from_slice(
                &std::fs::read(root.join(dir).join(meta_name.unwrap().as_str().unwrap())).unwrap(),
            )
            .unwrap();
            assert_eq!(
                tablet_meta["version"].as_u64().unwrap(),
                version,
                "{pname}/{tablet}"
            );
            for rowset in tablet_meta["rowsets"].as_array().unwrap() {
                assert!(rowset["version"].as_u64().unwrap() <= version);
            }
        }
    }

    // SHOW SNAPSHOT, both shapes.
    let snaps = query_strings(&mut conn, "SHOW SNAPSHOT ON r1").await;
    assert_eq!(snaps, vec![vec!["s1".to_string(), ts.clone(), "OK".into()]]);
    let detail = query_strings(
        &mut conn,
        &format!("SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = 's1' AND TIMESTAMP = '{ts}'"),
    )
    .await;
    assert_eq!(
        (detail[0].len(), detail[0][2].as_str(), detail[0][4].as_str()),
        (5, "db1", "OK")
    );
    assert!(
        detail[0][3].contains("\"backup_objects\": {\n  \"t\": {"),
        "{}",
        detail[0][3]
    );

    // The label is taken; a second job may start now that the first is done.
    let err = conn
        .query_drop("BACKUP SNAPSHOT db1.s1 TO r1")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Snapshot with name 's1' already exist in repository"),
        "{err}"
    );

    // Re-creating the repository over the same location adopts it.
    let created = repos[0][2].clone();
    conn.query_drop("DROP REPOSITORY r1").await.unwrap();
    assert!(
        root.join("__repo_info").exists(),
        "DROP REPOSITORY keeps remote data"
    );
    create_r1(&mut conn, &repo_dir, true).await;
    let repos = query_strings(&mut conn, "SHOW REPOSITORIES").await;
    assert_eq!(
        (repos[0][2].as_str(), repos[0][3].as_str()),
        (created.as_str(), "true")
    );
    assert_eq!(query_strings(&mut conn, "SHOW SNAPSHOT ON r1").await.len(), 1);
    let err = conn
        .query_drop("BACKUP SNAPSHOT db1.s2 TO r1")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Repository r1 is read only"), "{err}");
    let err = conn
        .query_drop("DROP SNAPSHOT s1 ON r1")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Repository r1 is read only"), "{err}");

    conn.query_drop("DROP REPOSITORY r1").await.unwrap();
    create_r1(&mut conn, &repo_dir, false).await;
    conn.query_drop("DROP SNAPSHOT s1 ON r1").await.unwrap();
    assert!(query_strings(&mut conn, "SHOW SNAPSHOT ON r1").await.is_empty());
    assert!(!root.join("__ss_s1").exists());
}

/// True when a `Progress` column (`[sig: done/total], ...`) counts a tablet done.
fn some_tablet_done(progress: &str) -> bool {
    progress.split(", ").any(|task| {
        task.trim_matches(|c| c == '[' || c == ']')
            .rsplit_once(": ")
            .and_then(|(_, counts)| counts.split_once('/'))
            .is_some_and(|(done, _)| done.parse::<u32>().is_ok_and(|d| d > 0))
    })
}

/// BEs that upload slowly, so a test can act while a job is UPLOADING.
const SLOW_UPLOAD: &str = "upload_rate_limit_bytes_per_second = 3000\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fe_kill_9_mid_upload_resumes_and_cancel_stops_a_job() {
    let (mut cluster, mut conn, _) = loaded_cluster(2, Some(SLOW_UPLOAD), 2).await;
    conn.query_drop("BACKUP DATABASE db1 SNAPSHOT s1 TO r1 ON (TABLE t)")
        .await
        .unwrap();
    let err = conn.query_drop("BACKUP SNAPSHOT db1.s2 TO r1").await.unwrap_err();
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!(
        (e.code, e.state.as_str(), e.message.as_str()),
        (
            5064,
            "42000",
            "Can only run one backup or restore job of a database at same time"
        )
    );
    wait_state(&mut conn, "UPLOADING", Duration::from_secs(30)).await;
    let row = show_backup(&mut conn).await;
    assert!(
        row["Progress"].starts_with('[') && row["Progress"].contains(": "),
        "{row:?}"
    );
    assert!(row["UnfinishedTasks"].contains('='), "{row:?}");
    drop(conn);

    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    let mut conn = cluster.conn().await;
    let seen = wait_state(&mut conn, "FINISHED", Duration::from_secs(120)).await;
    assert!(
        seen.iter().all(|s| s != "PENDING" && s != "SNAPSHOTING"),
        "resumed after the snapshots: {seen:?}"
    );
    let snaps = query_strings(&mut conn, "SHOW SNAPSHOT ON r1").await;
    assert_eq!((snaps[0][0].as_str(), snaps[0][2].as_str()), ("s1", "OK"));

    // CANCEL while uploading: CANCELLED at once, the half-written snapshot stays.
    conn.query_drop("BACKUP SNAPSHOT db1.s3 TO r1").await.unwrap();
    wait_state(&mut conn, "UPLOADING", Duration::from_secs(30)).await;
    // Wait until some tablet is in the repository, then cancel.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = show_backup(&mut conn).await;
        assert_eq!(row["State"], "UPLOADING", "finished before any progress: {row:?}");
        if some_tablet_done(&row["Progress"]) {
            break;
        }
        assert!(Instant::now() < deadline, "no upload progress: {row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    conn.query_drop("CANCEL BACKUP FROM db1").await.unwrap();
    let row = show_backup(&mut conn).await;
    assert_eq!(
        (row["State"].as_str(), row["Status"].as_str()),
        ("CANCELLED", "[COMMON_ERROR, msg: user cancelled]")
    );
    let err = conn
        .query_drop("CANCEL BACKUP FROM db1")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Failed to cancel job: Job with label s3 can not be cancelled. state: CANCELLED"),
        "{err}"
    );
    let snaps = query_strings(&mut conn, "SHOW SNAPSHOT ON r1 WHERE SNAPSHOT IN ('s3')").await;
    assert_eq!(
        snaps,
        vec![vec!["s3".to_string(), String::new(), "ERROR: no snapshot".into()]]
    );
    // A half-written snapshot records no owner: only FORCE drops it.
    let err = conn
        .query_drop("DROP SNAPSHOT s3 ON r1")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "Snapshot s3 in repository r1 does not record which cluster created it, and this cluster is "
        ) && err.contains(". Use DROP SNAPSHOT ... FORCE to drop it anyway"),
        "{err}"
    );
    conn.query_drop("DROP SNAPSHOT s3 ON r1 FORCE").await.unwrap();
    let snaps = query_strings(&mut conn, "SHOW SNAPSHOT ON r1").await;
    assert_eq!(snaps.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["s1"]);
    // BE snapshot directories are released.
    let deadline = Instant::now() + Duration::from_secs(10);
    while (0..2).any(|i| has_files(&cluster.path().join(format!("be{i}/storage/snapshot")))) {
        assert!(Instant::now() < deadline, "BE snapshots not released");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn has_files(dir: &Path) -> bool {
    dir.exists() && !tree(dir).is_empty()
}

/// Starts a local S3-compatible server (moto) and creates a bucket.
pub(crate) fn start_s3(dir: &Path) -> (ChildGuard, u16) {
    let port = free_port();
    let log = std::fs::File::create(dir.join("moto.log")).unwrap();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("moto_server (pip install 'moto[server]') must be installed");
    let guard = ChildGuard { child };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let made = Command::new("curl")
            .args(["-sf", "-X", "PUT", &format!("http://127.0.0.1:{port}/starling")])
            .status()
            .is_ok_and(|s| s.success());
        if made {
            return (guard, port);
        }
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_to_a_local_s3_server() {
    let cluster = TestCluster::start(2).await;
    let (_s3, port) = start_s3(cluster.path());
    let mut conn = cluster.conn().await;
    load(&mut conn, 2).await;
    conn.query_drop(format!(
        "CREATE REPOSITORY s3r WITH BROKER ON LOCATION 's3a://starling/backups' PROPERTIES (\
         'aws.s3.access_key' = 'AKIDEXAMPLE', 'aws.s3.secret_key' = 'very-secret-key', \
         'aws.s3.region' = 'us-east-1', 'aws.s3.endpoint' = 'http://127.0.0.1:{port}')"
    ))
    .await
    .unwrap();
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO s3r").await.unwrap();
    wait_state(&mut conn, "FINISHED", Duration::from_secs(60)).await;
    let snaps = query_strings(&mut conn, "SHOW SNAPSHOT ON s3r").await;
    assert_eq!(
        (snaps[0][0].as_str(), snaps[0][2].as_str()),
        ("s1", "OK"),
        "{snaps:?}"
    );
    let detail = query_strings(
        &mut conn,
        &format!(
            "SHOW SNAPSHOT ON s3r WHERE SNAPSHOT = 's1' AND TIMESTAMP = '{}'",
            snaps[0][1]
        ),
    )
    .await;
    assert_eq!(detail[0][4], "OK", "{detail:?}");

    let listing = Command::new("curl")
        .args([
            "-sf",
            &format!("http://127.0.0.1:{port}/starling?list-type=2&prefix=backups/"),
        ])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("backups/__starrocks_repository_s3r/__repo_info"),
        "{listing}"
    );
    assert!(
        listing.contains("backups/__starrocks_repository_s3r/__ss_s1/__info_"),
        "{listing}"
    );
    assert!(listing.contains("/__ss_content/__db_"), "{listing}");

    // Credentials never show: not in SHOW output, not in any log.
    let repos = query_strings(&mut conn, "SHOW REPOSITORIES").await;
    assert!(!format!("{repos:?}").contains("very-secret-key"));
    let backup = show_backup(&mut conn).await;
    assert!(!format!("{backup:?}").contains("very-secret-key"));
    for entry in std::fs::read_dir(cluster.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "log") && !path.ends_with("moto.log") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(!text.contains("very-secret-key"), "secret in {}", path.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_backend_cancels_the_job_with_its_error() {
    let (mut cluster, mut conn, _) = loaded_cluster(2, Some(SLOW_UPLOAD), 2).await;
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    wait_state(&mut conn, "UPLOADING", Duration::from_secs(30)).await;
    let err = conn
        .query_drop("DROP REPOSITORY r1")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "ERROR 5064 (42000): Backup or restore job is running on this repository. Can not drop it"
        ),
        "{err}"
    );
    cluster.kill_be(0);
    // Retried (TaskErrMsg names the task and the backend), then cancelled: never stuck.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut saw_task_error = false;
    let row = loop {
        let row = show_backup(&mut conn).await;
        saw_task_error |= row["TaskErrMsg"].contains(": backend ");
        if row["State"] == "CANCELLED" || row["State"] == "FINISHED" {
            break row;
        }
        assert!(Instant::now() < deadline, "job hangs: {row:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row["State"], "CANCELLED", "{row:?}");
    assert!(
        row["Status"].starts_with("[COMMON_ERROR, msg: backend "),
        "{row:?}"
    );
    assert!(
        saw_task_error || row["TaskErrMsg"].contains(": backend "),
        "{row:?}"
    );
    // The cancelled job no longer blocks the database.
    conn.query_drop("BACKUP SNAPSHOT db1.s2 TO r1").await.unwrap();
}
