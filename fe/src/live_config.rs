//! The FE settings that change while it runs (`ADMIN SET FRONTEND CONFIG`).
//!
//! `fe.conf` is read once at start; the keys of [`FeConfig::MUTABLE`] may
//! then be set again. As in StarRocks, a value set this way lasts until the
//! FE restarts. Code that honours a mutable key reads it through
//! [`LiveConfig::get`] at each use.

use conf::FeConfig;
use parking_lot::RwLock;

use crate::error::{ErrorCode, FeError};

/// The FE's configuration, with its mutable keys settable.
#[derive(Debug)]
pub struct LiveConfig {
    current: RwLock<FeConfig>,
}

impl LiveConfig {
    /// Starts from the configuration as loaded.
    pub fn new(config: FeConfig) -> Self {
        Self {
            current: RwLock::new(config),
        }
    }

    /// The configuration now.
    pub fn get(&self) -> FeConfig {
        self.current.read().clone()
    }

    /// Sets mutable key `key` to `value`.
    pub fn set(&self, key: &str, value: &str) -> Result<(), FeError> {
        if !FeConfig::MUTABLE.contains(&key) {
            return Err(FeError::analysis_code(
                ErrorCode::Common,
                format!("Config '{key}' does not exist or is not mutable"),
            ));
        }
        let mut next = self.current.read().clone();
        next.set(key, value)
            .map_err(|e| FeError::analysis_code(ErrorCode::Common, e.to_string()))?;
        *self.current.write() = next;
        tracing::info!(key, value, "frontend config set");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mutable_keys_change_and_bad_values_are_refused() {
        let live = LiveConfig::new(FeConfig::default());
        live.set("max_download_task_per_be", "4").expect("mutable");
        assert_eq!(live.get().max_download_task_per_be, 4);
        let err = live.set("query_port", "1").expect_err("immutable");
        assert!(
            err.to_string()
                .contains("Config 'query_port' does not exist or is not mutable")
        );
        let err = live.set("nope", "1").expect_err("unknown");
        assert!(err.to_string().contains("'nope'"));
        let err = live
            .set("max_download_task_per_be", "many")
            .expect_err("bad value");
        assert!(err.to_string().contains("max_download_task_per_be"), "{err}");
        assert_eq!(live.get().max_download_task_per_be, 4);
    }
}
