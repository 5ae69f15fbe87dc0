//! Accounts and `mysql_native_password`.
//!
//! The catalog stores `SHA1(SHA1(password))` only. At login the client proves
//! it knows `SHA1(password)`: it sends `SHA1(pw) XOR SHA1(salt || SHA1(SHA1(pw)))`.

use catalog::{Catalog, Change, User};
use sha1::{Digest, Sha1};

use crate::error::FeError;

/// The built-in administrator.
pub const ROOT: &str = "root";

/// The start-up warning while `root` has no password.
pub const ROOT_WITHOUT_PASSWORD: &str = "root has no password: anyone who can reach the query port \
     or the HTTP port is administrator. Set one: SET PASSWORD FOR root = PASSWORD('...')";

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

/// A statement's text for process lists and logs, secrets replaced by
/// `'***'`: every quoted literal of a statement that may carry a password
/// (`IDENTIFIED BY`, `PASSWORD(...)`), and the value of every property whose
/// key names a secret (`"aws.s3.secret_key" = "..."`, see [`is_secret_key`]).
pub fn redact(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    let all = upper.contains("IDENTIFIED") || upper.contains("PASSWORD");
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.char_indices().peekable();
    // The last quoted literal, and whether only `=` and spaces followed it.
    let mut last_key: Option<String> = None;
    while let Some((start, c)) = chars.next() {
        if c != '\'' && c != '"' {
            out.push(c);
            if !(c.is_whitespace() || c == '=') {
                last_key = None;
            }
            continue;
        }
        // Find the closing quote (backslash escapes and doubled quotes).
        let mut end = sql.len();
        while let Some((i, d)) = chars.next() {
            if d == '\\' {
                chars.next();
            } else if d == c {
                if chars.peek().is_some_and(|(_, e)| *e == c) {
                    chars.next();
                } else {
                    end = i;
                    break;
                }
            }
        }
        let body = &sql[start + 1..end.max(start + 1)];
        let secret_value = last_key.as_deref().is_some_and(is_secret_key);
        out.push(c);
        if all || secret_value {
            out.push_str("***");
        } else {
            out.push_str(body);
        }
        if end < sql.len() {
            out.push(c);
        }
        last_key = (!secret_value).then(|| body.to_string());
    }
    out
}

/// True for a property key whose value is a secret: the repository
/// credentials of `repository::location::SECRET_KEYS` and anything named like one.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    repository::location::SECRET_KEYS.contains(&key.as_str())
        || [
            "secret",
            "password",
            "access_key",
            "access.key",
            "token",
            "credential",
            "passphrase",
        ]
        .iter()
        .any(|w| key.contains(w))
}

/// Finds the account a login matches: exact host first, then `%`.
pub fn find_user(catalog: &Catalog, name: &str, client_host: &str) -> Option<User> {
    let state = catalog.read();
    state
        .user(name, client_host)
        .or_else(|| state.user(name, "%"))
        .cloned()
}

/// Failed logins by (user, client host), and the lockouts they caused.
///
/// After `limit` consecutive failures a user is locked out from that host
/// for `lock` (MySQL's `FAILED_LOGIN_ATTEMPTS` / `PASSWORD_LOCK_TIME`, set
/// server-wide); a success resets the count. Keyed by host so that an
/// attacker elsewhere cannot lock an administrator out.
pub struct Logins {
    limit: u32,
    lock: std::time::Duration,
    state: parking_lot::Mutex<std::collections::HashMap<(String, String), Failures>>,
}

struct Failures {
    count: u32,
    locked_until: Option<std::time::Instant>,
}

/// Keys kept at most; beyond that, entries that hold no lockout are dropped.
const MAX_TRACKED: usize = 100_000;

impl Logins {
    /// Locks out after `limit` failures (0: never) for `lock`.
    pub fn new(limit: u32, lock: std::time::Duration) -> Self {
        Self {
            limit,
            lock,
            state: parking_lot::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// The time left of a lockout of `user` from `host`, if one holds now.
    pub fn locked(&self, user: &str, host: &str) -> Option<std::time::Duration> {
        let now = std::time::Instant::now();
        let state = self.state.lock();
        let until = state.get(&(user.to_string(), host.to_string()))?.locked_until?;
        until.checked_duration_since(now).filter(|d| !d.is_zero())
    }

    /// Counts a failure; true when it started a lockout.
    pub fn failed(&self, user: &str, host: &str) -> bool {
        if self.limit == 0 {
            return false;
        }
        let now = std::time::Instant::now();
        let mut state = self.state.lock();
        if state.len() >= MAX_TRACKED {
            state.retain(|_, f| f.locked_until.is_some_and(|u| u > now));
        }
        let entry = state
            .entry((user.to_string(), host.to_string()))
            .or_insert(Failures {
                count: 0,
                locked_until: None,
            });
        if entry.locked_until.is_some_and(|u| u <= now) {
            // The lockout is over: counting starts afresh.
            *entry = Failures {
                count: 0,
                locked_until: None,
            };
        }
        entry.count += 1;
        if entry.count >= self.limit && entry.locked_until.is_none() {
            entry.locked_until = Some(now + self.lock);
            tracing::warn!(
                user,
                host,
                seconds = self.lock.as_secs(),
                "too many failed logins: locked out"
            );
            return true;
        }
        false
    }

    /// Forgets the failures of `user` from `host`.
    pub fn succeeded(&self, user: &str, host: &str) {
        self.state.lock().remove(&(user.to_string(), host.to_string()));
    }

    /// The consecutive failures a lockout follows.
    pub fn limit(&self) -> u32 {
        self.limit
    }
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
    fn repeated_failures_lock_one_user_from_one_host_only() {
        let logins = Logins::new(3, std::time::Duration::from_millis(200));
        assert!(!logins.failed("u", "h1"));
        assert!(!logins.failed("u", "h1"));
        logins.succeeded("u", "h1");
        assert!(!logins.failed("u", "h1"));
        assert!(!logins.failed("u", "h1"));
        assert!(logins.locked("u", "h1").is_none());
        assert!(logins.failed("u", "h1"), "the third in a row locks");
        assert!(logins.locked("u", "h1").is_some());
        assert!(logins.locked("u", "h2").is_none());
        assert!(logins.locked("v", "h1").is_none());
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(logins.locked("u", "h1").is_none(), "the lockout ends");
        assert!(!logins.failed("u", "h1"), "and counting starts afresh");
        let off = Logins::new(0, std::time::Duration::from_secs(60));
        for _ in 0..100 {
            assert!(!off.failed("u", "h"));
        }
        assert!(off.locked("u", "h").is_none());
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
        assert_eq!(redact("SELECT 'it''s', \"x\""), "SELECT 'it''s', \"x\"");
    }

    #[test]
    fn repository_credentials_are_redacted() {
        let sql = "CREATE REPOSITORY r WITH BROKER ON LOCATION 's3://b/p' PROPERTIES (\
                   \"aws.s3.access_key\" = \"AKIA123\", \"aws.s3.secret_key\"=\"s3cr3t\", \
                   'aws.s3.region' = 'us-east-1', \"fs.s3a.secret.key\" = 'x''y')";
        let shown = redact(sql);
        for secret in ["AKIA123", "s3cr3t", "x''y"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("'us-east-1'"), "{shown}");
        assert!(shown.contains("\"aws.s3.secret_key\"=\"***\""), "{shown}");
        // A key that is a value of something else is left alone.
        assert_eq!(redact("SELECT 'password_hint', 'x'"), "SELECT '***', '***'");
        assert_eq!(redact("SELECT 'secret', 1, 'x'"), "SELECT 'secret', 1, 'x'");
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
