//! Users.

use serde::{Deserialize, Serialize};

use super::privilege::PrivilegeGrant;

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
    /// Roles granted to the user (`public` is implicit and not listed).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Roles activated at login (`SET DEFAULT ROLE`, `DEFAULT ROLE` of CREATE USER).
    #[serde(default)]
    pub default_roles: Vec<String>,
    /// Privileges granted to the user directly.
    #[serde(default)]
    pub grants: Vec<PrivilegeGrant>,
}

impl User {
    /// A new account with a stored password and nothing granted.
    pub fn new(name: &str, host: &str, password_sha1_sha1: String) -> Self {
        Self {
            name: name.to_string(),
            host: host.to_string(),
            password_sha1_sha1,
            roles: Vec::new(),
            default_roles: Vec::new(),
            grants: Vec::new(),
        }
    }

    /// `'name'@'host'`, as StarRocks prints a user identity.
    pub fn identity(&self) -> String {
        format!("'{}'@'{}'", self.name, self.host)
    }
}
