//! Starts real `starling-fe` / `starling-be` processes on free ports in a
//! temporary directory and kills them when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

pub const FE_BIN: &str = env!("CARGO_BIN_EXE_starling-fe");
pub const BE_BIN: &str = env!("CARGO_BIN_EXE_starling-be");
pub const STANDALONE_BIN: &str = env!("CARGO_BIN_EXE_starling");

/// A child process killed (SIGKILL) on drop.
pub struct ChildGuard {
    pub child: Child,
}

impl ChildGuard {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe {
            libc::kill(self.pid(), sig);
        }
    }

    /// Waits for exit, up to `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn with_conf(mut args: Vec<String>, conf: Option<&Path>) -> Vec<String> {
    if let Some(conf) = conf {
        args.extend(["--conf".into(), conf.display().to_string()]);
    }
    args
}

fn spawn(bin: &str, args: &[String], log: &Path) -> ChildGuard {
    let file = std::fs::File::create(log).expect("log file");
    let child = Command::new(bin)
        .args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log file"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    ChildGuard { child }
}

/// Waits for a port file and returns its whitespace-separated numbers.
pub fn read_port_file(path: &Path, timeout: Duration) -> Vec<u16> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            let ports: Vec<u16> = text.split_whitespace().filter_map(|p| p.parse().ok()).collect();
            if !ports.is_empty() {
                return ports;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no port file {} in time",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A free TCP port on 127.0.0.1 (released before use; tests tolerate the race).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A free port below the kernel's ephemeral range, for a server restarted on
/// the same port: no outgoing connection takes it in between.
pub fn stable_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20000 + (std::process::id() % 5000) as u16;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 7000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One FE and N BEs.
pub struct TestCluster {
    pub dir: tempfile::TempDir,
    pub fe: Option<ChildGuard>,
    pub bes: Vec<Option<ChildGuard>>,
    pub be_ports: Vec<u16>,
    /// Each BE's HTTP port (chosen free at every start).
    pub be_http_ports: Vec<u16>,
    pub query_port: u16,
    pub http_port: u16,
    fe_starts: u32,
    be_conf: Option<PathBuf>,
    fe_conf: Option<PathBuf>,
    root_password: Option<String>,
}

impl TestCluster {
    /// Starts `backends` BEs and an FE that registers them, and waits until the
    /// FE reports every BE alive.
    pub async fn start(backends: usize) -> Self {
        Self::start_with_be_conf(backends, None).await
    }

    /// Like [`TestCluster::start`], with `be.conf` text given to every BE.
    pub async fn start_with_be_conf(backends: usize, be_conf: Option<&str>) -> Self {
        Self::start_with_confs(backends, be_conf, None).await
    }

    /// Like [`TestCluster::start`], with `be.conf` text for every BE and `fe.conf` text for the FE.
    pub async fn start_with_confs(backends: usize, be_conf: Option<&str>, fe_conf: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let fe_conf = fe_conf.map(|text| {
            let path = dir.path().join("fe.conf");
            std::fs::write(&path, text).expect("write fe.conf");
            path
        });
        let be_conf = be_conf.map(|text| {
            let path = dir.path().join("be.conf");
            std::fs::write(&path, text).expect("write be.conf");
            path
        });
        let mut bes = Vec::new();
        let (mut be_ports, mut be_http_ports) = (Vec::new(), Vec::new());
        for i in 0..backends {
            let port_file = dir.path().join(format!("be{i}.port"));
            let args = vec![
                "--data-dir".into(),
                dir.path().join(format!("be{i}")).display().to_string(),
                "--be-port".into(),
                "0".into(),
                "--http-port".into(),
                "0".into(),
                "--port-file".into(),
                port_file.display().to_string(),
            ];
            let args = with_conf(args, be_conf.as_deref());
            bes.push(Some(spawn(BE_BIN, &args, &dir.path().join(format!("be{i}.log")))));
            let ports = read_port_file(&port_file, Duration::from_secs(30));
            be_ports.push(ports[0]);
            be_http_ports.push(ports[1]);
        }
        let mut cluster = Self {
            dir,
            fe: None,
            bes,
            be_ports,
            be_http_ports,
            query_port: 0,
            http_port: 0,
            fe_starts: 0,
            be_conf,
            fe_conf,
            root_password: None,
        };
        cluster.start_fe(0, 0).await;
        cluster.wait_backends_alive(backends).await;
        cluster
    }

    /// Restarts the FE (`kill -9`) with `fe.conf` text, and connects to it.
    pub async fn restart_fe_with_conf(&mut self, text: &str) -> mysql_async::Conn {
        self.set_fe_conf(text);
        self.kill_fe();
        self.start_fe(0, 0).await;
        self.conn().await
    }

    /// `fe.conf` text for the next FE start.
    pub fn set_fe_conf(&mut self, text: &str) {
        let path = self.path().join("fe.conf");
        std::fs::write(&path, text).expect("write fe.conf");
        self.fe_conf = Some(path);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Starts (or restarts) the FE; port 0 picks fresh ports.
    pub async fn start_fe(&mut self, query_port: u16, http_port: u16) {
        let port_file = self.path().join("fe.port");
        let _ = std::fs::remove_file(&port_file);
        let mut args = vec![
            "--data-dir".into(),
            self.path().join("fe").display().to_string(),
            "--query-port".into(),
            query_port.to_string(),
            "--http-port".into(),
            http_port.to_string(),
            "--port-file".into(),
            port_file.display().to_string(),
        ];
        for port in &self.be_ports {
            args.extend(["--backend".into(), format!("127.0.0.1:{port}")]);
        }
        let args = with_conf(args, self.fe_conf.as_deref());
        self.fe_starts += 1;
        let log = self.path().join(format!("fe.{}.log", self.fe_starts));
        self.fe = Some(spawn(FE_BIN, &args, &log));
        let ports = read_port_file(&port_file, Duration::from_secs(30));
        self.query_port = ports[0];
        self.http_port = ports[1];
        self.wait_mysql().await;
    }

    async fn wait_mysql(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut c) = mysql_async::Conn::new(self.opts()).await
                && c.query_drop("SELECT 1").await.is_ok()
            {
                let _ = c.disconnect().await;
                return;
            }
            assert!(Instant::now() < deadline, "FE did not accept MySQL connections");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until SHOW BACKENDS reports `n` alive backends.
    pub async fn wait_backends_alive(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.alive_backends().await == n {
                return;
            }
            assert!(Instant::now() < deadline, "backends did not become alive");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Number of rows of SHOW BACKENDS with Alive = true.
    pub async fn alive_backends(&self) -> usize {
        let Ok(mut c) = mysql_async::Conn::new(self.opts()).await else {
            return 0;
        };
        let rows: Vec<mysql_async::Row> = c.query("SHOW BACKENDS").await.unwrap_or_default();
        rows.iter()
            .filter(|r| r.get::<String, _>("Alive").as_deref() == Some("true"))
            .count()
    }

    pub fn opts(&self) -> mysql_async::Opts {
        mysql_async::OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .tcp_port(self.query_port)
            .user(Some("root"))
            .pass(self.root_password.clone())
            .prefer_socket(false)
            .into()
    }

    /// Connection options for `user` with `password`.
    pub fn opts_as(&self, user: &str, password: &str) -> mysql_async::Opts {
        mysql_async::OptsBuilder::from_opts(self.opts())
            .user(Some(user))
            .pass(Some(password))
            .into()
    }

    /// The password root logs in with from now on (after `SET PASSWORD`).
    pub fn set_root_password(&mut self, password: &str) {
        self.root_password = Some(password.to_string());
    }

    pub async fn conn(&self) -> mysql_async::Conn {
        mysql_async::Conn::new(self.opts()).await.expect("connect")
    }

    /// `kill -9` the FE.
    pub fn kill_fe(&mut self) {
        if let Some(mut fe) = self.fe.take() {
            fe.signal(libc::SIGKILL);
            fe.wait_exit(Duration::from_secs(10)).expect("FE did not die");
        }
    }

    /// SIGTERM the FE and wait for a clean exit.
    pub fn stop_fe(&mut self) {
        if let Some(mut fe) = self.fe.take() {
            fe.signal(libc::SIGTERM);
            let status = fe
                .wait_exit(Duration::from_secs(15))
                .expect("FE did not stop on SIGTERM");
            assert!(status.success(), "FE exited with {status}");
        }
    }

    /// Starts BE `i` again on its data directory and port.
    pub fn restart_be(&mut self, i: usize) {
        let port_file = self.path().join(format!("be{i}.port"));
        let _ = std::fs::remove_file(&port_file);
        let args = vec![
            "--data-dir".into(),
            self.path().join(format!("be{i}")).display().to_string(),
            "--be-port".into(),
            self.be_ports[i].to_string(),
            "--http-port".into(),
            "0".into(),
            "--port-file".into(),
            port_file.display().to_string(),
        ];
        let args = with_conf(args, self.be_conf.as_deref());
        self.bes[i] = Some(spawn(
            BE_BIN,
            &args,
            &self.path().join(format!("be{i}.restarted.log")),
        ));
        self.be_http_ports[i] = read_port_file(&port_file, Duration::from_secs(30))[1];
    }

    /// `kill -9` a BE.
    pub fn kill_be(&mut self, i: usize) {
        if let Some(mut be) = self.bes[i].take() {
            be.signal(libc::SIGKILL);
            be.wait_exit(Duration::from_secs(10)).expect("BE did not die");
        }
    }
}
