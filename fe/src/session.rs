//! Per-connection state and the registry of live connections.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use parking_lot::Mutex;

use catalog::{Database, Table};
use parser::ast::TableName;

use crate::Fe;
use crate::error::FeError;
use crate::variables;

/// One `SHOW WARNINGS` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `Warning`, `Note` or `Error`.
    pub level: &'static str,
    /// errno.
    pub code: u16,
    /// Text.
    pub message: String,
}

/// State of one client connection.
#[derive(Debug)]
pub struct Session {
    /// Connection id (`CONNECTION_ID()`).
    pub id: u32,
    /// Authenticated user name.
    pub user: String,
    /// Host pattern of the matched account (`%`).
    pub user_host: String,
    /// Client address.
    pub client_host: String,
    /// Active roles (`SET ROLE`); the default roles at login.
    pub roles: Vec<String>,
    /// Current database.
    pub database: Option<String>,
    /// Session variable values, seeded from the globals.
    pub vars: BTreeMap<&'static str, String>,
    /// Diagnostics of the last statement.
    pub warnings: Vec<Warning>,
    /// User variables (`SET @x = ...`).
    pub user_vars: BTreeMap<String, String>,
    /// Shared view for `SHOW PROCESSLIST`.
    pub info: Arc<Mutex<ConnInfo>>,
}

impl Session {
    /// `user@host` as `USER()` shows it.
    pub fn user_at_client(&self) -> String {
        format!("'{}'@'{}'", self.user, self.client_host)
    }

    /// A session variable's current value.
    pub fn var(&self, name: &str) -> Option<&str> {
        variables::lookup(name).and_then(|d| self.vars.get(d.name).map(String::as_str))
    }
}

/// What `SHOW PROCESSLIST` shows of a connection.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Connection id.
    pub id: u32,
    /// User.
    pub user: String,
    /// Client address.
    pub host: String,
    /// Current database.
    pub db: String,
    /// `Query` while a statement runs, else `Sleep`.
    pub command: &'static str,
    /// Connect time, `yyyy-MM-dd HH:mm:ss`.
    pub connected_at: String,
    /// When the current command started, epoch seconds.
    pub command_started: i64,
    /// Statement text while running.
    pub info: String,
    /// Set by `KILL <id>`: the connection closes before its next command.
    pub killed: bool,
}

/// Live connections, for `SHOW PROCESSLIST`, `KILL` and id allocation.
#[derive(Default)]
pub struct Connections {
    next_id: AtomicU32,
    live: Mutex<BTreeMap<u32, Arc<Mutex<ConnInfo>>>>,
}

impl Connections {
    /// A fresh registry; ids start at 1.
    pub fn new() -> Self {
        Self {
            next_id: AtomicU32::new(1),
            live: Mutex::new(BTreeMap::new()),
        }
    }

    /// Reserves the next connection id.
    pub fn next_id(&self) -> u32 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Registers a connection's shared info.
    pub fn register(&self, info: Arc<Mutex<ConnInfo>>) {
        let id = info.lock().id;
        self.live.lock().insert(id, info);
    }

    /// Forgets a closed connection.
    pub fn unregister(&self, id: u32) {
        self.live.lock().remove(&id);
    }

    /// A copy of every live connection's info.
    pub fn list(&self) -> Vec<ConnInfo> {
        self.live.lock().values().map(|i| i.lock().clone()).collect()
    }

    /// Live connections that have logged in.
    pub fn authenticated(&self) -> usize {
        self.live
            .lock()
            .values()
            .filter(|i| !i.lock().user.is_empty())
            .count()
    }

    /// Whether a connection id is live.
    pub fn contains(&self, id: u32) -> bool {
        self.live.lock().contains_key(&id)
    }

    /// Marks a connection to be closed; false if no such connection.
    pub fn kill(&self, id: u32) -> bool {
        match self.live.lock().get(&id) {
            Some(info) => {
                info.lock().killed = true;
                true
            }
            None => false,
        }
    }
}

/// The database a statement means: the one it names, else the session's.
pub fn resolve_db(fe: &Fe, session: &Session, named: Option<&str>) -> Result<Database, FeError> {
    let name = match named {
        Some(n) => n,
        None => session.database.as_deref().ok_or_else(FeError::no_db)?,
    };
    fe.catalog
        .read()
        .database(name)
        .cloned()
        .ok_or_else(|| FeError::unknown_db(name))
}

/// A table by (possibly qualified) name.
pub fn resolve_table(fe: &Fe, session: &Session, name: &TableName) -> Result<(Database, Table), FeError> {
    let db = resolve_db(fe, session, name.database.as_deref())?;
    let table = fe
        .catalog
        .read()
        .table(db.id, &name.table)
        .cloned()
        .ok_or_else(|| FeError::unknown_table(&format!("{}.{}", db.name, name.table)))?;
    Ok((db, table))
}
