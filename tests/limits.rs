//! Live limits (issue 18): `ADMIN SET/SHOW FRONTEND CONFIG`,
//! `information_schema.be_configs` and the BE's `POST /api/update_config`,
//! and a running restore that adopts a new rate limit.

use std::process::Command;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

use crate::backup::loaded_cluster;
use crate::query_strings;
use crate::restore::{backup_db1, checksum, expect_error, wait_restore};

/// `curl -X POST` to BE `i`'s HTTP port as `user`; returns (status, body).
fn post_be(cluster: &crate::harness::TestCluster, i: usize, path: &str, user: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-X", "POST", "-w", "\n%{http_code}"]);
    if let Some(user) = user {
        cmd.args(["-u", user]);
    }
    let out = cmd
        .arg(format!("http://127.0.0.1:{}{path}", cluster.be_http_ports[i]))
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_string())
}

/// The BytesDone of db2's running restore, from SHOW JOBS.
async fn bytes_done(conn: &mut mysql_async::Conn) -> u64 {
    let rows = query_strings(conn, "SHOW JOBS FROM db2").await;
    rows.last().map_or(0, |r| r[6].parse().unwrap())
}

/// Bytes per second the restore moves over `window`.
async fn measured_rate(conn: &mut mysql_async::Conn, window: Duration) -> f64 {
    let (t0, b0) = (Instant::now(), bytes_done(conn).await);
    tokio::time::sleep(window).await;
    let (t1, b1) = (Instant::now(), bytes_done(conn).await);
    (b1 - b0) as f64 / (t1 - t0).as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_change_while_jobs_run() {
    let (cluster, mut conn, _) =
        loaded_cluster(1, Some("download_rate_limit_bytes_per_second = 5000\n"), 30).await;
    let before = checksum(&mut conn, "db1.t").await;

    // The FE's mutable keys.
    conn.query_drop("ADMIN SET FRONTEND CONFIG ('max_download_task_per_be' = '4')")
        .await
        .unwrap();
    let rows = query_strings(&mut conn, "ADMIN SHOW FRONTEND CONFIG LIKE 'max_download%'").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0][..5],
        ["max_download_task_per_be", "[]", "4", "u32", "true"]
    );
    expect_error(
        &mut conn,
        "ADMIN SET FRONTEND CONFIG ('query_port' = '1')",
        5064,
        "Getting analyzing error. Detail message: Config 'query_port' does not exist or is not mutable.",
    )
    .await;
    let err = conn
        .query_drop("ADMIN SET FRONTEND CONFIG ('max_download_task_per_be' = 'many')")
        .await
        .expect_err("bad value");
    assert!(
        err.to_string().contains("max_download_task_per_be") && err.to_string().contains("many"),
        "{err}"
    );

    // The BE's keys, through information_schema.
    let be_id = query_strings(&mut conn, "SHOW BACKENDS").await[0][0].clone();
    let rows = query_strings(
        &mut conn,
        "SELECT BE_ID, VALUE, TYPE, `default`, MUTABLE FROM information_schema.be_configs \
         WHERE NAME = 'download_rate_limit_bytes_per_second'",
    )
    .await;
    assert_eq!(
        rows,
        [vec![
            be_id.clone(),
            "5000".into(),
            "u64".into(),
            "0".into(),
            "1".into()
        ]]
    );
    conn.query_drop(
        "UPDATE information_schema.be_configs SET value = '2' WHERE name = 'download_worker_count'",
    )
    .await
    .unwrap();
    assert_eq!(conn.affected_rows(), 1);
    expect_error(
        &mut conn,
        "UPDATE information_schema.be_configs SET value = '1' WHERE name = 'be_port'",
        5064,
        &format!("Backend {be_id}: Config 'be_port' does not exist or is not mutable"),
    )
    .await;

    // The BE's HTTP endpoint needs an account with OPERATE.
    conn.query_drop("CREATE USER watcher IDENTIFIED BY 'w'")
        .await
        .unwrap();
    let path = "/api/update_config?download_worker_count=3";
    assert_eq!(post_be(&cluster, 0, path, None).0, 401);
    assert_eq!(post_be(&cluster, 0, path, Some("root:wrong")).0, 401);
    assert_eq!(post_be(&cluster, 0, path, Some("watcher:w")).0, 403);
    let (code, body) = post_be(
        &cluster,
        0,
        "/api/update_config?download_worker_count=x",
        Some("root:"),
    );
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("download_worker_count"), "{body}");
    let (code, body) = post_be(&cluster, 0, path, Some("root:"));
    assert_eq!((code, body.as_str()), (200, r#"{"msg":"","status":"OK"}"#));
    let workers = query_strings(
        &mut conn,
        "SELECT VALUE FROM information_schema.be_configs WHERE NAME = 'download_worker_count'",
    )
    .await;
    assert_eq!(workers, [vec!["3".to_string()]]);
    // Without OPERATE: no rows, and no ADMIN.
    let mut watcher = mysql_async::Conn::new(cluster.opts_as("watcher", "w"))
        .await
        .unwrap();
    assert!(
        query_strings(&mut watcher, "SELECT * FROM information_schema.be_configs")
            .await
            .is_empty()
    );
    let err = watcher
        .query_drop("ADMIN SHOW FRONTEND CONFIG")
        .await
        .expect_err("denied");
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!(e.code, 5203, "{}", e.message);

    // A running restore adopts a new rate within a second.
    let ts = backup_db1(&mut conn, "s1").await;
    conn.query_drop(format!(
        "RESTORE SNAPSHOT db2.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while bytes_done(&mut conn).await == 0 {
        assert!(Instant::now() < deadline, "the restore never moved bytes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let slow = measured_rate(&mut conn, Duration::from_secs(3)).await;
    let (code, body) = post_be(
        &cluster,
        0,
        "/api/update_config?download_rate_limit_bytes_per_second=20000",
        Some("root:"),
    );
    assert_eq!(code, 200, "{body}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fast = measured_rate(&mut conn, Duration::from_millis(1500)).await;
    println!("restore rate: {slow:.0} B/s at a 5000 B/s limit, {fast:.0} B/s at 20000 B/s");
    assert!(slow < 7000.0, "{slow}");
    assert!(fast > 2.5 * slow, "{slow} -> {fast}");
    wait_restore(&mut conn, "db2", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(checksum(&mut conn, "db2.t").await, before);
}
