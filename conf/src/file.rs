//! The `key = value` file format shared by `fe.conf` and `be.conf`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Errors reading or interpreting a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A line is neither a comment, blank, nor `key = value`.
    #[error("line {line}: expected 'key = value', got '{text}'")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// The offending line.
        text: String,
    },
    /// A known key has a value of the wrong type.
    #[error("invalid value '{value}' for configuration key '{key}'")]
    BadValue {
        /// The key.
        key: String,
        /// The value that did not parse.
        value: String,
    },
}

/// One `key = value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key, trimmed.
    pub key: String,
    /// The value, trimmed, with one pair of surrounding double quotes removed.
    pub value: String,
    /// 1-based line number, for messages.
    pub line: usize,
}

/// A parsed configuration file: its entries in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfFile {
    entries: Vec<Entry>,
}

impl ConfFile {
    /// Parses configuration text. Later entries for the same key win, as in StarRocks.
    pub fn parse(text: &str) -> Result<Self, ConfError> {
        let mut entries = Vec::new();
        for (idx, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(ConfError::Syntax {
                    line: idx + 1,
                    text: raw.to_string(),
                });
            };
            let key = key.trim();
            if key.is_empty() {
                return Err(ConfError::Syntax {
                    line: idx + 1,
                    text: raw.to_string(),
                });
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            entries.push(Entry {
                key: key.to_string(),
                value: value.to_string(),
                line: idx + 1,
            });
        }
        Ok(Self { entries })
    }

    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<Self, ConfError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    /// The entries in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// Parses one value; booleans accept `true`/`false` in any case.
pub(crate) fn parse_value<T: FromStr>(key: &str, value: &str) -> Result<T, ConfError> {
    let normalized = if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
        value.to_ascii_lowercase()
    } else {
        value.to_string()
    };
    normalized.parse().map_err(|_| ConfError::BadValue {
        key: key.to_string(),
        value: value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_comments_quotes_and_blank_lines() {
        let file = ConfFile::parse("# c\n\n a = 1 \nb=\"x y\"\n").unwrap();
        let got: Vec<_> = file
            .entries()
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(got, vec![("a", "1", 3), ("b", "x y", 4)]);
    }

    #[test]
    fn rejects_line_without_equals() {
        let err = ConfFile::parse("ok = 1\nnot a setting\n").unwrap_err();
        assert!(matches!(err, ConfError::Syntax { line: 2, .. }), "{err}");
    }
}
