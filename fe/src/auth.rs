//! Accounts and `mysql_native_password`.
//!
//! The catalog stores `SHA1(SHA1(password))` only. At login the client proves
//! it knows `SHA1(password)`: it sends `SHA1(pw) XOR SHA1(salt || SHA1(SHA1(pw)))`.

use catalog::{Catalog, Change, User};
use sha1::{Digest, Sha1};

use crate::error::FeError;

/// The built-in administrator.
pub const ROOT: &str = "root";

/// Creates `root@%` with an empty password on a new catalog, and gives it the
/// `root` role (as its default role) when it lacks it.
pub fn ensure_root(catalog: &Catalog) -> Result<(), FeError> {
    catalog.update(|txn| {
        let mut root = match txn.state().user(ROOT, "%") {
            Some(u) if u.roles.iter().any(|r| r == ROOT) => return Ok(()),
            Some(u) => u.clone(),
            None => User::new(ROOT, "%", String::new()),
        };
        root.roles.push(ROOT.into());
        root.default_roles.push(ROOT.into());
        txn.push(Change::PutUser(root));
        Ok::<_, FeError>(())
    })
}

fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The stored form of a plain password (empty for an empty password).
pub fn stored_form(plain: &str) -> String {
    if plain.is_empty() {
        return String::new();
    }
    hex_upper(&sha1(&[&sha1(&[plain.as_bytes()])]))
}

/// Parses `PASSWORD()`'s output form `*<40 hex digits>` into the stored form.
pub fn stored_from_hashed(hashed: &str) -> Result<String, FeError> {
    if hashed.is_empty() {
        return Ok(String::new());
    }
    let hex = hashed.strip_prefix('*').unwrap_or("");
    if hex.len() != 40 || unhex(hex).is_none() {
        return Err(FeError::analysis(
            "Password hash should be a 41-digit hexadecimal number",
        ));
    }
    Ok(hex.to_ascii_uppercase())
}

/// Checks a `mysql_native_password` response against the stored form.
pub fn verify(stored: &str, salt: &[u8], response: &[u8]) -> bool {
    if stored.is_empty() {
        return response.is_empty();
    }
    let Some(stage2) = unhex(stored) else {
        return false;
    };
    if response.len() != 20 {
        return false;
    }
    let mask = sha1(&[salt, &stage2]);
    let stage1: Vec<u8> = response.iter().zip(mask).map(|(r, m)| r ^ m).collect();
    sha1(&[&stage1]).as_slice() == stage2.as_slice()
}

/// A statement's text with every quoted literal replaced by `'***'` when it may
/// carry a password (`IDENTIFIED BY`, `PASSWORD(...)`), for process lists and logs.
pub fn redact(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    if !upper.contains("IDENTIFIED") && !upper.contains("PASSWORD") {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars();
    while let Some(c) = chars.next() {
        if c != '\'' && c != '"' {
            out.push(c);
            continue;
        }
        out.push(c);
        out.push_str("***");
        out.push(c);
        // Skip to the closing quote (backslash escapes and doubled quotes).
        while let Some(d) = chars.next() {
            if d == '\\' {
                chars.next();
            } else if d == c {
                let rest = chars.as_str();
                if rest.starts_with(c) {
                    chars.next();
                } else {
                    break;
                }
            }
        }
    }
    out
}

/// Finds the account a login matches: exact host first, then `%`.
pub fn find_user(catalog: &Catalog, name: &str, client_host: &str) -> Option<User> {
    let state = catalog.read();
    state
        .user(name, client_host)
        .or_else(|| state.user(name, "%"))
        .cloned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// What a client computes from the password and the server's salt.
    fn client_response(password: &str, salt: &[u8]) -> Vec<u8> {
        let stage1 = sha1(&[password.as_bytes()]);
        let stage2 = sha1(&[&stage1]);
        let mask = sha1(&[salt, &stage2]);
        stage1.iter().zip(mask).map(|(a, b)| a ^ b).collect()
    }

    #[test]
    fn native_password_round_trip() {
        let salt = b"01234567890123456789";
        let stored = stored_form("s3cret");
        assert_eq!(stored.len(), 40);
        assert!(verify(&stored, salt, &client_response("s3cret", salt)));
        assert!(!verify(&stored, salt, &client_response("wrong", salt)));
        assert!(!verify(&stored, salt, b""));
        assert!(verify("", salt, b""));
        assert!(!verify("", salt, &client_response("x", salt)));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("CREATE USER 'u' IDENTIFIED BY 'p''w\\'x'"),
            "CREATE USER '***' IDENTIFIED BY '***'"
        );
        assert_eq!(
            redact("SET PASSWORD = PASSWORD(\"s3\")"),
            "SET PASSWORD = PASSWORD(\"***\")"
        );
        assert_eq!(redact("SELECT 'a'"), "SELECT 'a'");
    }

    #[test]
    fn mysql_password_function_form() {
        // MySQL: PASSWORD('password') = *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19
        assert_eq!(
            stored_form("password"),
            "2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
        );
        assert_eq!(
            stored_from_hashed("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19").unwrap(),
            "2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
        );
        assert!(stored_from_hashed("nope").is_err());
    }
}
