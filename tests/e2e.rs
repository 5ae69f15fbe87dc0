//! End-to-end tests: real `starling-fe` / `starling-be` / `starling` processes,
//! real clients (mysql_async, the mariadb CLI, Python drivers).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backup;
mod faults;
mod harness;
mod jobs;
mod limits;
mod privileges;
mod protocol;
mod query;
mod reliability;
mod restore;
mod security;
mod slt;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{ChildGuard, TestCluster};
use mysql_async::prelude::Queryable;

fn slt_path(name: &str) -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("tests/slt")
        .join(name)
}

/// One test per `.slt` file, each on its own fresh three-BE cluster.
macro_rules! slt_tests {
    ($($test:ident => $file:literal,)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let cluster = TestCluster::start(3).await;
            slt::run_file(cluster.opts(), &slt_path($file)).await;
        }
    )*};
}

slt_tests! {
    slt_database => "database.slt",
    slt_create_table => "create_table.slt",
    slt_alter_table => "alter_table.slt",
    slt_show => "show.slt",
    slt_session => "session.slt",
    slt_system => "system.slt",
    slt_errors => "errors.slt",
    slt_insert_select => "insert_select.slt",
    slt_information_schema => "information_schema.slt",
    slt_backup => "backup.slt",
    slt_restore => "restore.slt",
    slt_privileges => "privileges.slt",
    slt_jobs => "jobs.slt",
}

async fn query_strings(conn: &mut mysql_async::Conn, sql: &str) -> Vec<Vec<String>> {
    let rows: Vec<mysql_async::Row> = conn.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter()
        .map(|r| {
            (0..r.len())
                .map(|i| match r.as_ref(i).unwrap() {
                    mysql_async::Value::NULL => "NULL".to_string(),
                    mysql_async::Value::Bytes(b) => String::from_utf8_lossy(b).to_string(),
                    v => v.as_sql(true),
                })
                .collect()
        })
        .collect()
}

const TABLE_DDL: &str = "CREATE TABLE sales (dt DATE NOT NULL, id BIGINT NOT NULL, v VARCHAR(10)) \
     DUPLICATE KEY(dt, id) PARTITION BY RANGE(dt) (PARTITION p1 VALUES LESS THAN ('2024-01-01')) \
     DISTRIBUTED BY HASH(id) BUCKETS 2 PROPERTIES ('replication_num' = '3')";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_survives_clean_restart_and_kill_9() {
    let mut cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE keep").await.unwrap();
    c.query_drop("USE keep").await.unwrap();
    c.query_drop(TABLE_DDL).await.unwrap();
    c.query_drop("SET GLOBAL query_timeout = 777").await.unwrap();
    let tablets_before = query_strings(&mut c, "SHOW TABLET FROM sales").await;
    drop(c);

    cluster.stop_fe();
    cluster.start_fe(0, 0).await;
    let mut c = cluster.conn().await;
    assert_eq!(
        query_strings(&mut c, "SHOW TABLET FROM keep.sales").await,
        tablets_before
    );
    // Global variables persist, and new sessions start from them.
    assert_eq!(
        query_strings(&mut c, "SELECT @@query_timeout").await,
        vec![vec!["777".to_string()]]
    );

    // Acknowledged DDL right before kill -9 is kept, and ids are not reused.
    c.query_drop("USE keep").await.unwrap();
    c.query_drop("ALTER TABLE sales ADD PARTITION p2 VALUES LESS THAN ('2025-01-01')")
        .await
        .unwrap();
    c.query_drop("CREATE DATABASE last_words").await.unwrap();
    drop(c);
    cluster.kill_fe();
    cluster.start_fe(0, 0).await;
    let mut c = cluster.conn().await;
    let dbs = query_strings(&mut c, "SHOW DATABASES").await;
    assert!(dbs.contains(&vec!["last_words".to_string()]), "{dbs:?}");
    let parts = query_strings(&mut c, "SHOW PARTITIONS FROM keep.sales").await;
    let names: Vec<&str> = parts.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(names, ["p1", "p2"]);
    // Ids handed out after the restart never collide with earlier ones.
    c.query_drop("CREATE TABLE keep.later (k INT) DISTRIBUTED BY HASH(k) BUCKETS 2")
        .await
        .unwrap();
    let later = query_strings(&mut c, "SHOW TABLET FROM keep.later").await;
    let max_before: u64 = query_strings(&mut c, "SHOW TABLET FROM keep.sales")
        .await
        .iter()
        .flat_map(|r| [r[0].parse::<u64>().unwrap(), r[1].parse().unwrap()])
        .max()
        .unwrap();
    assert!(
        later.iter().all(|r| r[0].parse::<u64>().unwrap() > max_before),
        "{later:?}"
    );
    let rows = query_strings(&mut c, "SHOW TABLET FROM keep.sales").await;
    let mut replica_ids: Vec<u64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    let tablet_ids: std::collections::BTreeSet<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    replica_ids.sort();
    replica_ids.dedup();
    assert_eq!(replica_ids.len(), rows.len(), "replica ids must be unique");
    assert!(
        replica_ids.iter().all(|r| !tablet_ids.contains(r)),
        "ids are shared by one counter"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tablets_live_on_distinct_backends_and_disk() {
    let cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE d").await.unwrap();
    c.query_drop("USE d").await.unwrap();
    c.query_drop(TABLE_DDL).await.unwrap();
    let rows = query_strings(&mut c, "SHOW TABLET FROM sales").await;
    assert_eq!(rows.len(), 2 * 3, "2 buckets x 3 replicas");
    let mut per_tablet = std::collections::BTreeMap::<String, Vec<String>>::new();
    for r in &rows {
        per_tablet.entry(r[0].clone()).or_default().push(r[2].clone());
    }
    for (tablet, mut bes) in per_tablet.clone() {
        bes.sort();
        bes.dedup();
        assert_eq!(
            bes.len(),
            3,
            "replicas of tablet {tablet} must be on distinct backends"
        );
    }
    // Each BE holds its replicas under its storage root.
    let on_disk: usize = (0..3)
        .map(|i| {
            let dir = cluster.path().join(format!("be{i}/storage/data"));
            std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
        })
        .sum();
    assert_eq!(on_disk, 6);
    // Dropping the table removes them again.
    c.query_drop("DROP TABLE sales").await.unwrap();
    let left: usize = (0..3)
        .map(|i| {
            std::fs::read_dir(cluster.path().join(format!("be{i}/storage/data")))
                .map(|d| d.count())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_backend_turns_not_alive_and_limits_replication() {
    let mut cluster = TestCluster::start(3).await;
    cluster.kill_be(2);
    let deadline = Instant::now() + Duration::from_secs(10);
    while cluster.alive_backends().await != 2 {
        assert!(Instant::now() < deadline, "killed BE still alive after 10s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE d").await.unwrap();
    let err = c
        .query_drop("CREATE TABLE d.t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "Table replication num should be less than or equal to the number of available BE nodes"
        ),
        "{text}"
    );
    c.query_drop(
        "CREATE TABLE d.t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES ('replication_num' = '2')",
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_cli_batch_session() {
    let cluster = TestCluster::start(3).await;
    let port = cluster.query_port.to_string();
    let script = "CREATE DATABASE cli;\nUSE cli;\nCREATE TABLE t (k INT, v STRING) DISTRIBUTED BY HASH(k) BUCKETS 1;\n\
                  SHOW TABLES;\nDESC t;\nSELECT DATABASE(), @@version_comment;\n";
    let out = Command::new("mariadb")
        .args(["-h", "127.0.0.1", "-P", &port, "-u", "root", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(script.as_bytes())?;
            child.wait_with_output()
        })
        .expect("the mariadb client must be installed (.ci/run installs mariadb-client)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "mariadb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Tables_in_cli\nt\n"), "{stdout}");
    assert!(stdout.contains("k\tint(11)\tYES\ttrue\tNULL\t\n"), "{stdout}");
    assert!(
        stdout.contains("v\tvarchar(65533)\tYES\ttrue\tNULL\t\n"),
        "{stdout}"
    );
    assert!(stdout.contains("cli\tStarRocks version"), "{stdout}");
    // Connecting with a database (the case opensrv's capability bug used to hang).
    let out = Command::new("timeout")
        .args([
            "20",
            "mariadb",
            "-h",
            "127.0.0.1",
            "-P",
            &port,
            "-u",
            "root",
            "cli",
            "-e",
            "SHOW TABLES",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Tables_in_cli\nt\n");
    // Errors carry StarRocks' errno and SQLSTATE.
    let out = Command::new("mariadb")
        .args(["-h", "127.0.0.1", "-P", &port, "-u", "root", "-e", "USE nowhere"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "ERROR 5501 (3F000) at line 1: Getting analyzing error. Detail message: Unknown database 'nowhere'."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_clients_pymysql_and_sqlalchemy() {
    let cluster = TestCluster::start(3).await;
    let script = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("tests/python/clients.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(cluster.query_port.to_string())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python client script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("python clients ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_checked() {
    let cluster = TestCluster::start(1).await;
    let mut c = cluster.conn().await;
    c.query_drop("SET PASSWORD = PASSWORD('s3cret')").await.unwrap();
    drop(c);
    assert!(
        mysql_async::Conn::new(cluster.opts()).await.is_err(),
        "empty password must now fail"
    );
    let with_pw: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(cluster.opts())
        .pass(Some("s3cret"))
        .into();
    let wrong: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(cluster.opts())
        .pass(Some("nope"))
        .into();
    assert!(mysql_async::Conn::new(wrong).await.is_err());
    let mut c = mysql_async::Conn::new(with_pw.clone()).await.unwrap();
    assert_eq!(
        query_strings(&mut c, "SELECT CURRENT_USER()").await,
        vec![vec!["'root'@'%'".to_string()]]
    );
    // A hashed password (MySQL's PASSWORD() output) is accepted too.
    c.query_drop("SET PASSWORD FOR 'root' = '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'")
        .await
        .unwrap();
    drop(c);
    let pw2: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(cluster.opts())
        .pass(Some("password"))
        .into();
    mysql_async::Conn::new(pw2).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_garbage_and_disconnects_do_not_hurt() {
    let cluster = TestCluster::start(1).await;
    // Garbage bytes and abrupt disconnects.
    for payload in [
        &b"\xff\xff\xff\x00garbage"[..],
        b"",
        b"\x01\x00\x00\x01\x01",
        &[0u8; 64][..],
    ] {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", cluster.query_port))
            .await
            .unwrap();
        let _ = s.write_all(payload).await;
        drop(s);
    }
    // Many concurrent sessions.
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let opts = cluster.opts();
        tasks.push(tokio::spawn(async move {
            let mut c = mysql_async::Conn::new(opts).await?;
            let v: Option<i64> = c.query_first(format!("SELECT {i}")).await?;
            assert_eq!(v, Some(i));
            c.disconnect().await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // A long multi-packet query (17 MB) is read correctly.
    let mut c = cluster.conn().await;
    let big = format!("SELECT '{}' AS big", "x".repeat(17 * 1024 * 1024));
    let echoed: Option<String> = c.query_first(&big).await.unwrap();
    assert_eq!(echoed.map(|s| s.len()), Some(17 * 1024 * 1024));
    let v: Option<String> = c.query_first("SELECT 'still here'").await.unwrap();
    assert_eq!(v.as_deref(), Some("still here"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_binary_starts_stops_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    // Kept across the restart: outside the ephemeral range, where no
    // outgoing connection can take them meanwhile.
    let query_port = harness::stable_port();
    let http_port = harness::stable_port();
    let start = || {
        let child = Command::new(harness::STANDALONE_BIN)
            .args(["--data-dir", dir.path().to_str().unwrap()])
            .args([
                "--query-port",
                &query_port.to_string(),
                "--http-port",
                &http_port.to_string(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        ChildGuard { child }
    };
    let opts: mysql_async::Opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(query_port)
        .user(Some("root"))
        .prefer_socket(false)
        .into();
    let connect = |opts: mysql_async::Opts| async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut c) = mysql_async::Conn::new(opts.clone()).await {
                let alive = query_strings(&mut c, "SHOW BACKENDS")
                    .await
                    .iter()
                    .filter(|r| r[8] == "true")
                    .count();
                if alive == 3 {
                    return c;
                }
            }
            assert!(Instant::now() < deadline, "standalone cluster not ready");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let mut first = start();
    let mut c = connect(opts.clone()).await;
    c.query_drop("CREATE DATABASE standalone_db").await.unwrap();
    c.query_drop("CREATE TABLE standalone_db.t (k INT) DISTRIBUTED BY HASH(k) BUCKETS 3")
        .await
        .unwrap();
    drop(c);
    first.signal(libc::SIGTERM);
    let status = first
        .wait_exit(Duration::from_secs(30))
        .expect("standalone did not stop on SIGTERM");
    assert!(status.success(), "{status}");

    // Every child process is gone: nothing listens on the FE or BE ports.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("standalone.json")).unwrap()).unwrap();
    let mut ports: Vec<u16> = state["be_ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap() as u16)
        .collect();
    assert_eq!(ports.len(), 3);
    ports.push(query_port);
    for port in &ports {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", *port)).is_err(),
            "port {port} still open"
        );
    }

    let _second = start();
    let mut c = connect(opts).await;
    let tablets = query_strings(&mut c, "SHOW TABLET FROM standalone_db.t").await;
    assert_eq!(tablets.len(), 9, "3 buckets x 3 replicas after restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standalone_never_reports_ready_for_a_port_it_does_not_own() {
    use std::io::{Read, Write};
    // Another process holds the HTTP port and answers health checks as a
    // healthy Starling would.
    let impostor = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let http_port = impostor.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in impostor.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let body = r#"{"status":"OK","online_backend_num":3,"total_backend_num":3}"#;
            let _ = write!(
                s,
                "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(harness::STANDALONE_BIN)
        .args(["--data-dir", dir.path().to_str().unwrap()])
        .args(["--query-port", &harness::free_port().to_string()])
        .args(["--http-port", &http_port.to_string()])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), out)
        .await
        .expect("the launcher gives up")
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{log}");
    assert!(!log.contains("Starling is ready"), "{log}");
    assert!(log.contains("the FE exited during start-up"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_create_table_recreates_an_identical_table() {
    let cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE rt").await.unwrap();
    c.query_drop("USE rt").await.unwrap();
    let ddls = [
        TABLE_DDL,
        "CREATE TABLE pk (id BIGINT NOT NULL COMMENT 'the \"id\"', v DECIMAL(20, 4) DEFAULT '1.5', \
         ts DATETIME DEFAULT CURRENT_TIMESTAMP) PRIMARY KEY(id) COMMENT 'orders' \
         DISTRIBUTED BY HASH(id) BUCKETS 4 PROPERTIES ('replication_num' = '2')",
        "CREATE TABLE r (k INT, d DATE) DUPLICATE KEY(k) PARTITION BY RANGE(k) (\
         PARTITION a VALUES LESS THAN ('10'), PARTITION b VALUES [('20'), ('30')), \
         PARTITION c VALUES [('30'), (MAXVALUE))) DISTRIBUTED BY RANDOM BUCKETS 2",
    ];
    for ddl in ddls {
        c.query_drop(ddl).await.unwrap();
    }
    for table in ["sales", "pk", "r"] {
        let first = query_strings(&mut c, &format!("SHOW CREATE TABLE {table}")).await;
        let text = first[0][1].clone();
        c.query_drop(format!("DROP TABLE {table}")).await.unwrap();
        c.query_drop(text.as_str())
            .await
            .unwrap_or_else(|e| panic!("{text}\n{e}"));
        let second = query_strings(&mut c, &format!("SHOW CREATE TABLE {table}")).await;
        assert_eq!(first, second);
        let desc = query_strings(&mut c, &format!("DESC {table} ALL")).await;
        assert!(!desc.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jdbc_connector_j() {
    let cluster = TestCluster::start(3).await;
    let program = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
        .join("tests/jdbc/JdbcCheck.java");
    let out = Command::new("java")
        .args(["-cp", "/usr/share/java/mariadb-java-client.jar"])
        .arg(program)
        .arg(cluster.query_port.to_string())
        .output()
        .expect("java must be installed (.ci/run installs a JDK and libmariadb-java)");
    assert!(
        out.status.success(),
        "JDBC check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "jdbc ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_can_connect_to_information_schema() {
    let cluster = TestCluster::start(1).await;
    // sysbench and mysqlslap connect with this database in the handshake.
    let opts: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(cluster.opts())
        .db_name(Some("information_schema"))
        .into();
    let mut c = mysql_async::Conn::new(opts).await.unwrap();
    assert_eq!(
        query_strings(&mut c, "SELECT DATABASE()").await,
        vec![vec!["information_schema".to_string()]]
    );
    // A database that does not exist is refused at connect time with StarRocks' error.
    let bad: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(cluster.opts())
        .db_name(Some("nope"))
        .into();
    let err = mysql_async::Conn::new(bad).await.unwrap_err().to_string();
    assert!(err.contains("Unknown database 'nope'"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_cli_interactive_session() {
    let cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE inter").await.unwrap();
    c.query_drop("CREATE TABLE inter.t (k INT, v STRING) DISTRIBUTED BY HASH(k) BUCKETS 1")
        .await
        .unwrap();
    // `script` gives the CLI a terminal, so it runs interactively: it reads
    // table and column names for completion at start, then takes our input.
    let cmd = format!("mariadb -h 127.0.0.1 -P {} -u root inter", cluster.query_port);
    let mut child = Command::new("timeout")
        .args(["30", "script", "-qc", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) and mariadb");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        stdin
            .write_all(b"show tables;\nuse inter;\ndesc t;\nquit\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(
        out.status.success(),
        "interactive session failed or hung:\n{text}"
    );
    assert!(text.contains("| Tables_in_inter |"), "{text}");
    assert!(text.contains("Database changed"), "{text}");
    assert!(
        text.contains("| v     | varchar(65533) | YES  | true | NULL    |       |"),
        "{text}"
    );
    assert!(text.contains("Bye"), "{text}");
}

/// `curl` a Stream Load; returns (HTTP status, JSON body).
pub(crate) fn stream_load(
    cluster: &TestCluster,
    path: &str,
    headers: &[&str],
    data: &[u8],
    user: &str,
) -> (u16, serde_json::Value) {
    let file = cluster.path().join(format!("load-{}.dat", rand_suffix()));
    std::fs::write(&file, data).unwrap();
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-w",
        "\n%{http_code}",
        "--location-trusted",
        "-u",
        user,
        "-XPUT",
        "-T",
    ])
    .arg(&file)
    .arg(format!(
        "http://127.0.0.1:{}/api/{path}/_stream_load",
        cluster.http_port
    ));
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.output().expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (
        code.parse().unwrap(),
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_load_csv_json_labels_filtering_and_auth() {
    let cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE sl").await.unwrap();
    c.query_drop(
        "CREATE TABLE sl.orders (id BIGINT NOT NULL, dt DATE, amount DECIMAL(10, 2), note VARCHAR(10)) \
         DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4",
    )
    .await
    .unwrap();

    let csv = b"id,dt,amount,note\n1,2024-01-01,10.50,a\n2,2024-01-02,\\N,b\n3,not-a-date,1,c\n";
    let (code, r) = stream_load(
        &cluster,
        "sl/orders",
        &["label:l1", "column_separator:,", "skip_header:1"],
        csv,
        "root:",
    );
    assert_eq!(code, 200);
    assert_eq!(r["Status"], "Fail", "{r}");
    assert_eq!(r["Message"], "too many filtered rows", "{r}");
    assert_eq!(r["NumberFilteredRows"], 1, "{r}");
    let url = r["ErrorURL"].as_str().unwrap().to_string();
    // The error log needs the loader's credentials (an anonymous read is refused).
    let anonymous = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &url])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&anonymous.stdout), "401");
    let log = Command::new("curl")
        .args(["-s", "-u", "root:", &url])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&log.stdout).contains("cannot be converted to date"),
        "{url}"
    );
    // Nothing of the failed load is visible.
    let count: Option<i64> = c.query_first("SELECT COUNT(*) FROM sl.orders").await.unwrap();
    assert_eq!(count, Some(0));

    let (code, r) = stream_load(
        &cluster,
        "sl/orders",
        &[
            "label:l2",
            "column_separator:,",
            "skip_header:1",
            "max_filter_ratio:0.5",
        ],
        csv,
        "root:",
    );
    assert_eq!(code, 200);
    assert_eq!(r["Status"], "Success", "{r}");
    for (field, value) in [
        ("NumberTotalRows", 3),
        ("NumberLoadedRows", 2),
        ("NumberFilteredRows", 1),
    ] {
        assert_eq!(r[field], value, "{field} in {r}");
    }
    assert!(r["TxnId"].as_u64().unwrap() > 0);
    assert_eq!(r["Label"], "l2");
    assert!(r["LoadBytes"].as_u64().unwrap() == csv.len() as u64);
    assert!(r.get("LoadTimeMs").is_some());

    // A reused label is refused, whatever the data.
    let (_, r) = stream_load(
        &cluster,
        "sl/orders",
        &["label:l2", "column_separator:,"],
        b"9,2024-01-01,1,x\n",
        "root:",
    );
    assert_eq!(r["Status"], "Label Already Exists", "{r}");

    // JSON lines with a columns subset; missing keys are NULL.
    let json = b"{\"id\": 10, \"amount\": 1.25}\n{\"id\": 11, \"note\": \"j\"}\n";
    let (_, r) = stream_load(&cluster, "sl/orders", &["label:l3", "format:json"], json, "root:");
    assert_eq!(r["Status"], "Success", "{r}");

    // Bad credentials.
    let (code, _) = stream_load(&cluster, "sl/orders", &["label:l4"], b"1\n", "root:wrong");
    assert_eq!(code, 401);
    let (_, r) = stream_load(&cluster, "sl/missing", &["label:l5"], b"1\n", "root:");
    assert_eq!(r["Status"], "Fail");

    let rows = query_strings(&mut c, "SELECT id, dt, amount, note FROM sl.orders ORDER BY id").await;
    assert_eq!(
        rows,
        vec![
            vec!["1", "2024-01-01", "10.50", "a"],
            vec!["2", "2024-01-02", "NULL", "b"],
            vec!["10", "NULL", "1.25", "NULL"],
            vec!["11", "NULL", "NULL", "j"],
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_read_another_replica_when_a_backend_dies() {
    let mut cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE ha").await.unwrap();
    c.query_drop("CREATE TABLE ha.t (k INT, v INT) DISTRIBUTED BY HASH(k) BUCKETS 6")
        .await
        .unwrap();
    let values: Vec<String> = (0..200).map(|i| format!("({i}, {})", i * 2)).collect();
    c.query_drop(format!("INSERT INTO ha.t VALUES {}", values.join(",")))
        .await
        .unwrap();
    // Kill a BE and query at once, before any heartbeat notices.
    cluster.kill_be(0);
    let sum: Option<i64> = c.query_first("SELECT SUM(v) FROM ha.t").await.unwrap();
    assert_eq!(sum, Some((0..200).map(|i| i * 2).sum()));
    // Loads need every replica: with one BE down they fail cleanly.
    let err = c
        .query_drop("INSERT INTO ha.t VALUES (1000, 1)")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Failed to load data into tablet") || err.contains("is not"),
        "{err}"
    );
    let count: Option<i64> = c.query_first("SELECT COUNT(*) FROM ha.t").await.unwrap();
    assert_eq!(count, Some(200), "a failed load must leave nothing visible");
    // After the BE returns, loads and queries work and see everything.
    cluster.restart_be(0);
    cluster.wait_backends_alive(3).await;
    c.query_drop("INSERT INTO ha.t VALUES (1000, 1)").await.unwrap();
    let count: Option<i64> = c.query_first("SELECT COUNT(*) FROM ha.t").await.unwrap();
    assert_eq!(count, Some(201));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loaded_data_survives_fe_and_be_restarts() {
    let mut cluster = TestCluster::start(3).await;
    let mut c = cluster.conn().await;
    c.query_drop("CREATE DATABASE dur").await.unwrap();
    c.query_drop(
        "CREATE TABLE dur.t (k INT NOT NULL, v VARCHAR(10)) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3",
    )
    .await
    .unwrap();
    c.query_drop("INSERT INTO dur.t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
        .await
        .unwrap();
    c.query_drop("INSERT INTO dur.t VALUES (2, 'B')").await.unwrap();
    drop(c);
    cluster.kill_fe();
    for i in 0..3 {
        cluster.kill_be(i);
        cluster.restart_be(i);
    }
    cluster.start_fe(0, 0).await;
    cluster.wait_backends_alive(3).await;
    let mut c = cluster.conn().await;
    let rows = query_strings(&mut c, "SELECT k, v FROM dur.t ORDER BY k").await;
    assert_eq!(rows, vec![vec!["1", "a"], vec!["2", "B"], vec!["3", "c"]]);
    let parts = query_strings(&mut c, "SHOW PARTITIONS FROM dur.t").await;
    assert_eq!(parts[0][2], "3", "two loads after creation: visible version 3");
}
