//! The MySQL port under abuse (issue 17): malformed packets, statements
//! nested until the stack would overflow, `COM_CHANGE_USER` and
//! `COM_RESET_CONNECTION`, idle and flooding sockets, password guessing.
//! Every bad input gets an ERR packet with an errno, never a crash or a
//! silently dropped connection, and the server keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

use crate::harness::TestCluster;
use crate::query_strings;

/// A blocking MySQL client that speaks just enough of the protocol to send
/// packets no driver would.
struct RawClient {
    stream: TcpStream,
}

impl RawClient {
    fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Self { stream }
    }

    /// Logs in as root (empty password).
    fn login(port: u16) -> Self {
        let mut c = Self::connect(port);
        let (_, greeting) = c.read_packet().expect("greeting");
        assert_eq!(greeting[0], 10, "protocol version 10");
        // CLIENT_LONG_PASSWORD | PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH | TRANSACTIONS
        let caps: u32 = 0x1 | 0x200 | 0x8000 | 0x8_0000 | 0x2000;
        let mut body = caps.to_le_bytes().to_vec();
        body.extend_from_slice(&(16u32 << 20).to_le_bytes());
        body.push(33);
        body.extend_from_slice(&[0; 23]);
        body.extend_from_slice(b"root\0");
        body.push(0);
        body.extend_from_slice(b"mysql_native_password\0");
        c.write_packet(1, &body);
        let (_, ok) = c.read_packet().expect("login answer");
        assert_eq!(ok[0], 0, "login OK: {ok:?}");
        c
    }

    fn write_packet(&mut self, seq: u8, body: &[u8]) {
        let len = body.len();
        let mut p = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, seq];
        p.extend_from_slice(body);
        self.stream.write_all(&p).unwrap();
    }

    /// The next packet, or `None` at the end of the stream.
    fn read_packet(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut header = [0u8; 4];
        self.stream.read_exact(&mut header).ok()?;
        let len = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
        let mut body = vec![0u8; len];
        self.stream.read_exact(&mut body).ok()?;
        Some((header[3], body))
    }

    /// Reads the answer to a command: (errno, message) for an ERR packet, None otherwise.
    fn error(&mut self) -> Option<(u16, String)> {
        let (_, body) = self.read_packet().expect("an answer");
        (body[0] == 0xFF).then(|| {
            let errno = u16::from_le_bytes([body[1], body[2]]);
            (errno, String::from_utf8_lossy(&body[9..]).to_string())
        })
    }

    /// Runs `SELECT 1` and checks the value comes back.
    fn select_one(&mut self) {
        self.write_packet(0, b"\x03SELECT 1");
        let mut packets = Vec::new();
        while let Some((_, body)) = self.read_packet() {
            assert_ne!(body[0], 0xFF, "SELECT 1 failed: {body:?}");
            let last = body[0] == 0xFE && body.len() < 9 && !packets.is_empty();
            packets.push(body);
            if last && packets.len() > 3 {
                break;
            }
        }
        assert!(packets.iter().any(|p| p == b"\x011"), "{packets:?}");
    }

    fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte), Ok(0) | Err(_))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_packets_get_an_errno_and_the_server_stays_up() {
    let cluster = TestCluster::start(1).await;
    let port = cluster.query_port;
    tokio::task::spawn_blocking(move || {
        // A query that is not UTF-8: an error, and the connection goes on.
        let mut c = RawClient::login(port);
        c.write_packet(0, b"\x03SELECT '\xff\xfe'");
        let (errno, message) = c.error().expect("ERR");
        assert_eq!(errno, 1300, "{message}");
        c.select_one();
        // COM_STMT_EXECUTE of a statement never prepared.
        c.write_packet(0, b"\x17\x2a\x00\x00\x00\x00\x01\x00\x00\x00");
        assert_eq!(c.error().map(|e| e.0), Some(1243));
        // COM_STMT_SEND_LONG_DATA gets no answer, and breaks nothing.
        c.write_packet(0, b"\x18\x2a\x00\x00\x00\x00\x00data");
        c.select_one();
        // A command's packets out of order: an error, then the connection closes.
        let mut big = vec![0x03];
        big.extend_from_slice(b"SELECT '");
        big.resize(0xFF_FFFF, b'a');
        c.write_packet(0, &big);
        c.write_packet(7, b"'");
        let (errno, message) = c.error().expect("ERR");
        assert_eq!(errno, 1156, "{message}");
        assert!(c.closed());

        // A command over max_allowed_packet is refused before it is read.
        // (Four full 16 MB packets, then the header of a fifth.)
        let mut c = RawClient::login(port);
        let mut full = vec![0x03];
        full.resize(0xFF_FFFF, b' ');
        for seq in 0..4 {
            c.write_packet(seq, &full);
        }
        c.stream.write_all(&[0xff, 0xff, 0xff, 0x04]).unwrap();
        assert_eq!(c.error().map(|e| e.0), Some(1153));

        // A 511 MB handshake response is not buffered: the connection just closes.
        let mut c = RawClient::connect(port);
        c.read_packet().expect("greeting");
        c.stream.write_all(&[0xff, 0xff, 0xff, 0x01]).unwrap();
        c.stream.write_all(&[0u8; 4096]).unwrap();
        assert!(c.closed());

        // Through all of it the server kept serving.
        RawClient::login(port).select_one();
    })
    .await
    .unwrap();
    let mut conn = cluster.conn().await;
    assert_eq!(query_strings(&mut conn, "SELECT 1 + 1").await, vec![vec!["2"]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_statements_are_refused_and_the_server_stays_up() {
    let cluster = TestCluster::start(1).await;
    let mut root = cluster.conn().await;
    for sql in [
        "CREATE DATABASE deep",
        "CREATE TABLE deep.t (k INT NOT NULL) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 \
         PROPERTIES ('replication_num' = '1')",
        "INSERT INTO deep.t VALUES (1), (2), (3)",
        "CREATE USER nobody IDENTIFIED BY 'n'",
    ] {
        root.query_drop(sql).await.unwrap();
    }
    // A user with no privileges at all: nesting is refused before anything else.
    let opts = cluster.opts_as("nobody", "n");
    let mut nobody = mysql_async::Conn::new(opts).await.unwrap();
    let shapes = |n: usize| {
        vec![
            format!("SELECT 1{}", "+1".repeat(n)),
            format!("SELECT k FROM deep.t WHERE {}k = 0", "k = 1 OR ".repeat(n)),
            format!("SELECT 1{}", " UNION ALL SELECT 1".repeat(n)),
            format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
            format!("SELECT {}1{}", "abs(".repeat(n), ")".repeat(n)),
            format!("SELECT {}1", "NOT ".repeat(n)),
            format!(
                "SELECT * FROM {}deep.t{}",
                "(SELECT * FROM ".repeat(n),
                ") s".repeat(n)
            ),
        ]
    };
    for n in [1_000, 5_000, 50_000] {
        for sql in shapes(n) {
            let err = nobody.query_drop(&sql).await.expect_err("too deep");
            let mysql_async::Error::Server(e) = err else {
                panic!("{err}")
            };
            assert_eq!(e.code, 1064, "{}", e.message);
            assert!(
                e.message.contains("nests too deeply") || e.message.contains("recursion limit"),
                "{}",
                e.message
            );
        }
    }
    // Just under the bound the chains that sqlparser does not limit still run.
    let n = parser_bound() - 10;
    let sum = query_strings(&mut root, &format!("SELECT 1{}", "+1".repeat(n))).await;
    assert_eq!(sum, vec![vec![(n + 1).to_string()]]);
    let ors: Vec<String> = (0..n / 2).map(|i| format!("k = {}", i + 10)).collect();
    let rows = query_strings(
        &mut root,
        &format!("SELECT k FROM deep.t WHERE {} OR k = 2", ors.join(" OR ")),
    )
    .await;
    assert_eq!(rows, vec![vec!["2"]]);
    let unions = query_strings(
        &mut root,
        &format!(
            "SELECT COUNT(*) FROM (SELECT 1 AS x{}) u",
            " UNION ALL SELECT 1".repeat(n - 10)
        ),
    )
    .await;
    assert_eq!(unions, vec![vec![(n - 9).to_string()]]);
    assert_eq!(query_strings(&mut nobody, "SELECT 1").await, vec![vec!["1"]]);
}

/// The parser's nesting bound (kept in step with `parser::MAX_NESTING`).
fn parser_bound() -> usize {
    1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_user_and_reset_connection_behave_as_in_mysql() {
    let cluster = TestCluster::start(1).await;
    let mut root = cluster.conn().await;
    for sql in [
        "CREATE DATABASE cu",
        "CREATE USER alice IDENTIFIED BY 'a1'",
        "GRANT SELECT ON ALL TABLES IN DATABASE cu TO USER alice",
    ] {
        root.query_drop(sql).await.unwrap();
    }
    // COM_RESET_CONNECTION: user variables and session variables reset, the
    // account and the database stay.
    root.query_drop("USE cu").await.unwrap();
    root.query_drop("SET @x = 42").await.unwrap();
    root.query_drop("SET query_timeout = 77").await.unwrap();
    root.reset().await.unwrap();
    assert_eq!(
        query_strings(&mut root, "SELECT @x, @@query_timeout, USER(), DATABASE()").await,
        vec![vec!["NULL", "300", "'root'@'127.0.0.1'", "cu"]]
    );

    // COM_CHANGE_USER with a wrong password: refused with 1045, and the
    // connection does not go on as root.
    let mut c = cluster.conn().await;
    let err = c
        .change_user(
            mysql_async::ChangeUserOpts::default()
                .with_user(Some("alice".into()))
                .with_pass(Some("nope".into())),
        )
        .await
        .expect_err("wrong password");
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!(e.code, 1045, "{}", e.message);
    assert!(
        c.query_drop("SHOW GRANTS").await.is_err(),
        "the connection is gone"
    );

    // With the right password the session becomes alice's, with alice's privileges.
    let mut c = cluster.conn().await;
    c.change_user(
        mysql_async::ChangeUserOpts::default()
            .with_user(Some("alice".into()))
            .with_pass(Some("a1".into()))
            .with_db_name(Some("cu".into())),
    )
    .await
    .unwrap();
    assert_eq!(
        query_strings(&mut c, "SELECT USER(), DATABASE()").await,
        vec![vec!["'alice'@'127.0.0.1'", "cu"]]
    );
    let err = c
        .query_drop("CREATE DATABASE x")
        .await
        .expect_err("alice is not root");
    let mysql_async::Error::Server(e) = err else {
        panic!("{err}")
    };
    assert_eq!(e.code, 5203);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_time_out_and_cannot_lock_clients_out() {
    let cluster = TestCluster::start_with_confs(
        1,
        None,
        Some("connect_timeout_second = 2\nmax_unauthenticated_connections = 20\n"),
    )
    .await;
    let port = cluster.query_port;
    // 100 sockets that never log in: 20 logging in (they get a greeting and
    // never answer it), 60 waiting for a place among them, 20 refused.
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // The next is refused at once, with MySQL's "Too many connections".
    let started = Instant::now();
    let mut extra = RawClient::connect(port);
    let (_, refusal) = extra.read_packet().expect("an answer");
    assert_eq!(refusal[0], 0xFF);
    assert_eq!(u16::from_le_bytes([refusal[1], refusal[2]]), 1040);
    assert_eq!(&refusal[3..], b"Too many connections");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // Every idle one is closed within connect_timeout_second (and the wait
    // for a place), and clients get in again.
    for mut s in idle {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let greeted = buf.len() > 4 && buf[4] == 10;
        let refused = buf.len() > 4 && buf[4] == 0xFF;
        assert!(
            greeted || refused,
            "a greeting or a refusal, then the close: {buf:?}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    let mut conn = cluster.conn().await;
    assert_eq!(query_strings(&mut conn, "SELECT 1").await, vec![vec!["1"]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_lock_the_account_out_for_a_while() {
    let cluster = TestCluster::start_with_confs(
        1,
        None,
        Some("failed_login_attempts = 3\npassword_lock_time_second = 3\n"),
    )
    .await;
    let mut root = cluster.conn().await;
    root.query_drop("CREATE USER bob IDENTIFIED BY 'right'")
        .await
        .unwrap();
    let login = |password: &str| {
        let opts = cluster.opts_as("bob", password);
        mysql_async::Conn::new(opts)
    };
    let code = |r: Result<mysql_async::Conn, mysql_async::Error>| match r {
        Ok(_) => 0,
        Err(mysql_async::Error::Server(e)) => e.code,
        Err(e) => panic!("{e}"),
    };
    for _ in 0..3 {
        assert_eq!(code(login("guess").await), 1045);
    }
    // Locked: even the right password is refused, over MySQL and over HTTP.
    let locked = login("right").await;
    let Err(mysql_async::Error::Server(e)) = locked else {
        panic!("not locked")
    };
    assert_eq!(e.code, 3955, "{}", e.message);
    assert!(e.message.contains("consecutive failed logins"), "{}", e.message);
    root.query_drop("CREATE DATABASE lk").await.unwrap();
    root.query_drop(
        "CREATE TABLE lk.t (k INT NOT NULL) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 \
         PROPERTIES ('replication_num' = '1')",
    )
    .await
    .unwrap();
    root.query_drop("GRANT INSERT ON lk.t TO bob").await.unwrap();
    let (status, _) = crate::stream_load(&cluster, "lk/t", &[], b"1\n", "bob:right");
    assert_eq!(status, 401);
    // Root, and bob from nowhere else, are not affected; the lockout ends by itself.
    assert_eq!(query_strings(&mut root, "SELECT 1").await, vec![vec!["1"]]);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let mut bob = login("right").await.expect("the lockout is over");
    assert_eq!(query_strings(&mut bob, "SELECT USER()").await.len(), 1);
    let (status, body) = crate::stream_load(&cluster, "lk/t", &[], b"1\n", "bob:right");
    assert_eq!(status, 200, "{body}");
}

/// Statements of the `.slt` files: the corpus of the wire fuzz test.
fn slt_statements() -> Vec<String> {
    let dir = std::path::PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("tests/slt");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.starts_with("statement") || line.starts_with("query") {
                let sql: Vec<&str> = lines
                    .by_ref()
                    .take_while(|l| !l.trim().is_empty() && *l != "----")
                    .collect();
                let sql = sql.join("\n");
                // Statements that change accounts or stop things would end the run early.
                let upper = sql.to_ascii_uppercase();
                if !sql.is_empty()
                    && ![
                        "PASSWORD",
                        "KILL",
                        "DROP USER",
                        "ALTER SYSTEM",
                        "LOGIN",
                        "IDENTIFIED",
                        "REPOSITORY",
                        "S3",
                    ]
                    .iter()
                    .any(|w| upper.contains(w))
                {
                    out.push(sql);
                }
            }
        }
    }
    out
}

/// Mutated statements of the whole `.slt` corpus, sent to a real FE: every
/// one gets an OK, rows or an ERR with an errno, the connection is never
/// dropped, and the server outlives the run. `STARLING_FUZZ_SECONDS` runs it
/// longer (the release check); CI runs it for 40 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_statements_always_get_an_answer() {
    let (budget, seed) = parser::fuzz::budget(40, 17);
    let cluster = TestCluster::start(1).await;
    let corpus = slt_statements();
    assert!(corpus.len() > 300, "{}", corpus.len());
    let mut conn = cluster.conn().await;
    // Seed the schema most statements expect.
    for sql in corpus.iter().filter(|s| s.starts_with("CREATE")).take(80) {
        let _ = conn.query_drop(sql.as_str()).await;
    }
    let mut rng = parser::fuzz::Rng::new(seed);
    let deadline = Instant::now() + budget;
    let (mut runs, mut errors) = (0u64, 0u64);
    while Instant::now() < deadline {
        let base = &corpus[rng.below(corpus.len())];
        let sql = parser::fuzz::mutate(&mut rng, base);
        let outcome = tokio::time::timeout(Duration::from_secs(30), conn.query_drop(sql.as_str())).await;
        match outcome {
            Err(_) => panic!("no answer in 30 s (seed {seed}, run {runs}): {sql:?}"),
            Ok(Ok(())) => {}
            Ok(Err(mysql_async::Error::Server(e))) => {
                assert!(e.code > 0 && e.state.len() == 5, "{e:?} for {sql:?}");
                errors += 1;
            }
            Ok(Err(e)) => panic!("the connection failed (seed {seed}, run {runs}): {e} for {sql:?}"),
        }
        runs += 1;
    }
    assert!(runs > 100 && errors > 0, "{runs} runs, {errors} errors");
    let mut fresh = cluster.conn().await;
    assert_eq!(query_strings(&mut fresh, "SELECT 1").await, vec![vec!["1"]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_connection_slots_keep_a_reserve_for_root() {
    let cluster = TestCluster::start_with_confs(
        1,
        None,
        Some("qe_max_connection = 3\nadmin_reserved_connections = 2\n"),
    )
    .await;
    let mut root = cluster.conn().await;
    root.query_drop("CREATE USER carol IDENTIFIED BY 'c'")
        .await
        .unwrap();
    let carol = || {
        let opts = cluster.opts_as("carol", "c");
        mysql_async::Conn::new(opts)
    };
    let mut held = vec![carol().await.unwrap(), carol().await.unwrap()];
    // Three logged in: carol is refused, root still gets its two reserved places.
    let Err(mysql_async::Error::Server(e)) = carol().await else {
        panic!("carol got a fourth place")
    };
    assert_eq!(e.code, 1040, "{}", e.message);
    held.push(cluster.conn().await);
    held.push(cluster.conn().await);
    let Err(mysql_async::Error::Server(e)) = mysql_async::Conn::new(cluster.opts()).await else {
        panic!("root got past its reserve")
    };
    assert_eq!(e.code, 1040, "{}", e.message);
    // A place freed is a place for anyone again.
    for c in held.drain(..) {
        c.disconnect().await.unwrap();
    }
    // (The server notices the closes a moment after the clients.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut c = loop {
        match carol().await {
            Ok(c) => break c,
            Err(e) => assert!(Instant::now() < deadline, "no room again: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(query_strings(&mut c, "SELECT 1").await, vec![vec!["1"]]);
    assert_eq!(query_strings(&mut root, "SELECT 1").await, vec![vec!["1"]]);
}
