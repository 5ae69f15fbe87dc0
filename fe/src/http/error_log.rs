//! Rejected rows of recent loads, served at the `ErrorURL` Stream Load returns.
//!
//! Bounded three ways: the rows kept per load (the parser keeps the first
//! [`crate::load::parse::Rejected::KEEP`], each cut short), the loads kept
//! ([`KEEP`], oldest out) and their age ([`EXPIRE`]). Reading a log needs the
//! same credentials and privilege as the load that wrote it: `INSERT` on its
//! table.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use catalog::Privilege;
use parking_lot::Mutex;

use crate::Fe;
use crate::privilege::{Grants, Need};

/// Loads whose logs are kept.
const KEEP: usize = 100;
/// How long a log is kept.
const EXPIRE: Duration = Duration::from_secs(3600);

struct Log {
    name: String,
    db: String,
    table: String,
    text: String,
    at: Instant,
}

/// Recent loads' rejected rows, by name.
#[derive(Default)]
pub struct ErrorLogs {
    logs: Mutex<VecDeque<Log>>,
}

impl ErrorLogs {
    /// Keeps the rejected rows of a load into `db.table` under `name`.
    pub fn put(&self, name: String, db: &str, table: &str, rows: &[String]) {
        let mut logs = self.logs.lock();
        let now = Instant::now();
        logs.retain(|l| now.duration_since(l.at) < EXPIRE && l.name != name);
        while logs.len() >= KEEP {
            logs.pop_front();
        }
        logs.push_back(Log {
            name,
            db: db.to_string(),
            table: table.to_string(),
            text: rows.join("\n") + "\n",
            at: now,
        });
    }

    /// A load's rejected rows and the table it loaded, while kept.
    fn get(&self, name: &str) -> Option<(String, String, String)> {
        let now = Instant::now();
        self.logs
            .lock()
            .iter()
            .find(|l| l.name == name && now.duration_since(l.at) < EXPIRE)
            .map(|l| (l.db.clone(), l.table.clone(), l.text.clone()))
    }

    /// Bytes held, for tests of the bound.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.logs.lock().iter().map(|l| l.text.len()).sum()
    }
}

#[derive(serde::Deserialize)]
pub(super) struct Params {
    file: String,
}

/// `GET /api/_load_error_log?file=<label>`.
pub(super) async fn handle(
    State(fe): State<Arc<Fe>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> (StatusCode, String) {
    let Some(account) = super::authenticate(&fe, &headers, peer.ip()) else {
        return (
            StatusCode::UNAUTHORIZED,
            "Access denied: no valid Basic authorization, or wrong user or password\n".into(),
        );
    };
    let not_found = || (StatusCode::NOT_FOUND, format!("no error log {}\n", params.file));
    let Some((db, table, text)) = fe.error_logs.get(&params.file) else {
        return not_found();
    };
    let state = fe.catalog.read();
    let grants = Grants::of_user(&state, &account, &account.default_roles);
    match grants.check(&Need::table(Privilege::Insert, &db, &table)) {
        Ok(()) => (StatusCode::OK, text),
        Err(e) => (StatusCode::FORBIDDEN, format!("{e}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_bounded_in_number_and_replaced_by_name() {
        let logs = ErrorLogs::default();
        let row = "x".repeat(1000);
        for i in 0..KEEP * 3 {
            logs.put(format!("l{i}"), "db", "t", &[row.clone(), row.clone()]);
        }
        assert!(logs.get("l0").is_none(), "the oldest are gone");
        assert!(logs.get(&format!("l{}", KEEP * 3 - 1)).is_some());
        assert_eq!(logs.bytes(), KEEP * (2 * 1000 + 2));
        logs.put("again".into(), "db", "t", &["a".into()]);
        logs.put("again".into(), "db", "t2", &["b".into()]);
        assert_eq!(logs.get("again"), Some(("db".into(), "t2".into(), "b\n".into())));
    }
}
