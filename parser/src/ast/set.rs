//! `SET` statements: variable assignments, `SET NAMES`, `SET PASSWORD`.

use std::fmt;

use super::sqlfmt::{Ident, Str};
use super::types::Literal;

/// One `name = value` of a `SET` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAssignment {
    /// Which kind of variable is assigned.
    pub scope: SetScope,
    /// The variable name as written, without `@`, `@@` or scope prefix.
    pub name: String,
    /// The new value.
    pub value: SetValue,
}

/// The kind of variable a `SET` assigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetScope {
    /// A session system variable (`SET x`, `SET SESSION x`, `SET LOCAL x`,
    /// `SET @@x`, `SET @@session.x`).
    Session,
    /// A global system variable (`SET GLOBAL x`, `SET @@global.x`).
    Global,
    /// A user variable (`SET @x`).
    User,
}

/// The right-hand side of a `SET` assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetValue {
    /// A literal such as `1`, `-1`, `'x'`, `TRUE`, `NULL`.
    Literal(Literal),
    /// A bare word such as `ON`, `OFF`, `utf8` or `DEFAULT`, as written.
    Ident(String),
    /// Anything else, as raw text, e.g. `concat(@@sql_mode, ',X')`.
    Expr(String),
}

impl fmt::Display for SetAssignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            SetScope::Session => write!(f, "SESSION {}", Ident(&self.name))?,
            SetScope::Global => write!(f, "GLOBAL {}", Ident(&self.name))?,
            SetScope::User => write!(f, "@{}", Ident(&self.name))?,
        }
        write!(f, " = {}", self.value)
    }
}

impl fmt::Display for SetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetValue::Literal(l) => write!(f, "{l}"),
            SetValue::Ident(w) | SetValue::Expr(w) => f.write_str(w),
        }
    }
}

/// An account, `'user'@'host'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdent {
    /// User name.
    pub user: String,
    /// Host pattern; `%` when not given.
    pub host: String,
}

impl fmt::Display for UserIdent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", Str(&self.user), Str(&self.host))
    }
}

/// The new password of `SET PASSWORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordValue {
    /// `PASSWORD('plain text')`
    Plain(String),
    /// `'*hashed'`
    Hashed(String),
}

impl fmt::Display for PasswordValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordValue::Plain(p) => write!(f, "PASSWORD({})", Str(p)),
            PasswordValue::Hashed(h) => write!(f, "{}", Str(h)),
        }
    }
}
