//! The fault matrix of issue 18: the FE is killed (`kill -9`) in every state
//! of both kinds of job, running and paused; every job ends FINISHED with
//! identical data (full-table checksum).

use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::backup::{loaded_cluster, show_backup, wait_state};
use crate::harness::TestCluster;
use crate::query_strings;
use crate::restore::{backup_db1, checksum, expect_error, show_restore, wait_restore};

/// Each state lasts this long (a test-only knob), so the kill lands inside it.
const STEP_DELAY: &str = "debug_job_step_delay_ms = 400\n";

async fn kill_and_restart(cluster: &mut TestCluster) -> mysql_async::Conn {
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    cluster.conn().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restores_killed_in_every_state_running_or_paused_finish_with_identical_data() {
    let (mut cluster, mut conn, _) = loaded_cluster(1, None, 2).await;
    let before = checksum(&mut conn, "db1.t").await;
    let ts = backup_db1(&mut conn, "s1").await;
    drop(conn);
    let mut conn = cluster.restart_fe_with_conf(STEP_DELAY).await;
    let states = [
        "PENDING",
        "SNAPSHOTING",
        "DOWNLOAD",
        "DOWNLOADING",
        "COMMIT",
        "COMMITTING",
    ];
    for (i, state) in states.iter().enumerate() {
        for paused in [false, true] {
            let db = format!("r{i}{}", if paused { "p" } else { "" });
            let case = format!("{state}, paused: {paused}");
            conn.query_drop(format!(
                "RESTORE SNAPSHOT {db}.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
            ))
            .await
            .unwrap();
            wait_restore(&mut conn, &db, state, Duration::from_secs(30)).await;
            // A restore that began to commit finishes rather than pause.
            let committing = state.starts_with("COMMIT");
            if paused && committing {
                let err = conn
                    .query_drop(format!("PAUSE RESTORE FROM {db}"))
                    .await
                    .expect_err("no pause while committing");
                assert!(err.to_string().contains("can not be paused"), "{case}: {err}");
            } else if paused {
                conn.query_drop(format!("PAUSE RESTORE FROM {db}")).await.unwrap();
            }
            drop(conn);
            conn = kill_and_restart(&mut cluster).await;
            if paused && !committing {
                tokio::time::sleep(Duration::from_millis(600)).await;
                assert_eq!(show_restore(&mut conn, &db).await["State"], "PAUSED", "{case}");
                conn.query_drop(format!("RESUME RESTORE FROM {db}"))
                    .await
                    .unwrap();
            }
            let (_, row) = wait_restore(&mut conn, &db, "FINISHED", Duration::from_secs(60)).await;
            assert_eq!(row["Status"], "[OK]", "{case}");
            assert_eq!(checksum(&mut conn, &format!("{db}.t")).await, before, "{case}");
        }
    }
    // Nothing is left to steer.
    expect_error(
        &mut conn,
        "RESUME RESTORE FROM r5p",
        5064,
        "No restore is currently running",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_killed_in_every_state_running_or_paused_finish_with_identical_data() {
    let (mut cluster, conn, _) = loaded_cluster(1, None, 2).await;
    drop(conn);
    let mut conn = cluster.restart_fe_with_conf(STEP_DELAY).await;
    let before = checksum(&mut conn, "db1.t").await;
    let states = [
        "PENDING",
        "SNAPSHOTING",
        "UPLOAD_SNAPSHOT",
        "UPLOADING",
        "SAVE_META",
        "UPLOAD_INFO",
    ];
    let mut labels = Vec::new();
    for (i, state) in states.iter().enumerate() {
        for paused in [false, true] {
            let label = format!("b{i}{}", if paused { "p" } else { "" });
            let case = format!("{state}, paused: {paused}");
            conn.query_drop(format!("BACKUP SNAPSHOT db1.{label} TO r1"))
                .await
                .unwrap();
            wait_state(&mut conn, state, Duration::from_secs(30)).await;
            if paused {
                conn.query_drop("PAUSE BACKUP FROM db1").await.unwrap();
            }
            drop(conn);
            conn = kill_and_restart(&mut cluster).await;
            if paused {
                tokio::time::sleep(Duration::from_millis(600)).await;
                assert_eq!(show_backup(&mut conn).await["State"], "PAUSED", "{case}");
                conn.query_drop("RESUME BACKUP FROM db1").await.unwrap();
            }
            wait_state(&mut conn, "FINISHED", Duration::from_secs(60)).await;
            assert_eq!(show_backup(&mut conn).await["Status"], "[OK]", "{case}");
            labels.push(label);
        }
    }
    // Every snapshot restores to the data backed up, all at once.
    drop(conn);
    let mut conn = cluster.restart_fe_with_conf("").await;
    let mut dbs = Vec::new();
    for label in &labels {
        let rows = query_strings(
            &mut conn,
            &format!("SHOW SNAPSHOT ON r1 WHERE SNAPSHOT = '{label}'"),
        )
        .await;
        assert_eq!(rows.len(), 1, "{label}: {rows:?}");
        let db = format!("x{label}");
        conn.query_drop(format!(
            "RESTORE SNAPSHOT {db}.{label} FROM r1 PROPERTIES ('backup_timestamp' = '{}', 'replication_num' = '1')",
            rows[0][1]
        ))
        .await
        .unwrap();
        dbs.push(db);
    }
    for db in dbs {
        wait_restore(&mut conn, &db, "FINISHED", Duration::from_secs(120)).await;
        assert_eq!(checksum(&mut conn, &format!("{db}.t")).await, before, "{db}");
    }
}
