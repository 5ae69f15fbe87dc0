//! Rejected rows of recent loads, served at the `ErrorURL` Stream Load returns.

use std::collections::VecDeque;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use parking_lot::Mutex;

use crate::Fe;

/// Loads whose logs are kept.
const KEEP: usize = 100;
/// Rejected rows kept per load.
pub const ROWS_PER_LOAD: usize = 100;

/// Recent loads' rejected rows, by name.
#[derive(Default)]
pub struct ErrorLogs {
    logs: Mutex<VecDeque<(String, String)>>,
}

impl ErrorLogs {
    /// Keeps a load's rejected rows under `name`.
    pub fn put(&self, name: String, text: String) {
        let mut logs = self.logs.lock();
        if logs.len() == KEEP {
            logs.pop_front();
        }
        logs.push_back((name, text));
    }

    /// A load's rejected rows.
    pub fn get(&self, name: &str) -> Option<String> {
        self.logs
            .lock()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }
}

#[derive(serde::Deserialize)]
pub(super) struct Params {
    file: String,
}

pub(super) async fn handle(State(fe): State<Arc<Fe>>, Query(params): Query<Params>) -> (StatusCode, String) {
    match fe.error_logs.get(&params.file) {
        Some(text) => (StatusCode::OK, text),
        None => (StatusCode::NOT_FOUND, format!("no error log {}\n", params.file)),
    }
}
