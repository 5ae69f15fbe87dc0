//! The MySQL protocol server on opensrv-mysql 0.7, with its defects contained
//! in [`wire`].

mod shim;
mod status;
pub mod wire;

use std::future::Future;
use std::sync::Arc;

use opensrv_mysql::AsyncMysqlIntermediary;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::Fe;

/// Accepts connections until `shutdown` resolves. Each connection runs in its own
/// task; a failure or panic in one never affects the others.
pub async fn serve(listener: TcpListener, fe: Arc<Fe>, shutdown: impl Future<Output = ()>) {
    let limit = Arc::new(Semaphore::new(fe.config.qe_max_connection.max(1) as usize));
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
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let permit = match Arc::clone(&limit).acquire_owned().await {
            Ok(p) => p,
            Err(_) => return,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        let fe = Arc::clone(&fe);
        tokio::spawn(async move {
            let shim = shim::Shim::new(fe, peer.ip().to_string());
            let id = shim.id();
            let autocommit = shim.autocommit_flag();
            let (read, write) = stream.into_split();
            let reader = wire::OnePacketReader::new(read);
            let writer = wire::ServerWriter::new(write, autocommit, shim.login_denial());
            if let Err(e) = AsyncMysqlIntermediary::run_on(shim, reader, writer).await {
                tracing::debug!(connection = id, error = %e, "connection closed with error");
            }
            drop(permit);
        });
    }
}
