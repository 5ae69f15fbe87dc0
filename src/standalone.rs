//! A standalone cluster: one FE and N BEs as child processes of one
//! supervisor, data under one directory.
//!
//! ```text
//! <data-dir>/standalone.json   BE ports chosen on first start (versioned)
//! <data-dir>/fe/               FE catalog
//! <data-dir>/be0 .. be<N-1>/   BE storage roots
//! <data-dir>/log/              fe.log, be<i>.log
//! ```
//!
//! BE ports are picked free on first start and reused afterwards, because the
//! catalog registers backends by `host:port`. Children get SIGTERM when the
//! supervisor dies (`PR_SET_PDEATHSIG`), so no process outlives the cluster.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

/// Flags of the standalone launcher.
#[derive(Debug, Clone, Args)]
pub struct StandaloneArgs {
    /// Directory holding all data and logs.
    #[arg(long, default_value = "starling-data")]
    pub data_dir: PathBuf,
    /// MySQL protocol port of the FE.
    #[arg(long, default_value_t = 9030)]
    pub query_port: u16,
    /// HTTP port of the FE.
    #[arg(long, default_value_t = 8030)]
    pub http_port: u16,
    /// Number of BE processes.
    #[arg(long, default_value_t = 3)]
    pub backends: usize,
    /// Directory with fe.conf and be.conf (default: ./conf when it exists).
    #[arg(long)]
    pub conf_dir: Option<PathBuf>,
}

/// Persisted launcher state.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    format_version: u32,
    be_ports: Vec<u16>,
}

const STATE_VERSION: u32 = 1;

/// The first port the kernel hands out for outgoing connections.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|p| p.parse().ok()))
        .unwrap_or(32768)
}

/// A free port below the kernel's ephemeral range. BE ports are kept and
/// reused at every start; one in the ephemeral range could meanwhile be the
/// local end of some outgoing connection, and the BE could not bind it.
fn free_port() -> std::io::Result<u16> {
    let end = ephemeral_start().max(11000);
    let span = u32::from(end - 10000);
    let offset = (std::process::id().wrapping_mul(2654435761) ^ rand_seed()) % span;
    for i in 0..span {
        let port = 10000 + ((offset + i) % span) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn rand_seed() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default()
}

/// Waits until `port` can be bound (a BE of the previous run may still be
/// closing it); says who has it otherwise.
async fn wait_port_free(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "BE port {port} (kept in standalone.json) is in use by another process"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn load_state(path: &Path, backends: usize) -> Result<State, String> {
    let mut state = match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice::<State>(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
        }
        Err(_) => State {
            format_version: STATE_VERSION,
            be_ports: Vec::new(),
        },
    };
    if state.format_version > STATE_VERSION {
        return Err(format!("{} was written by a newer Starling", path.display()));
    }
    while state.be_ports.len() < backends {
        state.be_ports.push(free_port().map_err(|e| e.to_string())?);
    }
    let bytes = serde_json::to_vec_pretty(&state).map_err(|e| e.to_string())?;
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(state)
}

fn spawn(exe: &Path, args: &[String], log: &Path) -> Result<Child, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let stderr = file.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(args).stdin(Stdio::null()).stdout(file).stderr(stderr);
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))
}

/// `GET /api/health` on the FE; returns the number of alive BEs.
/// True once our FE child has written its port file with the ports asked for.
fn our_fe_listens(port_file: &Path, query_port: u16, http_port: u16) -> bool {
    std::fs::read_to_string(port_file).is_ok_and(|text| {
        let ports: Vec<u16> = text.split_whitespace().filter_map(|p| p.parse().ok()).collect();
        matches!(ports.as_slice(), [q, h] if (*q, *h) == (query_port, http_port))
    })
}

async fn online_backends(http_port: u16) -> Option<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", http_port))
        .await
        .ok()?;
    stream
        .write_all(b"GET /api/health HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .ok()?;
    let mut body = String::new();
    stream.read_to_string(&mut body).await.ok()?;
    let json = body.split("\r\n\r\n").nth(1)?;
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v.get("online_backend_num")?.as_u64()
}

async fn terminate(children: &mut [(String, Child)]) {
    for (_, child) in children.iter() {
        if let Some(pid) = child.id() {
            // SAFETY: sending a signal to our own child process.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
    }
    for (name, child) in children.iter_mut() {
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_err()
        {
            tracing::warn!(%name, "did not stop in 10s; killing");
            let _ = child.kill().await;
        }
    }
}

/// Whether a pinned future has completed, without waiting for it.
async fn futures_ready<F: std::future::Future<Output = ()>>(f: &mut std::pin::Pin<&mut F>) -> bool {
    tokio::select! {
        biased;
        _ = f.as_mut() => true,
        _ = std::future::ready(()) => false,
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Runs the standalone cluster until SIGINT/SIGTERM.
pub async fn run(args: StandaloneArgs) -> Result<(), String> {
    let signal = crate::roles::shutdown_signal();
    tokio::pin!(signal);
    crate::roles::init_logging("info");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let data = &args.data_dir;
    crate::roles::private_files(data)?;
    let logs = data.join("log");
    std::fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let conf_dir = args
        .conf_dir
        .clone()
        .or_else(|| Path::new("conf/fe.conf").exists().then(|| PathBuf::from("conf")));
    let state = load_state(&data.join("standalone.json"), args.backends)?;

    let mut children: Vec<(String, Child)> = Vec::new();
    let mut backend_flags = Vec::new();
    for (i, port) in state.be_ports.iter().take(args.backends).enumerate() {
        if let Err(e) = wait_port_free(*port).await {
            terminate(&mut children).await;
            return Err(e);
        }
        let mut be_args = vec![
            "be".to_string(),
            "--data-dir".into(),
            data.join(format!("be{i}")).display().to_string(),
            "--be-port".into(),
            port.to_string(),
            // Shown by SHOW BACKENDS (HttpPort); nothing registers it.
            "--http-port".into(),
            "0".into(),
        ];
        if let Some(dir) = &conf_dir {
            be_args.extend(["--conf".into(), dir.join("be.conf").display().to_string()]);
        }
        let child = spawn(&exe, &be_args, &logs.join(format!("be{i}.log")))?;
        children.push((format!("be{i}"), child));
        backend_flags.extend(["--backend".to_string(), format!("127.0.0.1:{port}")]);
    }
    let mut fe_args = vec![
        "fe".to_string(),
        "--data-dir".into(),
        data.join("fe").display().to_string(),
        "--query-port".into(),
        args.query_port.to_string(),
        "--http-port".into(),
        args.http_port.to_string(),
    ];
    if let Some(dir) = &conf_dir {
        fe_args.extend(["--conf".into(), dir.join("fe.conf").display().to_string()]);
    }
    fe_args.extend(backend_flags);
    // The FE writes this file once it has bound both ports: until then a
    // health answer on the HTTP port may come from another process.
    let port_file = data.join("fe.port");
    let _ = std::fs::remove_file(&port_file);
    fe_args.extend(["--port-file".into(), port_file.display().to_string()]);
    let fe_log = logs.join("fe.log");
    children.insert(0, ("fe".into(), spawn(&exe, &fe_args, &fe_log)?));

    // Wait until the FE answers and sees every BE alive.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if futures_ready(&mut signal).await {
            terminate(&mut children).await;
            return Ok(());
        }
        if let Ok(Some(status)) = children[0].1.try_wait() {
            terminate(&mut children[1..]).await;
            return Err(format!(
                "the FE exited during start-up ({status}); last log lines:\n{}",
                tail(&fe_log)
            ));
        }
        if our_fe_listens(&port_file, args.query_port, args.http_port)
            && online_backends(args.http_port).await == Some(args.backends as u64)
        {
            break;
        }
        if Instant::now() > deadline {
            terminate(&mut children).await;
            return Err(format!(
                "the cluster did not become ready in 60s; see logs in {}",
                logs.display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tracing::info!(
        "Starling is ready: mysql -h 127.0.0.1 -P {} -u root   (data: {}, logs: {})",
        args.query_port,
        data.display(),
        logs.display()
    );
    if std::fs::read_to_string(&fe_log).is_ok_and(|log| log.contains(fe::auth::ROOT_WITHOUT_PASSWORD)) {
        tracing::warn!("{}", fe::auth::ROOT_WITHOUT_PASSWORD);
    }

    loop {
        tokio::select! {
            _ = &mut signal => break,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                let mut fe_died = false;
                for (name, child) in children.iter_mut() {
                    if let Ok(Some(status)) = child.try_wait() {
                        if name == "fe" {
                            fe_died = true;
                        }
                        tracing::warn!(%name, %status, "process exited");
                    }
                }
                if fe_died {
                    terminate(&mut children).await;
                    return Err(format!("the FE exited; last log lines:\n{}", tail(&fe_log)));
                }
                children.retain_mut(|(_, c)| matches!(c.try_wait(), Ok(None)));
            }
        }
    }
    tracing::info!("stopping Starling");
    terminate(&mut children).await;
    Ok(())
}
