//! Users.

use serde::{Deserialize, Serialize};

/// A user account. The password is never stored in plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// User name.
    pub name: String,
    /// Host pattern (`%` for any).
    pub host: String,
    /// mysql_native_password's stored form: SHA1(SHA1(password)) as 40 upper-case
    /// hex digits, or empty for no password.
    pub password_sha1_sha1: String,
}
