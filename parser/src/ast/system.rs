//! `ALTER SYSTEM` operations.

use std::fmt;

use super::sqlfmt::DqStr;

/// What `ALTER SYSTEM` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterSystemOp {
    /// `ADD BACKEND "host:port"[, ...]`
    AddBackends(Vec<String>),
    /// `DROP BACKEND "host:port"[, ...]` (also `DROPP BACKEND`).
    DropBackends(Vec<String>),
}

impl fmt::Display for AlterSystemOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (verb, hosts) = match self {
            AlterSystemOp::AddBackends(h) => ("ADD", h),
            AlterSystemOp::DropBackends(h) => ("DROP", h),
        };
        write!(f, "ALTER SYSTEM {verb} BACKEND ")?;
        for (i, h) in hosts.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", DqStr(h))?;
        }
        Ok(())
    }
}
