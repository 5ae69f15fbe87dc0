//! Errors a client can see, and the one mapping to MySQL errno and SQLSTATE.
//!
//! StarRocks sends three shapes of error text (spec §11):
//! - syntax errors: `Getting syntax error at line L, column C. Detail message: ….`
//! - analysis errors: `Getting analyzing error. Detail message: <msg>.`
//! - execution errors: the bare message.
//!
//! [`FeError`] keeps those phases apart and [`ErrorCode`] fixes errno and SQLSTATE,
//! so no handler picks numbers by hand.

use std::fmt;

/// StarRocks' error codes (`ErrorCode.java`) that Starling sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No code recorded: StarRocks sends 1064 / HY000.
    Default,
    /// `Can't create database '%s'; database exists`
    DbCreateExists,
    /// `Can't drop database '%s'; database doesn't exist`
    DbDropExists,
    /// `Access denied for user '%s' (using password: %s)`
    AuthenticationFail,
    /// `No database selected`
    NoDbSelected,
    /// `Unknown database '%s'`
    BadDb,
    /// `Table '%s' already exists`
    TableExists,
    /// `Unknown table '%s'`
    BadTable,
    /// `Duplicate column name '%s'`
    DupFieldName,
    /// `Unknown error`: our own invariant broke.
    Unknown,
    /// `Unknown system variable '%s'…`
    UnknownSystemVariable,
    /// `Variable '%s' can't be set to the value of '%s'`
    WrongValueForVar,
    /// `Variable '%s' is a read only variable`
    VariableReadOnly,
    /// `Error in list of partitions to %s`
    DropPartitionNonExistent,
    /// `Duplicate partition name %s`
    SameNamePartition,
    /// `Incorrect %s name '%s'`
    WrongNameFormat,
    /// `%s`: the generic code of most DDL and job errors.
    Common,
    /// `Incorrect label name '%s'`
    WrongLabelName,
    /// `Table state is not NORMAL: '%s'`
    BadTableState,
    /// `Access denied; you need (at least one of) the %s privilege(s) on %s%s for this operation. ...`
    AccessDenied,
}

impl ErrorCode {
    /// The MySQL errno sent on the wire.
    pub fn errno(self) -> u16 {
        match self {
            Self::Default => 1064,
            Self::DbCreateExists => 1007,
            Self::DbDropExists => 1008,
            Self::AuthenticationFail => 1045,
            Self::NoDbSelected => 1046,
            Self::BadDb => 5501,
            Self::TableExists => 1050,
            Self::BadTable => 5502,
            Self::DupFieldName => 1060,
            Self::Unknown => 1105,
            Self::UnknownSystemVariable => 1193,
            Self::WrongValueForVar => 1231,
            Self::VariableReadOnly => 1621,
            Self::DropPartitionNonExistent => 1507,
            Self::SameNamePartition => 1517,
            Self::WrongNameFormat => 5063,
            Self::Common => 5064,
            Self::WrongLabelName => 5082,
            Self::BadTableState => 5014,
            Self::AccessDenied => 5203,
        }
    }

    /// The five-character SQLSTATE sent on the wire.
    pub fn sqlstate(self) -> &'static str {
        match self {
            Self::Default
            | Self::DbCreateExists
            | Self::DbDropExists
            | Self::Unknown
            | Self::UnknownSystemVariable
            | Self::VariableReadOnly
            | Self::DropPartitionNonExistent
            | Self::SameNamePartition
            | Self::BadTableState => "HY000",
            Self::AuthenticationFail => "28000",
            Self::NoDbSelected => "3D000",
            Self::BadDb => "3F000",
            Self::TableExists => "42S01",
            Self::BadTable => "42602",
            Self::DupFieldName => "42S21",
            Self::WrongValueForVar
            | Self::WrongNameFormat
            | Self::Common
            | Self::WrongLabelName
            | Self::AccessDenied => "42000",
        }
    }
}

/// An error returned to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeError {
    /// The statement did not parse; the text is the parser's full message.
    Syntax(String),
    /// The statement parsed but is invalid here (unknown object, bad property…).
    Analysis {
        /// Wire code.
        code: ErrorCode,
        /// Detail message, without StarRocks' prefix.
        message: String,
    },
    /// The statement was valid but executing it failed.
    Execution {
        /// Wire code.
        code: ErrorCode,
        /// Message as sent.
        message: String,
    },
    /// Starling broke one of its own invariants (a bug, or storage failure).
    Internal(String),
}

impl FeError {
    /// An analysis error with no specific code (1064).
    pub fn analysis(message: impl Into<String>) -> Self {
        Self::Analysis {
            code: ErrorCode::Default,
            message: message.into(),
        }
    }

    /// An analysis error with a code.
    pub fn analysis_code(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Analysis {
            code,
            message: message.into(),
        }
    }

    /// An execution error with a code.
    pub fn exec(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Execution {
            code,
            message: message.into(),
        }
    }

    /// A generic execution error (5064), the code of most DDL failures.
    pub fn common(message: impl Into<String>) -> Self {
        Self::exec(ErrorCode::Common, message)
    }

    /// `Unknown database 'x'`.
    pub fn unknown_db(name: &str) -> Self {
        Self::analysis_code(ErrorCode::BadDb, format!("Unknown database '{name}'"))
    }

    /// `Unknown table 'x'`.
    pub fn unknown_table(name: &str) -> Self {
        Self::analysis_code(ErrorCode::BadTable, format!("Unknown table '{name}'"))
    }

    /// `No database selected`.
    pub fn no_db() -> Self {
        Self::analysis_code(ErrorCode::NoDbSelected, "No database selected")
    }

    /// A feature Starling parses but does not implement yet.
    pub fn not_supported(what: impl fmt::Display) -> Self {
        Self::common(format!("{what} is not supported yet"))
    }

    /// The errno and SQLSTATE sent for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Syntax(_) => ErrorCode::Default,
            Self::Analysis { code, .. } | Self::Execution { code, .. } => *code,
            Self::Internal(_) => ErrorCode::Unknown,
        }
    }
}

impl fmt::Display for FeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(text) => f.write_str(text),
            Self::Analysis { message, .. } => {
                write!(f, "Getting analyzing error. Detail message: {message}.")
            }
            Self::Execution { message, .. } => f.write_str(message),
            Self::Internal(message) => write!(f, "Internal error: {message}"),
        }
    }
}

impl std::error::Error for FeError {}

impl From<catalog::CatalogError> for FeError {
    fn from(err: catalog::CatalogError) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<parser::ParseError> for FeError {
    fn from(err: parser::ParseError) -> Self {
        Self::Syntax(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_render_like_starrocks() {
        let e = FeError::unknown_db("x");
        assert_eq!(
            e.to_string(),
            "Getting analyzing error. Detail message: Unknown database 'x'."
        );
        assert_eq!((e.code().errno(), e.code().sqlstate()), (5501, "3F000"));
        let e = FeError::exec(
            ErrorCode::DbCreateExists,
            "Can't create database 'd'; database exists",
        );
        assert_eq!(e.to_string(), "Can't create database 'd'; database exists");
        assert_eq!(e.code().errno(), 1007);
        assert_eq!(FeError::Syntax("s".into()).code().sqlstate(), "HY000");
    }
}
