//! Users and privileges end to end: a backup operator with only the
//! privileges of spec §10 backs up and restores; a plain user is denied; a
//! user may restore into one database but not another; accounts survive a
//! restart without plaintext passwords; Stream Load checks INSERT.

use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::backup::loaded_cluster;
use crate::harness::TestCluster;
use crate::restore::{backup_db1, checksum, expect_error, wait_restore};
use crate::{query_strings, stream_load};

/// StarRocks' denial text with no active or inactive roles.
fn denied(privilege: &str, object: &str) -> String {
    format!(
        "Access denied; you need (at least one of) the {privilege} privilege(s) on {object} for this \
         operation. Please ask the admin to grant permission(s) or try activating existing roles using \
         <set [default] role>. Current role(s): NONE. Inactivated role(s): NONE."
    )
}

/// A connection as `user` with `password`.
async fn login(cluster: &TestCluster, user: &str, password: &str) -> mysql_async::Conn {
    let opts = cluster.opts_as(user, password);
    mysql_async::Conn::new(opts).await.unwrap()
}

async fn run(conn: &mut mysql_async::Conn, statements: &[&str]) {
    for sql in statements {
        conn.query_drop(*sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_operator_backs_up_and_restores_and_a_plain_user_is_denied() {
    let (cluster, mut root, _) = loaded_cluster(3, None, 2).await;
    run(
        &mut root,
        &[
            "CREATE USER backup_op IDENTIFIED BY 'bk'",
            "GRANT REPOSITORY ON SYSTEM TO USER backup_op",
            "GRANT EXPORT ON ALL TABLES IN DATABASE db1 TO USER backup_op",
            "GRANT CREATE DATABASE ON CATALOG default_catalog TO USER backup_op",
            "CREATE USER plain IDENTIFIED BY 'p'",
        ],
    )
    .await;
    let before = checksum(&mut root, "db1.t").await;

    // The operator backs up without being able to read the data.
    let mut op = login(&cluster, "backup_op", "bk").await;
    expect_error(&mut op, "SELECT * FROM db1.t", 5203, &denied("SELECT", "TABLE t")).await;
    let ts = backup_db1(&mut op, "s1").await;

    // A plain user can neither back up nor see jobs or snapshots.
    let mut plain = login(&cluster, "plain", "p").await;
    for sql in [
        "BACKUP SNAPSHOT db1.s2 TO r1",
        "SHOW BACKUP FROM db1",
        "SHOW SNAPSHOT ON r1",
        "DROP REPOSITORY r1",
    ] {
        expect_error(&mut plain, sql, 5203, &denied("REPOSITORY", "SYSTEM")).await;
    }
    // With REPOSITORY but without EXPORT: the backup is refused and SHOW BACKUP is empty.
    root.query_drop("GRANT REPOSITORY ON SYSTEM TO plain")
        .await
        .unwrap();
    expect_error(
        &mut plain,
        "BACKUP SNAPSHOT db1.s2 TO r1",
        5203,
        &denied("EXPORT", "TABLE t"),
    )
    .await;
    assert!(query_strings(&mut plain, "SHOW BACKUP").await.is_empty());
    assert_eq!(query_strings(&mut op, "SHOW BACKUP").await.len(), 1);

    // Disaster: the database is gone; the operator restores it whole.
    root.query_drop("DROP DATABASE db1").await.unwrap();
    op.query_drop(format!(
        "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
    ))
    .await
    .unwrap();
    wait_restore(&mut op, "db1", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(checksum(&mut root, "db1.t").await, before);

    // A row written after the backup: without INSERT on t the operator cannot
    // overwrite it, whatever form the RESTORE takes.
    root.query_drop("INSERT INTO db1.t VALUES (7, 'after the backup')")
        .await
        .unwrap();
    let after = checksum(&mut root, "db1.t").await;
    for sql in [
        format!(
            "RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
        ),
        format!(
            "RESTORE SNAPSHOT s1 FROM r1 DATABASE db1 PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
        ),
    ] {
        expect_error(&mut op, &sql, 5203, &denied("INSERT", "TABLE t")).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(checksum(&mut root, "db1.t").await, after);
    // A user with REPOSITORY alone may not restore a whole database.
    expect_error(
        &mut plain,
        &format!("RESTORE SNAPSHOT db1.s1 FROM r1 PROPERTIES ('backup_timestamp' = '{ts}')"),
        5203,
        &denied("CREATE_DATABASE", "CATALOG default_catalog"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_into_one_database_but_not_another() {
    let (cluster, mut root, _) = loaded_cluster(3, None, 1).await;
    let ts = backup_db1(&mut root, "s1").await;
    run(
        &mut root,
        &[
            "CREATE DATABASE dst_ok",
            "CREATE DATABASE dst_no",
            "CREATE USER restorer IDENTIFIED BY 'r'",
            "GRANT REPOSITORY ON SYSTEM TO restorer",
            "GRANT CREATE TABLE ON DATABASE dst_ok TO restorer",
        ],
    )
    .await;
    let mut r = login(&cluster, "restorer", "r").await;
    let restore = |db: &str| {
        format!(
            "RESTORE SNAPSHOT s1 FROM r1 DATABASE db1 AS {db} ON (TABLE t) \
             PROPERTIES ('backup_timestamp' = '{ts}', 'replication_num' = '1')"
        )
    };
    expect_error(
        &mut r,
        &restore("dst_no"),
        5203,
        &denied("CREATE_TABLE", "DATABASE dst_no"),
    )
    .await;
    r.query_drop(restore("dst_ok")).await.unwrap();
    wait_restore(&mut r, "dst_ok", "FINISHED", Duration::from_secs(60)).await;
    assert_eq!(
        checksum(&mut root, "dst_ok.t").await,
        checksum(&mut root, "db1.t").await
    );
    // Overwriting the now existing table also needs INSERT on it.
    expect_error(&mut r, &restore("dst_ok"), 5203, &denied("INSERT", "TABLE t")).await;
    root.query_drop("GRANT INSERT ON TABLE dst_ok.t TO restorer")
        .await
        .unwrap();
    r.query_drop(restore("dst_ok")).await.unwrap();
    wait_restore(&mut r, "dst_ok", "FINISHED", Duration::from_secs(60)).await;
    assert!(
        query_strings(&mut root, "SHOW TABLES FROM dst_no")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_survive_restart_without_plaintext_passwords() {
    let mut cluster = TestCluster::start(1).await;
    let mut root = cluster.conn().await;
    let password = "Plaintext-Never-Stored-7f3a";
    run(
        &mut root,
        &[
            "CREATE DATABASE d",
            "CREATE TABLE d.t (k INT NOT NULL) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 \
             PROPERTIES ('replication_num' = '1')",
            "INSERT INTO d.t VALUES (1), (2)",
            &format!("CREATE USER 'u'@'%' IDENTIFIED BY '{password}'"),
            "CREATE ROLE readers",
            "GRANT SELECT ON ALL TABLES IN DATABASE d TO ROLE readers",
            "GRANT readers TO u",
            "SET DEFAULT ROLE readers TO u",
        ],
    )
    .await;
    let grants_before = query_strings(&mut root, "SHOW GRANTS FOR u").await;
    drop(root);
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;

    let mut u = login(&cluster, "u", password).await;
    let count: Option<i64> = u.query_first("SELECT COUNT(*) FROM d.t").await.unwrap();
    assert_eq!(count, Some(2));
    let mut root = cluster.conn().await;
    assert_eq!(query_strings(&mut root, "SHOW GRANTS FOR u").await, grants_before);
    assert_eq!(
        grants_before,
        vec![vec![
            "'u'@'%'".to_string(),
            "NULL".to_string(),
            "GRANT 'readers' TO 'u'@'%'".to_string()
        ]]
    );

    // A wrong password: MySQL's 1045 / 28000 text.
    let wrong = cluster.opts_as("u", "nope");
    match mysql_async::Conn::new(wrong).await {
        Err(mysql_async::Error::Server(e)) => {
            assert_eq!((e.code, e.state.as_str()), (1045, "28000"));
            assert_eq!(
                e.message,
                "Access denied for user 'u'@'127.0.0.1' (using password: YES)"
            );
        }
        other => panic!("a wrong password must fail with 1045: {:?}", other.map(|_| ())),
    }

    // The catalog holds only SHA1(SHA1(password)), never the password itself.
    let (mut scanned, mut found) = (0, Vec::new());
    let mut stack = vec![cluster.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.components().any(|c| c.as_os_str() == "meta") {
                scanned += 1;
                let bytes = std::fs::read(&path).unwrap_or_default();
                if bytes.windows(password.len()).any(|w| w == password.as_bytes()) {
                    found.push(path);
                }
            }
        }
    }
    assert!(scanned > 0, "no catalog files under {}", cluster.path().display());
    assert!(found.is_empty(), "plaintext password in {found:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_load_needs_insert_on_the_table() {
    let cluster = TestCluster::start(1).await;
    let mut root = cluster.conn().await;
    run(
        &mut root,
        &[
            "CREATE DATABASE sl",
            "CREATE TABLE sl.t (k INT NOT NULL, v VARCHAR(8)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) \
             BUCKETS 1 PROPERTIES ('replication_num' = '1')",
            "CREATE USER loader IDENTIFIED BY 'lp'",
        ],
    )
    .await;
    let data = b"1,a\n2,b\n";
    let headers = ["column_separator:,"];
    let (code, r) = stream_load(&cluster, "sl/t", &headers, data, "loader:wrong");
    assert_eq!(code, 401, "{r}");
    let (code, r) = stream_load(&cluster, "sl/t", &headers, data, "loader:lp");
    assert_eq!(code, 200);
    assert_eq!(r["Status"], "Fail", "{r}");
    assert_eq!(r["Message"], denied("INSERT", "TABLE t"), "{r}");
    root.query_drop("GRANT INSERT ON TABLE sl.t TO loader")
        .await
        .unwrap();
    let (_, r) = stream_load(&cluster, "sl/t", &headers, data, "loader:lp");
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(r["NumberLoadedRows"], 2, "{r}");
}
