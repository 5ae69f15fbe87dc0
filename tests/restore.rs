//! RESTORE SNAPSHOT end to end: back up, lose the data, restore it and read
//! back identical rows; overwrite, aliases, partitions, a second cluster,
//! every error text, CANCEL, timeouts and the crash matrix.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

use crate::backup::{loaded_cluster, wait_state};
use crate::harness::TestCluster;
use crate::query_strings;

/// SHOW RESTORE FROM `db` as column → value.
pub(crate) async fn show_restore(conn: &mut mysql_async::Conn, db: &str) -> BTreeMap<String, String> {
    let rows: Vec<mysql_async::Row> = conn.query(format!("SHOW RESTORE FROM {db}")).await.unwrap();
    let row = rows.first().expect("a restore job");
    let names: Vec<String> = row
        .columns_ref()
        .iter()
        .map(|c| c.name_str().to_string())
        .collect();
    assert_eq!(names.len(), 18, "{names:?}");
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, row.get::<Option<String>, _>(i).flatten().unwrap_or_default()))
        .collect()
}

/// Polls SHOW RESTORE until `state`, returning every state seen on the way.
/// A CANCELLED job fails the test unless CANCELLED is awaited.
pub(crate) async fn wait_restore(
    conn: &mut mysql_async::Conn,
    db: &str,
    state: &str,
    timeout: Duration,
) -> (Vec<String>, BTreeMap<String, String>) {
    let deadline = Instant::now() + timeout;
    let mut seen: Vec<String> = Vec::new();
    loop {
        let row = show_restore(conn, db).await;
        if seen.last() != Some(&row["State"]) {
            seen.push(row["State"].clone());
        }
        if row["State"] == state {
            return (seen, row);
        }
        assert!(
            row["State"] != "CANCELLED" && row["State"] != "FINISHED",
            "job ended before {state}: {row:?}"
        );
        assert!(Instant::now() < deadline, "no {state} after {timeout:?}: {row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A full-table fingerprint: row count, key sum and every row, in order, in one string.
pub(crate) async fn checksum(conn: &mut mysql_async::Conn, table: &str) -> Vec<String> {
    let sql = format!(
        "SELECT COUNT(*), SUM(k), string_agg(concat(CAST(k AS VARCHAR), ':', v), ',' ORDER BY k, v) FROM {table}"
    );
    query_strings(conn, &sql).await.remove(0)
}

/// Backs up `db1` as snapshot `label`, waits for FINISHED, returns its timestamp.
pub(crate) async fn backup_db1(conn: &mut mysql_async::Conn, label: &str) -> String {
    conn.query_drop(format!("BACKUP SNAPSHOT db1.{label} TO r1"))
        .await
        .unwrap();
    wait_state(conn, "FINISHED", Duration::from_secs(60)).await;
    let snaps = query_strings(conn, &format!("SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = '{label}'")).await;
    snaps[0][1].clone()
}

/// Expects a statement to fail with `(code, sqlstate, message)`.
pub(crate) async fn expect_error(conn: &mut mysql_async::Conn, sql: &str, code: u16, message: &str) {
    let err = conn.query_drop(sql).await.expect_err(sql);
    let mysql_async::Error::Server(e) = err else {
        panic!("{sql}: {err}")
    };
    assert_eq!((e.code, e.message.as_str()), (code, message), "{sql}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_after_drop_reads_back_identical_data() {
    let (_cluster, mut conn, _) = loaded_cluster(3, None, 3).await;
    let before = checksum(&mut conn, "db1.t").await;
    assert_eq!(before[0], "150");
    let ts = backup_db1(&mut conn, "s1").await;
    conn.query_drop("DROP DATABASE db1").await.unwrap();

    conn.query_drop(format!(
        "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    let (seen, row) = wait_restore(&mut conn, "db1", "FINISHED", Duration::from_secs(60)).await;
    assert!(seen.len() >= 2, "{seen:?}");
    assert_eq!(row["Label"], "s1");
    assert_eq!(row["Timestamp"], ts);
    assert_eq!(row["DbName"], "db1");
    assert_eq!(row["AllowLoad"], "false");
    assert_eq!(row["ReplicationNum"], "1");
    assert_eq!(row["RestoreObjs"], "t PARTITIONS [p1, p2]");
    assert_eq!(row["Status"], "[OK]");
    assert_eq!(row["Timeout"], "86400");
    assert!(row["JobId"].parse::<i64>().unwrap() > 0, "{row:?}");
    for col in [
        "CreateTime",
        "MetaPreparedTime",
        "SnapshotFinishedTime",
        "DownloadFinishedTime",
        "FinishedTime",
    ] {
        assert!(row[col].len() == 19, "{col}: {row:?}");
    }
    assert_eq!(checksum(&mut conn, "db1.t").await, before);

    // The restored table is a normal table: loads, queries, another backup.
    conn.query_drop("INSERT INTO db1.t VALUES (7, 'after-restore')")
        .await
        .unwrap();
    let after = checksum(&mut conn, "db1.t").await;
    assert_eq!(after[0], "151");
    let rows = query_strings(
        &mut conn,
        "SELECT v FROM db1.t WHERE k = 7 AND v = 'after-restore'",
    )
    .await;
    assert_eq!(rows.len(), 1);
    let sizes = query_strings(&mut conn, "SHOW PARTITIONS FROM db1.t").await;
    assert_eq!(sizes.len(), 2);
    backup_db1(&mut conn, "s2").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_into_another_database_under_an_alias_and_chosen_partitions() {
    let (_cluster, mut conn, _) = loaded_cluster(3, None, 2).await;
    let ts = backup_db1(&mut conn, "s1").await;
    // 3.4 form: DATABASE src AS dst, TABLE t AS t2; the target database is created.
    conn.query_drop(format!(
        "RESTORE SNAPSHOT s1 FROM r1 DATABASE db1 AS db2 ON (TABLE t AS t2) \
         PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '3')"
    ))
    .await
    .unwrap();
    let (_, row) = wait_restore(&mut conn, "db2", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(row["ReplicationNum"], "3");
    assert_eq!(
        checksum(&mut conn, "db2.t2").await,
        checksum(&mut conn, "db1.t").await
    );
    let replicas = query_strings(&mut conn, "SHOW TABLETS FROM db2.t2").await;
    assert!(!replicas.is_empty());

    // Legacy form with one partition into a third database.
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db3.s1 FROM r1 ON (t PARTITION (p1)) \
         PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    let (_, row) = wait_restore(&mut conn, "db3", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(row["RestoreObjs"], "t PARTITIONS [p1]");
    let parts = query_strings(&mut conn, "SHOW PARTITIONS FROM db3.t").await;
    assert_eq!(parts.len(), 1);
    assert_eq!(
        checksum(&mut conn, "db3.t").await,
        checksum(&mut conn, "(SELECT * FROM db1.t WHERE k < 100) x").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_statement_errors_have_the_starrocks_texts() {
    let (_cluster, mut conn, _) = loaded_cluster(1, None, 1).await;
    let ts = backup_db1(&mut conn, "s1").await;
    let props =
        |extra: &str| format!("PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1'{extra})");
    let analysis = |m: &str| format!("Getting analyzing error. Detail message: {m}.");
    let cases: Vec<(String, u16, String)> = vec![
        (
            "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('replication_num' = '1')".into(),
            5064,
            analysis("Missing backup_timestamp property"),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM r1 {}", props(", 'colour' = 'red'")),
            5064,
            analysis("Unknown restore job properties: [colour]"),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM r1 {}", props(", 'allow_load' = 'maybe'")),
            5064,
            analysis("Invalid allow load value: maybe"),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM r1 {}", props(", 'timeout' = '5'")),
            5064,
            analysis("timeout must be at least 10 min"),
        ),
        (
            "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = 'x', 'replication_num' = 'two')".into(),
            5064,
            analysis("Invalid meta version format: two"),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM r1 ON (t, t) {}", props("")),
            1064,
            analysis("Duplicated table: t"),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM r1 ON (t AS x, u AS x) {}", props("")),
            1064,
            analysis("Duplicated alias name: x"),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM nope {}", props("")),
            5064,
            "Repository nope does not exist".into(),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM r1 ON (missing) {}", props("")),
            5064,
            "Table missing does not exist in snapshot s1".into(),
        ),
        (
            format!("RESTORE SNAPSHOT db1.s1 FROM r1 ON (t PARTITION (p9)) {}", props("")),
            5064,
            "Partition p9 of table t does not exist in snapshot s1".into(),
        ),
        (
            format!("RESTORE SNAPSHOT s1 FROM r1 DATABASE other {}", props("")),
            5064,
            "target database: other is not existed in snapshot".into(),
        ),
    ];
    for (sql, code, message) in cases {
        expect_error(&mut conn, &sql, code, &message).await;
    }
    // A wrong timestamp names the file it looked for.
    let err = conn
        .query_drop(
            "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '2020-01-01-00-00-00-000')",
        )
        .await
        .unwrap_err();
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!(e.code, 5064);
    assert!(
        e.message
            .starts_with("Failed to get info of snapshot 's1' because: ")
            && e.message.contains("__info_2020-01-01-00-00-00-000")
            && e.message.ends_with(". Maybe specified wrong backup timestamp"),
        "{}",
        e.message
    );
    // Nothing was submitted by the failed statements.
    expect_error(
        &mut conn,
        "CANCEL RESTORE FROM db1",
        5064,
        "No restore is currently running",
    )
    .await;
    let rows: Vec<mysql_async::Row> = conn.query("SHOW RESTORE FROM db1").await.unwrap();
    assert!(rows.is_empty());
    // Too many replicas for one BE: accepted, then CANCELLED by the job.
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db1.s1 FROM r1 ON (t AS t3) PROPERTIES ('backup_timestamp' = '{ts}')"
    ))
    .await
    .unwrap();
    let (_, row) = wait_restore(&mut conn, "db1", "CANCELLED", Duration::from_secs(30)).await;
    assert_eq!(
        row["Status"],
        "[COMMON_ERROR, msg: failed to find 3 different hosts to create table: t3]"
    );
    assert_eq!(row["ReplicationNum"], "3");
    expect_error(
        &mut conn,
        "CANCEL RESTORE FROM db1",
        5064,
        "Failed to cancel job: Job with label s1 can not be cancelled. state: CANCELLED",
    )
    .await;
    assert!(query_strings(&mut conn, "SHOW TABLES FROM db1").await.len() == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_overwrites_a_matching_table_and_refuses_a_different_one() {
    let (_cluster, mut conn, _) = loaded_cluster(1, None, 2).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    // Change the table: more rows in p1, p2 dropped.
    conn.query_drop("INSERT INTO db1.t VALUES (1, 'later'), (2, 'later')")
        .await
        .unwrap();
    conn.query_drop("ALTER TABLE db1.t DROP PARTITION p2")
        .await
        .unwrap();
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    wait_restore(&mut conn, "db1", "FINISHED", Duration::from_secs(60)).await;
    // p1 overwritten, p2 added back: exactly the backed-up rows.
    assert_eq!(checksum(&mut conn, "db1.t").await, before);
    conn.query_drop("INSERT INTO db1.t VALUES (3, 'again')")
        .await
        .unwrap();
    assert_eq!(
        query_strings(&mut conn, "SELECT COUNT(*) FROM db1.t WHERE v = 'again'").await,
        [["1"]]
    );

    // Existing partitions keep their replication number.
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '2')"
    ))
    .await
    .unwrap();
    let (_, row) = wait_restore(&mut conn, "db1", "CANCELLED", Duration::from_secs(30)).await;
    assert_eq!(
        row["Status"],
        "[COMMON_ERROR, msg: Partition p1 in table t has different replication num '1' with partition in \
         repository, which is 2]"
    );
    assert_eq!(
        query_strings(&mut conn, "SELECT COUNT(*) FROM db1.t WHERE v = 'again'").await,
        [["1"]]
    );

    // Same name, different schema: CANCELLED, the table untouched.
    conn.query_drop("CREATE DATABASE db2").await.unwrap();
    conn.query_drop(
        "CREATE TABLE db2.t (k INT NOT NULL, v VARCHAR(64), extra INT) DUPLICATE KEY(k) \
         PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN ('100')) \
         DISTRIBUTED BY HASH(k) BUCKETS 2 PROPERTIES ('replication_num' = '1')",
    )
    .await
    .unwrap();
    conn.query_drop("INSERT INTO db2.t VALUES (5, 'mine', 1)")
        .await
        .unwrap();
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    let (_, row) = wait_restore(&mut conn, "db2", "CANCELLED", Duration::from_secs(30)).await;
    assert_eq!(
        row["Status"],
        "[COMMON_ERROR, msg: Table t already exist but with different schema, errMsg: ]"
    );
    assert_eq!(
        query_strings(&mut conn, "SELECT k, v FROM db2.t").await,
        [["5", "mine"]]
    );
    conn.query_drop("INSERT INTO db2.t VALUES (6, 'still writable', 2)")
        .await
        .unwrap();

    // Same schema but other buckets, and another replication number.
    conn.query_drop(
        "CREATE TABLE db2.b (k INT NOT NULL, v VARCHAR(64)) DUPLICATE KEY(k) \
         PARTITION BY RANGE(k) (PARTITION p1 VALUES LESS THAN ('100'), PARTITION p2 VALUES LESS THAN ('200')) \
         DISTRIBUTED BY HASH(k) BUCKETS 3 PROPERTIES ('replication_num' = '1')",
    )
    .await
    .unwrap();
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db2.s1 FROM r1 ON (t AS b) PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    let (_, row) = wait_restore(&mut conn, "db2", "CANCELLED", Duration::from_secs(30)).await;
    assert_eq!(
        row["Status"],
        "[COMMON_ERROR, msg: Table b already exist but with different schema, errMsg: Table name is inconsistent]"
    );
}

/// Slow enough that a restore of db1.t spends seconds in DOWNLOADING.
const SLOW_DOWNLOAD: &str = "download_rate_limit_bytes_per_second = 2000\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restoring_tables_are_locked_and_cancel_leaves_nothing_behind() {
    let (cluster, mut conn, _) = loaded_cluster(1, Some(SLOW_DOWNLOAD), 2).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    let restore = |db: &str| {
        format!(
            "RESTORE SNAPSHOT {db}.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
        )
    };

    // Over the existing table: locked while restoring, untouched by a cancel before COMMIT.
    conn.query_drop(restore("db1")).await.unwrap();
    wait_restore(&mut conn, "db1", "DOWNLOADING", Duration::from_secs(30)).await;
    expect_error(
        &mut conn,
        &restore("db1"),
        5064,
        "Can only run one backup or restore job of a database at same time",
    )
    .await;
    expect_error(
        &mut conn,
        "BACKUP SNAPSHOT db1.s9 TO r1",
        5064,
        "Can only run one backup or restore job of a database at same time",
    )
    .await;
    let err = conn.query_drop("SELECT * FROM db1.t").await.unwrap_err();
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!((e.code, e.state.as_str()), (5014, "HY000"), "{}", e.message);
    assert!(
        e.message.contains("Table state is not NORMAL: 'RESTORING'"),
        "{}",
        e.message
    );
    expect_error(
        &mut conn,
        "INSERT INTO db1.t VALUES (1, 'x')",
        5064,
        "Cannot write RESTORE state table \"t\"",
    )
    .await;
    expect_error(
        &mut conn,
        "DROP TABLE db1.t",
        5064,
        "The table [t]'s state is RESTORE, cannot be dropped. please cancel the operation on olap table \
         firstly. If you want to forcibly drop(cannot be recovered), please use \"DROP TABLE t FORCE\".",
    )
    .await;
    expect_error(
        &mut conn,
        "TRUNCATE TABLE db1.t",
        5064,
        "Table' state is not NORMAL: RESTORE",
    )
    .await;
    expect_error(
        &mut conn,
        "ALTER TABLE db1.t DROP PARTITION p2",
        5064,
        "Table[t]'s state is not NORMAL. Do not allow doing ALTER ops",
    )
    .await;
    let row = show_restore(&mut conn, "db1").await;
    assert!(
        row["Progress"].starts_with('[') && row["Progress"].contains("/"),
        "{row:?}"
    );
    assert!(row["UnfinishedTasks"].contains('='), "{row:?}");
    conn.query_drop("CANCEL RESTORE FROM db1").await.unwrap();
    let row = show_restore(&mut conn, "db1").await;
    assert_eq!(row["State"], "CANCELLED");
    assert_eq!(
        row["Status"],
        "[COMMON_ERROR, msg: user cancelled, current state: DOWNLOADING]"
    );
    assert_eq!(checksum(&mut conn, "db1.t").await, before);
    conn.query_drop("INSERT INTO db1.t VALUES (1, 'x')")
        .await
        .unwrap();

    // Into a new database: the job's table and replicas and staging go away.
    let tablets_before = be_tablets(&cluster);
    conn.query_drop(restore("db2")).await.unwrap();
    wait_restore(&mut conn, "db2", "DOWNLOADING", Duration::from_secs(30)).await;
    assert!(be_tablets(&cluster) > tablets_before);
    let staging = cluster.path().join("be0/storage/snapshot/restore");
    assert!(
        std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0) > 0,
        "{staging:?}"
    );
    conn.query_drop("CANCEL RESTORE FROM db2").await.unwrap();
    assert!(query_strings(&mut conn, "SHOW TABLES FROM db2").await.is_empty());
    let deadline = Instant::now() + Duration::from_secs(10);
    while be_tablets(&cluster) != tablets_before
        || std::fs::read_dir(&staging).map(|d| d.count()).unwrap_or(0) > 0
    {
        assert!(Instant::now() < deadline, "replicas or staging left behind");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Tablet replicas on BE 0's disk.
fn be_tablets(cluster: &TestCluster) -> usize {
    std::fs::read_dir(cluster.path().join("be0/storage/data"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fe_kill_9_in_every_restore_state_then_the_job_finishes() {
    let (mut cluster, mut conn, _) = loaded_cluster(2, None, 2).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    drop(conn);
    // Every state lasts a while, so the kill lands inside it.
    cluster.set_fe_conf("debug_job_step_delay_ms = 700\n");
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    for (i, state) in ["PENDING", "SNAPSHOTING", "DOWNLOADING", "COMMITTING"]
        .iter()
        .enumerate()
    {
        let db = format!("c{i}");
        let mut conn = cluster.conn().await;
        conn.query_drop(format!(
            "RESTORE SNAPSHOT {db}.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '2')"
        ))
        .await
        .unwrap();
        wait_restore(&mut conn, &db, state, Duration::from_secs(30)).await;
        drop(conn);
        cluster.kill_fe();
        cluster.start_fe(0, 0).await;
        let mut conn = cluster.conn().await;
        let (_, row) = wait_restore(&mut conn, &db, "FINISHED", Duration::from_secs(60)).await;
        assert_eq!(row["Status"], "[OK]", "killed in {state}");
        assert_eq!(
            checksum(&mut conn, &format!("{db}.t")).await,
            before,
            "killed in {state}"
        );
        conn.query_drop(format!("INSERT INTO {db}.t VALUES (1, 'x')"))
            .await
            .unwrap();
    }
    // Nothing of the source was touched.
    let mut conn = cluster.conn().await;
    assert_eq!(checksum(&mut conn, "db1.t").await, before);

    // Timeout: a 600 s job whose seconds last 10 ms is cancelled with the TIMEOUT text.
    drop(conn);
    let mut conn = cluster
        .restart_fe_with_conf("debug_job_step_delay_ms = 2000\ndebug_timeout_millis_per_second = 10\n")
        .await;
    conn.query_drop(format!(
        "RESTORE SNAPSHOT late.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1', 'timeout' = '600')"
    ))
    .await
    .unwrap();
    let (_, row) = wait_restore(&mut conn, "late", "CANCELLED", Duration::from_secs(30)).await;
    assert_eq!(
        row["Status"],
        "[TIMEOUT, msg: restore job with label: s1  timeout.]"
    );
    assert_eq!(row["Timeout"], "600");
    assert!(query_strings(&mut conn, "SHOW TABLES FROM late").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn be_kill_9_while_downloading_is_retried_then_cancelled() {
    let (mut cluster, mut conn, _) = loaded_cluster(2, Some(SLOW_DOWNLOAD), 2).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    let restore = |db: &str| {
        format!(
            "RESTORE SNAPSHOT {db}.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '2')"
        )
    };
    // The BE comes back while the task is retried: the job finishes.
    conn.query_drop(restore("db2")).await.unwrap();
    wait_restore(&mut conn, "db2", "DOWNLOADING", Duration::from_secs(30)).await;
    cluster.kill_be(1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while show_restore(&mut conn, "db2").await["TaskErrMsg"].is_empty() {
        assert!(Instant::now() < deadline, "no task error after the BE died");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.restart_be(1);
    let (_, row) = wait_restore(&mut conn, "db2", "FINISHED", Duration::from_secs(90)).await;
    assert_eq!(row["Status"], "[OK]");
    assert_eq!(checksum(&mut conn, "db2.t").await, before);

    // The BE stays down: retries run out, CANCELLED with the backend's error.
    conn.query_drop(restore("db3")).await.unwrap();
    wait_restore(&mut conn, "db3", "DOWNLOADING", Duration::from_secs(30)).await;
    cluster.kill_be(1);
    let (_, row) = wait_restore(&mut conn, "db3", "CANCELLED", Duration::from_secs(90)).await;
    assert!(
        row["Status"].starts_with("[COMMON_ERROR, msg: backend "),
        "{row:?}"
    );
    assert!(row["TaskErrMsg"].contains("backend "), "{row:?}");
    assert!(query_strings(&mut conn, "SHOW TABLES FROM db3").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_or_missing_repository_files_cancel_with_the_target_untouched() {
    let (_cluster, mut conn, repo_dir) = loaded_cluster(1, None, 2).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    let data = crate::backup::data_files(&repo_dir);
    assert!(data.len() >= 2, "{data:?}");
    let restore = format!(
        "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    );

    // Same size, other bytes: the md5 check catches it.
    let victim = repo_dir.join(&data[0]);
    let mut bytes = std::fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&victim, &bytes).unwrap();
    conn.query_drop(&restore).await.unwrap();
    let (_, row) = wait_restore(&mut conn, "db1", "CANCELLED", Duration::from_secs(30)).await;
    assert!(row["Status"].starts_with("[BAD_FILE, msg: "), "{row:?}");
    // The status names the damaged file (its full path in the repository) and the tablet.
    assert!(row["Status"].contains(&data[0]), "{row:?}");
    assert!(row["Status"].contains("tablet "), "{row:?}");
    assert_eq!(checksum(&mut conn, "db1.t").await, before);
    conn.query_drop("INSERT INTO db1.t VALUES (1, 'x')")
        .await
        .unwrap();

    // A file gone from the repository (the damaged one repaired).
    bytes[mid] ^= 0xff;
    std::fs::write(&victim, &bytes).unwrap();
    std::fs::remove_file(repo_dir.join(&data[1])).unwrap();
    conn.query_drop(restore.replace("db1.s1", "db2.s1"))
        .await
        .unwrap();
    let (_, row) = wait_restore(&mut conn, "db2", "CANCELLED", Duration::from_secs(30)).await;
    assert!(row["Status"].starts_with("[NOT_FOUND, msg: "), "{row:?}");
    assert!(query_strings(&mut conn, "SHOW TABLES FROM db2").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_cluster_restores_from_the_same_repository() {
    let (_a, mut conn_a, repo_dir) = loaded_cluster(2, None, 3).await;
    let before = checksum(&mut conn_a, "db1.t").await;
    let ts = backup_db1(&mut conn_a, "s1").await;

    let b = TestCluster::start(1).await;
    let mut conn = b.conn().await;
    crate::backup::create_r1(&mut conn, &repo_dir, true).await;
    let snaps = query_strings(&mut conn, "SHOW SNAPSHOT ON r1").await;
    assert_eq!((snaps[0][0].as_str(), snaps[0][1].as_str()), ("s1", ts.as_str()));
    conn.query_drop(format!(
        "RESTORE SNAPSHOT s1 FROM r1 DATABASE db1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    wait_restore(&mut conn, "db1", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(checksum(&mut conn, "db1.t").await, before);
    conn.query_drop("INSERT INTO db1.t VALUES (1, 'b')")
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_in_every_state_removes_what_the_job_created() {
    let (mut cluster, mut conn, _) = loaded_cluster(1, None, 1).await;
    let ts = backup_db1(&mut conn, "s1").await;
    drop(conn);
    let mut conn = cluster
        .restart_fe_with_conf("debug_job_step_delay_ms = 700\n")
        .await;
    let tablets_before = be_tablets(&cluster);
    for (i, state) in ["PENDING", "SNAPSHOTING", "DOWNLOADING", "COMMITTING"]
        .iter()
        .enumerate()
    {
        let db = format!("c{i}");
        conn.query_drop(format!(
            "RESTORE SNAPSHOT {db}.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
        ))
        .await
        .unwrap();
        if i == 0 {
            // Jobs of different databases run side by side.
            conn.query_drop("BACKUP SNAPSHOT db1.s2 TO r1").await.unwrap();
        }
        wait_restore(&mut conn, &db, state, Duration::from_secs(30)).await;
        conn.query_drop(format!("CANCEL RESTORE FROM {db}"))
            .await
            .unwrap();
        let row = show_restore(&mut conn, &db).await;
        assert_eq!(
            (row["State"].as_str(), row["Status"].as_str()),
            (
                "CANCELLED",
                format!("[COMMON_ERROR, msg: user cancelled, current state: {state}]").as_str()
            )
        );
        assert!(
            query_strings(&mut conn, &format!("SHOW TABLES FROM {db}"))
                .await
                .is_empty()
        );
    }
    wait_state(&mut conn, "FINISHED", Duration::from_secs(30)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while be_tablets(&cluster) != tablets_before {
        assert!(Instant::now() < deadline, "replicas left behind");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
