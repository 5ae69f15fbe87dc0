//! The outcome of a BACKUP or RESTORE job so far, shared by both kinds.

use serde::{Deserialize, Serialize};

/// A job's outcome so far: `[OK]` or `[<CODE>, msg: <text>]` (spec §6.4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobStatus {
    /// `OK`, `TIMEOUT`, `BAD_FILE`, `COMMON_ERROR`, ...
    pub code: String,
    /// Empty when OK.
    pub msg: String,
}

impl JobStatus {
    /// The OK status.
    pub fn ok() -> Self {
        Self {
            code: "OK".into(),
            msg: String::new(),
        }
    }

    /// A failure status.
    pub fn err(code: &str, msg: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            msg: msg.into(),
        }
    }

    /// True for OK (and for the empty status of old records).
    pub fn is_ok(&self) -> bool {
        self.code.is_empty() || self.code == "OK"
    }

    /// The SHOW BACKUP / SHOW RESTORE rendering.
    pub fn render(&self) -> String {
        if self.is_ok() {
            "[OK]".into()
        } else {
            format!("[{}, msg: {}]", self.code, self.msg)
        }
    }
}

/// A job's pauses (Starling's `PAUSE BACKUP/RESTORE`): whether it is paused
/// now, and for how long it was paused before. Paused time does not count
/// against the job's timeout. Absent in older records: never paused.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobPause {
    /// When the current pause began, epoch ms; `None` while running.
    #[serde(default)]
    pub since_ms: Option<i64>,
    /// Milliseconds of earlier pauses.
    #[serde(default)]
    pub total_ms: i64,
    /// `"debug_pause_on" = "error"`: a failed step pauses the job, with its
    /// error in `Status`, instead of cancelling it.
    #[serde(default)]
    pub on_error: bool,
}

impl JobPause {
    /// True while paused.
    pub fn is_paused(&self) -> bool {
        self.since_ms.is_some()
    }

    /// Milliseconds spent paused up to `now_ms`.
    pub fn paused_ms(&self, now_ms: i64) -> i64 {
        self.total_ms + self.since_ms.map_or(0, |since| (now_ms - since).max(0))
    }
}
