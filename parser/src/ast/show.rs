//! Pieces of `SHOW` statements.

use std::fmt;

use super::sqlfmt::Str;

/// `LIKE 'pattern'` or `WHERE expr` after a `SHOW` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowFilter {
    /// `LIKE 'pattern'`, the pattern unescaped.
    Like(String),
    /// `WHERE expr`, the raw expression text.
    Where(String),
}

impl fmt::Display for ShowFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShowFilter::Like(p) => write!(f, "LIKE {}", Str(p)),
            ShowFilter::Where(e) => write!(f, "WHERE {e}"),
        }
    }
}

/// The variable scope of `SHOW VARIABLES` / `SHOW STATUS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VarScope {
    /// `SESSION` or `LOCAL`, the default.
    #[default]
    Session,
    /// `GLOBAL`
    Global,
}

impl fmt::Display for VarScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VarScope::Session => "SESSION",
            VarScope::Global => "GLOBAL",
        })
    }
}
