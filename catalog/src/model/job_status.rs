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
