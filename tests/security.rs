//! Open doors found by trying to break Starling (issue 17), checked through
//! the real binaries: HTTP endpoints that read data without a login, load
//! options silently ignored, bodies read before authentication, secrets in
//! the process list, world-readable catalog files, repositories anywhere on
//! the host, and the unset root password.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

use crate::harness::TestCluster;
use crate::{query_strings, stream_load};

/// `curl` a GET as `user` (None: anonymous); returns (status, body).
pub(crate) fn http_get(cluster: &TestCluster, path: &str, user: Option<&str>) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-w", "\n%{http_code}"]);
    if let Some(user) = user {
        cmd.args(["-u", user]);
    }
    let out = cmd
        .arg(format!("http://127.0.0.1:{}{path}", cluster.http_port))
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_endpoints_authenticate_and_load_options_are_never_ignored() {
    let cluster = TestCluster::start(1).await;
    let mut root = cluster.conn().await;
    for sql in [
        "CREATE DATABASE h",
        "CREATE TABLE h.t (id INT NOT NULL, v VARCHAR(8)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 \
         PROPERTIES ('replication_num' = '1')",
        "CREATE USER loader IDENTIFIED BY 'l'",
        "GRANT INSERT ON h.t TO loader",
        "CREATE USER other IDENTIFIED BY 'o'",
    ] {
        root.query_drop(sql).await.unwrap();
    }

    // Unimplemented options are refused, and nothing is loaded.
    let rows = b"1,a\n2,b\n3,c\n4,d\n";
    for header in [
        "where: id > 2",
        "partitions: p1",
        "enclose: \"",
        "jsonpaths: [\"$.id\"]",
        "strict_mode: true",
        "timezone: Asia/Shanghai",
        "timeout: 60",
        "x-made-up-option: 1",
    ] {
        let (status, body) = stream_load(
            &cluster,
            "h/t",
            &["column_separator: ,", header],
            rows,
            "loader:l",
        );
        assert_eq!(status, 200, "{header}: {body}");
        assert_eq!(body["Status"], "Fail", "{header}: {body}");
        let name = header.split(':').next().unwrap();
        assert!(
            body["Message"].as_str().unwrap().contains(name),
            "{header}: {body}"
        );
    }
    assert_eq!(
        query_strings(&mut root, "SELECT COUNT(*) FROM h.t").await,
        vec![vec!["0"]]
    );

    // A load with rejected rows: its error log needs the loader's credentials.
    let (_, body) = stream_load(
        &cluster,
        "h/t",
        &["column_separator: ,", "max_filter_ratio: 1", "label: bad1"],
        b"1,a\n2,b,secret-row\n",
        "loader:l",
    );
    assert_eq!(body["Status"], "Success", "{body}");
    let url = body["ErrorURL"].as_str().expect("ErrorURL").to_string();
    let path = &url[url.find("/api/").unwrap()..];
    let (status, text) = http_get(&cluster, path, None);
    assert_eq!(status, 401, "{text}");
    assert!(!text.contains("secret-row"));
    let (status, text) = http_get(&cluster, path, Some("loader:wrong"));
    assert_eq!(status, 401, "{text}");
    let (status, text) = http_get(&cluster, path, Some("other:o"));
    assert_eq!(status, 403, "{text}");
    assert!(!text.contains("secret-row"));
    let (status, text) = http_get(&cluster, path, Some("loader:l"));
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("secret-row"), "{text}");
    // Health needs no login and tells nothing but liveness.
    let (status, text) = http_get(&cluster, "/api/health", None);
    assert_eq!(status, 200, "{text}");

    // A wrong password is answered before the body is read: a client that
    // announces 1 GB and sends none of it gets 401 at once.
    let mut s = TcpStream::connect(("127.0.0.1", cluster.http_port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "PUT /api/h/t/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: Basic bG9hZGVyOndyb25n\r\n\
         Content-Length: 1073741824\r\nExpect: 100-continue\r\n\r\n"
    )
    .unwrap();
    let started = Instant::now();
    let mut answer = [0u8; 64];
    let n = s.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_the_process_list_and_files_are_private() {
    let cluster = TestCluster::start(1).await;
    // An S3 endpoint that accepts connections and never answers: CREATE
    // REPOSITORY hangs there long enough to be seen in the process list.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut creating = cluster.conn().await;
    let create = tokio::spawn(async move {
        let _ = creating
            .query_drop(format!(
                "CREATE REPOSITORY s3r WITH BROKER ON LOCATION 's3://bucket/p' PROPERTIES (\
                 'aws.s3.access_key' = 'AKIAVISIBLE', 'aws.s3.secret_key' = 'TOPSECRET', \
                 'aws.s3.endpoint' = 'http://127.0.0.1:{port}', 'aws.s3.region' = 'us-east-1')"
            ))
            .await;
    });
    let mut conn = cluster.conn().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let info = loop {
        let rows = query_strings(&mut conn, "SHOW FULL PROCESSLIST").await;
        if let Some(row) = rows
            .iter()
            .find(|r| r.iter().any(|c| c.contains("CREATE REPOSITORY")))
        {
            break row.join(" | ");
        }
        assert!(
            Instant::now() < deadline,
            "CREATE REPOSITORY never showed: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        !info.contains("TOPSECRET") && !info.contains("AKIAVISIBLE"),
        "{info}"
    );
    assert!(info.contains("***"), "{info}");
    create.abort();
    drop(silent);

    // The catalog, its WAL and the logs are readable by the FE's user only.
    let fe_dir = cluster.path().join("fe");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&fe_dir), 0o700);
    let mut checked = 0;
    let mut stack = vec![fe_dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                stack.push(path);
            } else {
                assert_eq!(mode(&path) & 0o077, 0, "{} is {:o}", path.display(), mode(&path));
                checked += 1;
            }
        }
    }
    assert!(checked > 3, "the catalog has files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_repositories_stay_inside_the_configured_roots() {
    let base = tempfile::tempdir().unwrap();
    let allowed = base.path().join("allowed");
    std::fs::create_dir_all(&allowed).unwrap();
    let cluster = TestCluster::start_with_confs(
        1,
        None,
        Some(&format!("file_repository_roots = {}\n", allowed.display())),
    )
    .await;
    let mut conn = cluster.conn().await;
    let outside = base.path().join("elsewhere/deep");
    for location in [
        outside.display().to_string(),
        format!("{}/../elsewhere", allowed.display()),
        "/etc/starling-test".to_string(),
    ] {
        let err = conn
            .query_drop(format!(
                "CREATE REPOSITORY r WITH BROKER ON LOCATION 'file://{location}'"
            ))
            .await
            .expect_err("outside the roots");
        let mysql_async::Error::Server(e) = err else {
            panic!("{err}")
        };
        assert_eq!(e.code, 5064, "{}", e.message);
        assert!(e.message.contains("file_repository_roots"), "{}", e.message);
    }
    assert!(!outside.exists(), "no directory was created");
    assert!(!std::path::Path::new("/etc/starling-test").exists());
    conn.query_drop(format!(
        "CREATE REPOSITORY r WITH BROKER ON LOCATION 'file://{}/repo'",
        allowed.display()
    ))
    .await
    .unwrap();
    assert_eq!(query_strings(&mut conn, "SHOW REPOSITORIES").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unset_root_password_is_warned_about_until_it_is_set() {
    let mut cluster = TestCluster::start(1).await;
    let warning = "root has no password";
    let log = |cluster: &TestCluster, n: u32| {
        std::fs::read_to_string(cluster.path().join(format!("fe.{n}.log"))).unwrap_or_default()
    };
    assert!(log(&cluster, 1).contains(warning));
    let mut conn = cluster.conn().await;
    conn.query_drop("SET PASSWORD FOR root = PASSWORD('r00t')")
        .await
        .unwrap();
    drop(conn);
    cluster.stop_fe();
    cluster.set_root_password("r00t");
    cluster.start_fe(0, 0).await;
    assert!(!log(&cluster, 2).contains(warning), "{}", log(&cluster, 2));
}
