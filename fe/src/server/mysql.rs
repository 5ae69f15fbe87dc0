//! The MySQL protocol server on opensrv-mysql 0.7, with its defects contained
//! in [`wire`].

mod reader;
mod shim;
mod status;
pub mod wire;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use opensrv_mysql::AsyncMysqlIntermediary;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::Fe;

/// Payload bytes a handshake response may have (MySQL's own are well under 1 KiB).
const HANDSHAKE_LIMIT: usize = 64 * 1024;
/// Payload bytes a command may have once logged in: the `max_allowed_packet`
/// opensrv reports to clients.
const COMMAND_LIMIT: usize = 64 << 20;

/// How long a new connection may wait for a place among those logging in.
const LOGIN_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Answers `Too many connections` and closes. The packet has no SQLSTATE:
/// it comes before the handshake, when the client's protocol is not known.
fn refuse(mut stream: tokio::net::TcpStream, peer: std::net::SocketAddr) {
    tracing::warn!(peer = %peer, "too many connections logging in: refused");
    tokio::spawn(async move {
        let mut refusal = vec![0xFF];
        refusal.extend_from_slice(&1040u16.to_le_bytes());
        refusal.extend_from_slice(b"Too many connections");
        let len = refusal.len();
        let mut packet = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, 0];
        packet.extend_from_slice(&refusal);
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&packet)).await;
    });
}

/// Accepts connections until `shutdown` resolves. Each connection runs in its own
/// task; a failure or panic in one never affects the others. At most
/// `max_unauthenticated_connections` may be logging in at once, each for at
/// most `connect_timeout_second`; logged-in connections are capped by the shim.
pub async fn serve(listener: TcpListener, fe: Arc<Fe>, shutdown: impl Future<Output = ()>) {
    let logging_in = Arc::new(Semaphore::new(
        fe.config.max_unauthenticated_connections.max(1) as usize
    ));
    let queue = Arc::new(Semaphore::new(
        4 * fe.config.max_unauthenticated_connections.max(1) as usize,
    ));
    let connect_timeout = Duration::from_secs(fe.config.connect_timeout_second.max(1));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and similar: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        // A burst (a pool opening its connections) waits a moment for a
        // place among those logging in; sockets beyond what may wait, or
        // still without a place after LOGIN_QUEUE_WAIT, are refused.
        let Ok(waiting) = Arc::clone(&queue).try_acquire_owned() else {
            refuse(stream, peer);
            continue;
        };
        let logging_in = Arc::clone(&logging_in);
        let fe = Arc::clone(&fe);
        tokio::spawn(async move {
            let permit = match tokio::time::timeout(LOGIN_QUEUE_WAIT, logging_in.acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                _ => return refuse(stream, peer),
            };
            let shim = shim::Shim::new(fe, peer.ip().to_string(), [waiting, permit]);
            let id = shim.id();
            let logged_in = shim.logged_in_flag();
            let autocommit = shim.autocommit_flag();
            let (read, write) = stream.into_split();
            let limits = reader::Limits {
                before_login: HANDSHAKE_LIMIT,
                after_login: COMMAND_LIMIT,
            };
            let reader =
                reader::CommandReader::new(read, limits, Arc::clone(&logged_in), shim.control_slot());
            let writer = wire::ServerWriter::new(write, autocommit, shim.login_denial());
            let run = AsyncMysqlIntermediary::run_on(shim, reader, writer);
            tokio::pin!(run);
            let outcome = tokio::select! {
                outcome = &mut run => outcome,
                () = tokio::time::sleep(connect_timeout) => {
                    if logged_in.load(std::sync::atomic::Ordering::Acquire) {
                        run.await
                    } else {
                        tracing::info!(connection = id, peer = %peer, "no login in time: closed");
                        return;
                    }
                }
            };
            if let Err(e) = outcome {
                tracing::debug!(connection = id, error = %e, "connection closed with error");
            }
        });
    }
}
