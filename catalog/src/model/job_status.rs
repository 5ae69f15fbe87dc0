//! The outcome of a BACKUP or RESTORE job so far, shared by both kinds.

use serde::{Deserialize, Serialize};

/// What a job's status says, as StarRocks names it in `Status`
/// (`[<CODE>, msg: ...]`, spec §6.4). Persisted as that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatusCode {
    /// No error (records of the first format wrote an empty code).
    #[default]
    #[serde(alias = "")]
    Ok,
    /// The job ran out of time.
    Timeout,
    /// A repository file is damaged (its checksum does not match).
    BadFile,
    /// A repository file is missing.
    NotFound,
    /// Anything else: a cancel, a dropped table, a BE that kept failing.
    CommonError,
}

impl StatusCode {
    /// The name `Status` prints.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Timeout => "TIMEOUT",
            Self::BadFile => "BAD_FILE",
            Self::NotFound => "NOT_FOUND",
            Self::CommonError => "COMMON_ERROR",
        }
    }
}

/// A job's outcome so far: `[OK]` or `[<CODE>, msg: <text>]` (spec §6.4).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct JobStatus {
    /// What went wrong, if anything.
    pub code: StatusCode,
    /// Empty when OK.
    pub msg: String,
}

impl JobStatus {
    /// The OK status.
    pub fn ok() -> Self {
        Self::default()
    }

    /// A failure status.
    pub fn err(code: StatusCode, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }

    /// True for OK.
    pub fn is_ok(&self) -> bool {
        self.code == StatusCode::Ok
    }

    /// The SHOW BACKUP / SHOW RESTORE rendering, the only one.
    pub fn render(&self) -> String {
        if self.is_ok() {
            "[OK]".into()
        } else {
            format!("[{}, msg: {}]", self.code.name(), self.msg)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_are_stored_by_their_starrocks_names() {
        let s = JobStatus::err(StatusCode::BadFile, "md5 mismatch");
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, r#"{"code":"BAD_FILE","msg":"md5 mismatch"}"#);
        assert_eq!(serde_json::from_str::<JobStatus>(&text).unwrap(), s);
        assert_eq!(s.render(), "[BAD_FILE, msg: md5 mismatch]");
        // The first format wrote an empty code for OK.
        let old: JobStatus = serde_json::from_str(r#"{"code":"","msg":""}"#).unwrap();
        assert!(old.is_ok());
        assert_eq!(old.render(), "[OK]");
    }
}
