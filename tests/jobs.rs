//! Job control beyond StarRocks (issue 18): PAUSE and RESUME of BACKUP and
//! RESTORE, through the real binaries.

use std::collections::BTreeMap;
use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::backup::{loaded_cluster, show_backup, wait_state};
use crate::query_strings;
use crate::restore::{backup_db1, checksum, expect_error, show_restore, wait_restore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_restore_stays_paused_across_a_restart_and_resumes_to_identical_data() {
    let (mut cluster, mut conn, _) = loaded_cluster(1, None, 3).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    drop(conn);
    // Each state lasts long enough to be paused in (a test-only knob).
    let mut conn = cluster
        .restart_fe_with_conf("debug_job_step_delay_ms = 1000\n")
        .await;
    let restore = format!(
        "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    );
    // Nothing to pause or resume yet.
    conn.query_drop("CREATE DATABASE db2").await.unwrap();
    expect_error(
        &mut conn,
        "PAUSE RESTORE FROM db2",
        5064,
        "No restore is currently running",
    )
    .await;
    expect_error(
        &mut conn,
        "PAUSE RESTORE FROM nodb",
        5501,
        "Getting analyzing error. Detail message: Unknown database 'nodb'.",
    )
    .await;
    conn.query_drop("DROP DATABASE db2").await.unwrap();

    conn.query_drop(&restore).await.unwrap();
    wait_restore(&mut conn, "db2", "DOWNLOAD", Duration::from_secs(30)).await;
    conn.query_drop("PAUSE RESTORE FROM db2").await.unwrap();
    let row = show_restore(&mut conn, "db2").await;
    assert_eq!(row["State"], "PAUSED", "{row:?}");
    expect_error(
        &mut conn,
        "PAUSE RESTORE FROM db2",
        5064,
        "Job with label s1 is already paused",
    )
    .await;
    // It holds the database's job slot, and stays paused.
    let err = conn.query_drop(&restore).await.expect_err("one job per database");
    assert!(
        err.to_string().contains("Can only run one backup or restore job"),
        "{err}"
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(show_restore(&mut conn, "db2").await["State"], "PAUSED");

    // kill -9: still paused after the restart.
    drop(conn);
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    let mut conn = cluster.conn().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(show_restore(&mut conn, "db2").await["State"], "PAUSED");

    conn.query_drop("RESUME RESTORE FROM db2").await.unwrap();
    expect_error(
        &mut conn,
        "RESUME RESTORE FROM db2",
        5064,
        "Job with label s1 is not paused",
    )
    .await;
    wait_restore(&mut conn, "db2", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(checksum(&mut conn, "db2.t").await, before);
    expect_error(
        &mut conn,
        "PAUSE RESTORE FROM db2",
        5064,
        "No restore is currently running",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_backup_resumes_and_its_snapshot_restores() {
    let (cluster, mut conn, _) =
        loaded_cluster(1, Some("upload_rate_limit_bytes_per_second = 20000\n"), 3).await;
    let before = checksum(&mut conn, "db1.t").await;
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    wait_state(&mut conn, "UPLOADING", Duration::from_secs(30)).await;
    conn.query_drop("PAUSE BACKUP FROM db1").await.unwrap();
    assert_eq!(show_backup(&mut conn).await["State"], "PAUSED");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(show_backup(&mut conn).await["State"], "PAUSED");
    conn.query_drop("RESUME BACKUP FROM db1").await.unwrap();
    wait_state(&mut conn, "FINISHED", Duration::from_secs(60)).await;
    // SHOW BACKUP's WHERE, ORDER BY and LIMIT apply to its rows (they used to be ignored).
    let count = |rows: Vec<Vec<String>>| rows.len();
    assert_eq!(
        count(query_strings(&mut conn, "SHOW BACKUP FROM db1 WHERE State = 'FINISHED'").await),
        1
    );
    assert_eq!(
        count(query_strings(&mut conn, "SHOW BACKUP WHERE SnapshotName = 'other'").await),
        0
    );
    assert_eq!(
        count(query_strings(&mut conn, "SHOW BACKUP FROM db1 ORDER BY CreateTime LIMIT 0").await),
        0
    );
    let err = conn
        .query_drop("SHOW BACKUP FROM db1 WHERE NoSuchColumn = 1")
        .await
        .expect_err("unknown column");
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert!(e.message.contains("nosuchcolumn"), "{}", e.message);
    let ts = query_strings(&mut conn, "SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = 's1'").await[0][1].clone();
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db3.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    wait_restore(&mut conn, "db3", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(checksum(&mut conn, "db3.t").await, before);
    // A user without REPOSITORY may not steer jobs.
    conn.query_drop("CREATE USER op IDENTIFIED BY 'o'").await.unwrap();
    let mut op = mysql_async::Conn::new(cluster.opts_as("op", "o")).await.unwrap();
    let err = op.query_drop("PAUSE BACKUP FROM db1").await.expect_err("denied");
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!(e.code, 5203, "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_pauses_on_its_error_finishes_once_the_cause_is_fixed() {
    let (_cluster, mut conn, repo_dir) = loaded_cluster(1, None, 2).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    let data = crate::backup::data_files(&repo_dir);
    // A file goes missing from the repository.
    let victim = repo_dir.join(&data[0]);
    let kept = std::fs::read(&victim).unwrap();
    std::fs::remove_file(&victim).unwrap();
    expect_error(
        &mut conn,
        &format!(
            "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'debug_pause_on' = 'sometimes')"
        ),
        5064,
        "Getting analyzing error. Detail message: Invalid debug_pause_on value: sometimes; allowed values: error, never.",
    )
    .await;
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1', \
         'debug_pause_on' = 'error')"
    ))
    .await
    .unwrap();
    // Instead of CANCELLED: PAUSED, with the error in Status.
    let (_, row) = wait_restore(&mut conn, "db2", "PAUSED", Duration::from_secs(60)).await;
    assert!(row["Status"].starts_with("[NOT_FOUND, msg: "), "{row:?}");
    // The cause is fixed; RESUME finishes it with the right data.
    std::fs::write(&victim, kept).unwrap();
    conn.query_drop("RESUME RESTORE FROM db2").await.unwrap();
    let (_, row) = wait_restore(&mut conn, "db2", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(row["Status"], "[OK]", "{row:?}");
    assert_eq!(checksum(&mut conn, "db2.t").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_steered_by_id_too() {
    let (_cluster, mut conn, _) =
        loaded_cluster(1, Some("upload_rate_limit_bytes_per_second = 20000\n"), 3).await;
    expect_error(&mut conn, "PAUSE JOB 999999", 5064, "Unknown job id 999999").await;
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    wait_state(&mut conn, "UPLOADING", Duration::from_secs(30)).await;
    let id = show_backup(&mut conn).await["JobId"].clone();
    conn.query_drop(format!("PAUSE JOB {id}")).await.unwrap();
    assert_eq!(show_backup(&mut conn).await["State"], "PAUSED");
    conn.query_drop(format!("RESUME JOB {id}")).await.unwrap();
    assert_ne!(show_backup(&mut conn).await["State"], "PAUSED");
    conn.query_drop(format!("CANCEL JOB {id}")).await.unwrap();
    let row = show_backup(&mut conn).await;
    assert_eq!(
        (row["State"].as_str(), row["Status"].as_str()),
        ("CANCELLED", "[COMMON_ERROR, msg: user cancelled]")
    );
    expect_error(
        &mut conn,
        &format!("RESUME JOB {id}"),
        5064,
        "No backup job is currently running",
    )
    .await;
}

/// `SHOW JOBS <tail>` as rows of column → value (`NULL` for SQL NULL).
async fn show_jobs(conn: &mut mysql_async::Conn, tail: &str) -> Vec<BTreeMap<String, String>> {
    let sql = format!("SHOW JOBS {tail}");
    let rows: Vec<mysql_async::Row> = conn.query(&sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let names: Vec<&str> = vec![
        "JobId",
        "Type",
        "DbName",
        "Label",
        "State",
        "FractionCompleted",
        "BytesDone",
        "BytesTotal",
        "RowsDone",
        "BytesPerSecond",
        "EtaSeconds",
        "CreateTime",
        "FinishTime",
        "Error",
    ];
    rows.into_iter()
        .map(|r| {
            let got: Vec<String> = r.columns_ref().iter().map(|c| c.name_str().to_string()).collect();
            assert_eq!(got, names);
            (0..r.len())
                .map(|i| {
                    let v = match r.as_ref(i).unwrap() {
                        mysql_async::Value::NULL => "NULL".to_string(),
                        mysql_async::Value::Bytes(b) => String::from_utf8_lossy(b).to_string(),
                        v => v.as_sql(true),
                    };
                    (names[i].to_string(), v)
                })
                .collect()
        })
        .collect()
}

/// Polls SHOW JOBS (up to a minute) until a job matches `condition`; returns it.
async fn first_job_where(conn: &mut mysql_async::Conn, condition: &str) -> BTreeMap<String, String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(row) = show_jobs(conn, &format!("WHERE {condition}"))
            .await
            .into_iter()
            .next()
        {
            return row;
        }
        assert!(std::time::Instant::now() < deadline, "no job with {condition}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn num(row: &BTreeMap<String, String>, column: &str) -> u64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column}: {row:?}"))
}

/// Bytes of every tablet file of snapshot `label` in the repository.
fn snapshot_content_bytes(repo_dir: &std::path::Path, label: &str) -> u64 {
    crate::backup::tree(repo_dir)
        .iter()
        .filter(|f| f.contains(&format!("__ss_{label}/__ss_content/")))
        .map(|f| std::fs::metadata(repo_dir.join(f)).unwrap().len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_jobs_lists_every_job_with_its_bytes_and_keeps_them_across_restarts() {
    let (mut cluster, mut conn, repo_dir) =
        loaded_cluster(1, Some("upload_rate_limit_bytes_per_second = 5000\n"), 6).await;
    assert!(show_jobs(&mut conn, "").await.is_empty());

    // While it uploads: bytes from the BE's counters, a rate, no finish time.
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    let running = first_job_where(&mut conn, "State = 'UPLOADING' AND BytesDone > 0").await;
    assert_eq!(
        (running["Type"].as_str(), running["Label"].as_str()),
        ("BACKUP", "s1")
    );
    assert_eq!(
        (running["FinishTime"].as_str(), running["Error"].as_str()),
        ("NULL", "NULL")
    );
    assert!(
        num(&running, "BytesTotal") >= num(&running, "BytesDone"),
        "{running:?}"
    );
    assert_ne!(running["BytesPerSecond"], "NULL");
    wait_state(&mut conn, "FINISHED", Duration::from_secs(60)).await;

    let total = snapshot_content_bytes(&repo_dir, "s1");
    let rows = show_jobs(&mut conn, "").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let done = &rows[0];
    assert_eq!(done["State"], "FINISHED");
    assert_eq!(done["FractionCompleted"].parse::<f64>().unwrap(), 1.0);
    assert_eq!((num(done, "BytesDone"), num(done, "BytesTotal")), (total, total));
    assert_eq!(num(done, "RowsDone"), 300);
    assert_ne!(done["FinishTime"], "NULL");
    assert_eq!(done["BytesPerSecond"], "NULL");

    // "wait": the statement returns when the job ended, with its numbers.
    let ts = query_strings(&mut conn, "SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = 's1'").await[0][1].clone();
    expect_error(
        &mut conn,
        &format!(
            "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'wait' = 'maybe')"
        ),
        5064,
        "Getting analyzing error. Detail message: Invalid wait value: maybe; allowed values: true, false.",
    )
    .await;
    let answer = query_strings(
        &mut conn,
        &format!(
            "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1', \
             'wait' = 'true')"
        ),
    )
    .await;
    let restore_id = show_restore(&mut conn, "db2").await["JobId"].clone();
    assert_eq!(
        answer,
        [vec![
            restore_id,
            "FINISHED".into(),
            "1".into(),
            "300".into(),
            total.to_string()
        ]]
    );
    assert_eq!(
        checksum(&mut conn, "db2.t").await,
        checksum(&mut conn, "db1.t").await
    );

    // A client that stops waiting leaves the job running (each state lasts
    // half a second meanwhile).
    conn.query_drop("ADMIN SET FRONTEND CONFIG ('debug_job_step_delay_ms' = '500')")
        .await
        .unwrap();
    let waiting = tokio::spawn({
        let opts = cluster.opts();
        let sql = format!(
            "RESTORE SNAPSHOT db3.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1', \
             'wait' = 'true')"
        );
        async move {
            let mut c = mysql_async::Conn::new(opts).await.unwrap();
            c.query_drop(sql).await
        }
    });
    first_job_where(&mut conn, "DbName = 'db3' AND State = 'DOWNLOAD'").await;
    waiting.abort();
    let _ = waiting.await;
    wait_restore(&mut conn, "db3", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(
        checksum(&mut conn, "db3.t").await,
        checksum(&mut conn, "db1.t").await
    );
    conn.query_drop("ADMIN SET FRONTEND CONFIG ('debug_job_step_delay_ms' = '0')")
        .await
        .unwrap();

    // A cancelled job keeps its error; db1's newer job does not push s1 out.
    conn.query_drop("BACKUP SNAPSHOT db1.s2 TO r1").await.unwrap();
    conn.query_drop("CANCEL BACKUP FROM db1").await.unwrap();
    // Oldest first, by submit time.
    let rows = show_jobs(&mut conn, "").await;
    let states: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["Type"].as_str(),
                r["DbName"].as_str(),
                r["Label"].as_str(),
                r["State"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("BACKUP", "db1", "s1", "FINISHED"),
            ("RESTORE", "db2", "s1", "FINISHED"),
            ("RESTORE", "db3", "s1", "FINISHED"),
            ("BACKUP", "db1", "s2", "CANCELLED")
        ]
    );
    assert_eq!(rows[3]["Error"], "[COMMON_ERROR, msg: user cancelled]");
    let labels: Vec<String> = show_jobs(&mut conn, "ORDER BY Type DESC, DbName DESC LIMIT 2")
        .await
        .into_iter()
        .map(|r| format!("{} {}", r["Type"], r["DbName"]))
        .collect();
    assert_eq!(labels, ["RESTORE db3", "RESTORE db2"]);
    assert_eq!(show_jobs(&mut conn, "FROM db2").await.len(), 1);
    assert_eq!(
        show_jobs(&mut conn, "WHERE Type = 'BACKUP' AND BytesTotal > 0 LIMIT 5")
            .await
            .len(),
        1
    );

    // /metrics: authenticated, with the jobs by state and the BE's counters.
    assert_eq!(crate::security::http_get(&cluster, "/metrics", None).0, 401);
    // The BEs' counters arrive with their heartbeats.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (code, text) = crate::security::http_get(&cluster, "/metrics", Some("root:"));
        assert_eq!(code, 200, "{text}");
        assert!(
            text.contains("starling_jobs{state=\"FINISHED\",type=\"BACKUP\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("starling_jobs{state=\"CANCELLED\",type=\"BACKUP\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("starling_jobs{state=\"FINISHED\",type=\"RESTORE\"} 2"),
            "{text}"
        );
        let uploaded: u64 = text
            .lines()
            .find(|l| {
                l.starts_with("starling_backend_transfer_bytes_total") && l.contains("direction=\"upload\"")
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{text}"));
        if uploaded >= total {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{uploaded} < {total}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The history survives kill -9 ...
    drop(conn);
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    let mut conn = cluster.conn().await;
    assert_eq!(show_jobs(&mut conn, "").await.len(), 4);
    // ... and is kept job_history_keep_seconds.
    drop(conn);
    let mut conn = cluster
        .restart_fe_with_conf("job_history_keep_seconds = 0\n")
        .await;
    assert!(show_jobs(&mut conn, "").await.is_empty());
    assert_eq!(
        show_backup(&mut conn).await["SnapshotName"],
        "s2",
        "SHOW BACKUP keeps the last job"
    );
}

/// The BEs' `direction` transfer counter from `/metrics`, once it stopped
/// changing (the counters arrive with heartbeats, one a second).
async fn settled_transfer_bytes(cluster: &crate::harness::TestCluster, direction: &str) -> u64 {
    let read = || {
        let (code, text) = crate::security::http_get(cluster, "/metrics", Some("root:"));
        assert_eq!(code, 200, "{text}");
        text.lines()
            .filter(|l| {
                l.starts_with("starling_backend_transfer_bytes_total")
                    && l.contains(&format!("direction=\"{direction}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum::<u64>()
    };
    let mut last = read();
    loop {
        tokio::time::sleep(Duration::from_millis(1300)).await;
        let now = read();
        if now == last {
            return now;
        }
        last = now;
    }
}

/// Polls SHOW JOBS until the running job of `db` has at least `share` of its bytes in place.
async fn wait_share(conn: &mut mysql_async::Conn, db: &str, share: f64) -> BTreeMap<String, String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let rows = show_jobs(conn, &format!("FROM {db} WHERE FinishTime IS NULL")).await;
        if let Some(row) = rows.into_iter().next() {
            let total = num(&row, "BytesTotal");
            if total > 0 && num(&row, "BytesDone") as f64 >= share * total as f64 {
                return row;
            }
        }
        assert!(std::time::Instant::now() < deadline, "{db} never reached {share}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The largest tablet file of snapshot `label`.
fn largest_content_file(repo_dir: &std::path::Path, label: &str) -> u64 {
    crate::backup::tree(repo_dir)
        .iter()
        .filter(|f| f.contains(&format!("__ss_{label}/__ss_content/")))
        .map(|f| std::fs::metadata(repo_dir.join(f)).unwrap().len())
        .max()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_jobs_do_not_transfer_finished_files_again() {
    let (mut cluster, mut conn, repo_dir) = loaded_cluster(
        1,
        Some("upload_rate_limit_bytes_per_second = 6000\ndownload_rate_limit_bytes_per_second = 6000\n"),
        6,
    )
    .await;
    let before = checksum(&mut conn, "db1.t").await;

    // BACKUP: paused at 40 %, resumed; then the FE is killed at 70 % and restarted.
    let uploaded_before = settled_transfer_bytes(&cluster, "upload").await;
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    let at_pause = wait_share(&mut conn, "db1", 0.4).await;
    conn.query_drop("PAUSE BACKUP FROM db1").await.unwrap();
    conn.query_drop("RESUME BACKUP FROM db1").await.unwrap();
    wait_share(&mut conn, "db1", 0.7).await;
    drop(conn);
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    let mut conn = cluster.conn().await;
    wait_state(&mut conn, "FINISHED", Duration::from_secs(60)).await;
    let total = snapshot_content_bytes(&repo_dir, "s1");
    let sent = settled_transfer_bytes(&cluster, "upload").await - uploaded_before;
    // Only a file in flight at each interruption may go twice; without
    // checkpoints the bytes done before them would.
    let slack = 2 * largest_content_file(&repo_dir, "s1");
    assert!(num(&at_pause, "BytesDone") > slack, "{at_pause:?}");
    assert!(sent >= total && sent <= total + slack, "sent {sent} of {total}");
    let row = show_jobs(&mut conn, "FROM db1").await.remove(0);
    assert_eq!(
        (num(&row, "BytesDone"), num(&row, "BytesTotal")),
        (total, total),
        "{row:?}"
    );

    // RESTORE: the same interruptions while downloading.
    let ts = query_strings(&mut conn, "SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = 's1'").await[0][1].clone();
    let downloaded_before = settled_transfer_bytes(&cluster, "download").await;
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    wait_share(&mut conn, "db2", 0.4).await;
    conn.query_drop("PAUSE RESTORE FROM db2").await.unwrap();
    assert_eq!(show_jobs(&mut conn, "FROM db2").await[0]["State"], "PAUSED");
    conn.query_drop("RESUME RESTORE FROM db2").await.unwrap();
    wait_share(&mut conn, "db2", 0.7).await;
    drop(conn);
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    let mut conn = cluster.conn().await;
    wait_restore(&mut conn, "db2", "FINISHED", Duration::from_secs(60)).await;
    let fetched = settled_transfer_bytes(&cluster, "download").await - downloaded_before;
    assert!(
        fetched >= total && fetched <= total + slack,
        "fetched {fetched} of {total}"
    );
    assert_eq!(checksum(&mut conn, "db2.t").await, before);
    // A BE restart: its counters start again from 0, so what it moved before
    // is read from disk (whole files in the repository or in its staging
    // directory) and what it moves after from its counter.
    conn.query_drop("BACKUP SNAPSHOT db1.s2 TO r1").await.unwrap();
    wait_share(&mut conn, "db1", 0.4).await;
    cluster.kill_be(0);
    let uploaded = whole_files_bytes(&repo_dir.join("__starrocks_repository_r1/__ss_s2/__ss_content"));
    cluster.restart_be(0);
    wait_state(&mut conn, "FINISHED", Duration::from_secs(120)).await;
    let total2 = snapshot_content_bytes(&repo_dir, "s2");
    let after = settled_transfer_bytes(&cluster, "upload").await;
    assert!(uploaded > slack, "{uploaded} uploaded before the restart");
    assert!(
        after + uploaded <= total2 + slack,
        "{after} after + {uploaded} before, of {total2}"
    );

    conn.query_drop(format!(
        "RESTORE SNAPSHOT db3.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    wait_share(&mut conn, "db3", 0.4).await;
    cluster.kill_be(0);
    let staged = whole_files_bytes(&cluster.path().join("be0/storage/snapshot/restore"));
    cluster.restart_be(0);
    wait_restore(&mut conn, "db3", "FINISHED", Duration::from_secs(120)).await;
    let after = settled_transfer_bytes(&cluster, "download").await;
    assert!(staged > slack, "{staged} staged before the restart");
    assert!(
        after + staged <= total + slack,
        "{after} after + {staged} before, of {total}"
    );
    assert_eq!(checksum(&mut conn, "db3.t").await, before);
}

/// Bytes of the complete files under `dir` (not the `.part` files of transfers in flight).
fn whole_files_bytes(dir: &std::path::Path) -> u64 {
    crate::backup::tree(dir)
        .iter()
        .filter(|f| !f.ends_with(".part"))
        .map(|f| std::fs::metadata(dir.join(f)).unwrap().len())
        .sum()
}

/// Runs `starling watch <args>` against the cluster's FE; returns (exit code, stdout, stderr).
async fn watch(cluster: &crate::harness::TestCluster, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_starling"))
        .arg("watch")
        .args(["-P", &cluster.query_port.to_string(), "-u", "root"])
        .args(args)
        .output()
        .await
        .expect("starling watch");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starling_watch_follows_jobs_until_they_end() {
    let (cluster, mut conn, _) =
        loaded_cluster(1, Some("upload_rate_limit_bytes_per_second = 5000\n"), 6).await;
    let (code, _, err) = watch(&cluster, &[]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no running job to watch"), "{err}");
    let (code, _, err) = watch(&cluster, &["424242"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no job 424242"), "{err}");

    // Every running job, until it FINISHED: exit status 0.
    conn.query_drop("BACKUP SNAPSHOT db1.s1 TO r1").await.unwrap();
    let (code, out, err) = watch(&cluster, &[]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("BACKUP db1.s1 FINISHED"), "{out}");
    assert_eq!(show_backup(&mut conn).await["State"], "FINISHED");

    // One job by id, cancelled while watched: exit status 1.
    conn.query_drop("BACKUP SNAPSHOT db1.s2 TO r1").await.unwrap();
    wait_state(&mut conn, "UPLOADING", Duration::from_secs(30)).await;
    let id = show_backup(&mut conn).await["JobId"].clone();
    let watching = tokio::spawn({
        let args = [id.clone()];
        let port = cluster.query_port;
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_starling"))
                .args(["watch", "-P", &port.to_string(), &args[0]])
                .output()
                .await
                .expect("starling watch")
        }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    conn.query_drop("CANCEL BACKUP FROM db1").await.unwrap();
    let out = watching.await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{id} BACKUP db1.s2 CANCELLED")) && stdout.contains("user cancelled"),
        "{stdout}"
    );
}
