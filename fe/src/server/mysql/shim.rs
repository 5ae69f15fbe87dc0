//! The opensrv shim: authentication, `USE`, queries. Translation only — every
//! decision is made by [`crate::handler`].

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use futures::StreamExt;
use opensrv_mysql::{
    AsyncMysqlShim, Column, ColumnFlags, ColumnType, ErrorKind, InitWriter, OkResponse, ParamParser,
    QueryResultWriter, StatementMetaWriter, StatusFlags,
};
use parking_lot::Mutex;
use tokio::io::AsyncWrite;

use super::reader::{Control, ControlSlot, ProtocolError, parse_change_user};
use super::wire::{self, encode_error};
use crate::error::FeError;
use crate::handler;
use crate::result::{ColType, Output, Value};
use crate::session::{ConnInfo, Session};
use crate::{Fe, auth};

/// One connection's protocol state.
pub struct Shim {
    fe: Arc<Fe>,
    id: u32,
    salt: [u8; 20],
    client_host: String,
    /// Account matched at login: (user, host pattern).
    login: Mutex<Option<(String, String)>>,
    session: Option<Session>,
    info: Arc<Mutex<ConnInfo>>,
    /// Column metadata of the results being written (opensrv borrows it).
    columns: Vec<Vec<Column>>,
    /// The session's autocommit, shared with the writer that fixes status flags.
    autocommit: Arc<AtomicBool>,
    /// Text of a refused login, for the writer that sends it.
    login_denial: wire::LoginDenial,
    /// Set once the client has authenticated (the reader's size limit follows it).
    logged_in: Arc<AtomicBool>,
    /// Commands the reader replaced, for [`Shim::on_control`].
    control: ControlSlot,
    /// The connection's places among those connected and logging in without
    /// having logged in yet; given up at login.
    unauthenticated: Mutex<Option<[tokio::sync::OwnedSemaphorePermit; 2]>>,
}

impl Shim {
    /// A shim for a new connection from `client_host`.
    pub fn new(
        fe: Arc<Fe>,
        client_host: String,
        unauthenticated: [tokio::sync::OwnedSemaphorePermit; 2],
    ) -> Self {
        let id = fe.connections.next_id();
        let mut salt = [0u8; 20];
        for b in &mut salt {
            // Printable, never NUL or '$' (clients treat both specially).
            *b = rand::random_range(b'%'..=b'~');
        }
        let info = Arc::new(Mutex::new(ConnInfo {
            id,
            user: String::new(),
            host: client_host.clone(),
            db: String::new(),
            command: "Sleep",
            connected_at: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
            command_started: chrono::Utc::now().timestamp(),
            info: String::new(),
            killed: false,
        }));
        fe.connections.register(Arc::clone(&info));
        Self {
            fe,
            id,
            salt,
            client_host,
            login: Mutex::new(None),
            session: None,
            info,
            columns: Vec::new(),
            autocommit: Arc::new(AtomicBool::new(true)),
            login_denial: wire::LoginDenial::default(),
            logged_in: Arc::new(AtomicBool::new(false)),
            control: ControlSlot::default(),
            unauthenticated: Mutex::new(Some(unauthenticated)),
        }
    }

    /// The flag the reader checks to apply the size limit of logged-in clients.
    pub fn logged_in_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.logged_in)
    }

    /// The slot the reader leaves replaced commands in.
    pub fn control_slot(&self) -> ControlSlot {
        Arc::clone(&self.control)
    }

    /// Leaves a refused login's error for the packet writer and logs it.
    fn deny(&self, name: &str, reason: &str, errno: u16, sqlstate: &'static str, message: String) -> bool {
        tracing::info!(user = %name, host = %self.client_host, "login failed: {reason}");
        *self.login_denial.lock() = Some(wire::Denial {
            errno,
            sqlstate,
            message,
        });
        false
    }

    /// Checks a `mysql_native_password` response of `name` against `salt`,
    /// under the lockout policy and the connection limits. On success the
    /// matched account is returned and the failure count forgotten; on
    /// failure the denial is left for the writer.
    fn check_login(&self, name: &str, salt: &[u8], response: &[u8]) -> Option<(String, String)> {
        let host = &self.client_host;
        let access_denied = || {
            format!(
                "Access denied for user '{name}'@'{host}' (using password: {})",
                if response.is_empty() { "NO" } else { "YES" }
            )
        };
        if let Some(left) = self.fe.logins.locked(name, host) {
            self.deny(
                name,
                "locked out",
                3955,
                "HY000",
                format!(
                    "Access denied for user '{name}'@'{host}'. Account is blocked for {} second(s) \
                     ({} second(s) remaining) due to {} consecutive failed logins.",
                    self.fe.config.password_lock_time_second,
                    left.as_secs().max(1),
                    self.fe.logins.limit()
                ),
            );
            return None;
        }
        let user = auth::find_user(&self.fe.catalog, name, host);
        let Some(user) = user.filter(|u| auth::verify(&u.password_sha1_sha1, salt, response)) else {
            self.fe.logins.failed(name, host);
            self.deny(
                name,
                "unknown user or wrong password",
                1045,
                "28000",
                access_denied(),
            );
            return None;
        };
        self.fe.logins.succeeded(name, host);
        let max = self.fe.config.qe_max_connection as usize;
        let reserve = if user.name == auth::ROOT {
            self.fe.config.admin_reserved_connections as usize
        } else {
            0
        };
        let this_one = usize::from(!self.info.lock().user.is_empty());
        if self.fe.connections.authenticated() - this_one >= max + reserve {
            self.deny(
                name,
                "too many connections",
                1040,
                "08004",
                "Too many connections".into(),
            );
            return None;
        }
        Some((user.name, user.host))
    }

    /// Answers a command the reader replaced ([`super::reader`]).
    async fn on_control<'a, W: AsyncWrite + Send + Unpin>(
        &mut self,
        control: Control,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        let error = |e: &ProtocolError| encode_error(e.errno, e.sqlstate, &e.message);
        match control {
            Control::Error(e) => results.error(ErrorKind::ER_UNKNOWN_ERROR, &error(&e)).await,
            Control::Fatal(e) => {
                self.control.close();
                results.error(ErrorKind::ER_UNKNOWN_ERROR, &error(&e)).await
            }
            Control::ResetConnection => {
                // MySQL keeps the account and the current database, and resets the rest.
                let database = self.session.take().and_then(|s| s.database);
                self.session().database = database;
                results.completed(self.ok_packet(0, String::new())).await
            }
            Control::ChangeUser {
                payload,
                capabilities,
            } => {
                let Some(change) = parse_change_user(&payload, capabilities) else {
                    let e = ProtocolError {
                        errno: 1047,
                        sqlstate: "08S01",
                        message: "Malformed COM_CHANGE_USER packet".into(),
                    };
                    self.control.close();
                    return results.error(ErrorKind::ER_UNKNOWN_ERROR, &error(&e)).await;
                };
                let native = change
                    .plugin
                    .as_deref()
                    .is_none_or(|p| p == "mysql_native_password");
                let login = if native {
                    self.check_login(&change.user, &self.salt, &change.auth_response)
                } else {
                    self.deny(
                        &change.user,
                        "unsupported auth plugin",
                        1045,
                        "28000",
                        format!(
                            "Access denied for user '{}'@'{}' (using password: YES)",
                            change.user, self.client_host
                        ),
                    );
                    None
                };
                let Some(login) = login else {
                    // As MySQL: the failed change ends the connection, and the
                    // session never runs as either account again.
                    let denial = self.login_denial.lock().take();
                    let (errno, sqlstate, message) = denial.map_or((1045, "28000", String::new()), |d| {
                        (d.errno, d.sqlstate, d.message)
                    });
                    self.session = None;
                    *self.login.lock() = None;
                    self.control.close();
                    return results
                        .error(
                            ErrorKind::ER_UNKNOWN_ERROR,
                            &encode_error(errno, sqlstate, &message),
                        )
                        .await;
                };
                self.info.lock().user = login.0.clone();
                *self.login.lock() = Some(login);
                self.session = None;
                let fe = Arc::clone(&self.fe);
                let session = self.session();
                if let Some(db) = change.database {
                    let stmt = parser::ast::Statement::Use { database: db.clone() };
                    let used = crate::privilege::authorize(&fe, session, &stmt)
                        .and_then(|_| handler::use_database(&fe, session, &db));
                    if let Err(e) = used {
                        return results.error(ErrorKind::ER_UNKNOWN_ERROR, &wire_error(&e)).await;
                    }
                }
                results.completed(self.ok_packet(0, String::new())).await
            }
        }
    }

    /// The slot the packet writer reads a refused login's message from.
    pub fn login_denial(&self) -> wire::LoginDenial {
        Arc::clone(&self.login_denial)
    }

    /// The flag the packet writer reads to set `SERVER_STATUS_AUTOCOMMIT`.
    pub fn autocommit_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.autocommit)
    }

    /// The connection id.
    pub fn id(&self) -> u32 {
        self.id
    }

    fn session(&mut self) -> &mut Session {
        let (user, user_host) = self
            .login
            .lock()
            .clone()
            .unwrap_or_else(|| (String::new(), "%".into()));
        let fe = &self.fe;
        let id = self.id;
        let client_host = &self.client_host;
        let info = &self.info;
        self.session.get_or_insert_with(|| {
            info.lock().user = user.clone();
            let roles = crate::privilege::default_roles(&fe.catalog.read(), &user, &user_host);
            Session {
                id,
                user,
                user_host,
                roles,
                client_host: client_host.clone(),
                database: None,
                vars: fe.globals.snapshot(),
                warnings: Vec::new(),
                user_vars: Default::default(),
                info: Arc::clone(info),
            }
        })
    }

    fn ok_packet(&self, affected_rows: u64, info: String) -> OkResponse {
        let mut status = StatusFlags::empty();
        let autocommit = self
            .session
            .as_ref()
            .and_then(|s| s.var("autocommit"))
            .is_none_or(|v| v == "true");
        if autocommit {
            status |= StatusFlags::SERVER_STATUS_AUTOCOMMIT;
        }
        OkResponse {
            affected_rows,
            info: lenenc_info(info),
            status_flags: status,
            ..Default::default()
        }
    }
}

impl Drop for Shim {
    fn drop(&mut self) {
        self.fe.connections.unregister(self.id);
    }
}

/// The OK packet's info text as a length-encoded string. opensrv writes it raw
/// (CLIENT_SESSION_TRACK is cleared, see `wire`), but libmariadb and MySQL's
/// own clients always read it length-encoded, as MySQL servers write it; so the
/// length byte goes in front here. Infos are kept under 251 bytes, where the
/// length is that single byte.
fn lenenc_info(info: String) -> String {
    if info.is_empty() {
        return info;
    }
    let mut text: String = info.chars().take(120).collect();
    while text.len() > 250 {
        text.pop();
    }
    let mut out = String::with_capacity(text.len() + 1);
    out.push(char::from(text.len() as u8));
    out.push_str(&text);
    out
}

fn wire_error(err: &FeError) -> Vec<u8> {
    let code = err.code();
    encode_error(code.errno(), code.sqlstate(), &err.to_string())
}

async fn write_row<W: AsyncWrite + Send + Unpin>(
    rows: &mut opensrv_mysql::RowWriter<'_, W>,
    row: Vec<Value>,
) -> io::Result<()> {
    for value in row {
        match value {
            Value::Null => rows.write_col(None::<i64>)?,
            Value::Int(v) => rows.write_col(v)?,
            Value::UInt(v) => rows.write_col(v)?,
            Value::Double(v) => rows.write_col(v)?,
            Value::Text(s) => rows.write_col(s.as_str())?,
        }
    }
    rows.end_row().await
}

fn mysql_column(c: &crate::result::Column) -> Column {
    let (coltype, colflags) = match c.ty {
        ColType::Text => (ColumnType::MYSQL_TYPE_VAR_STRING, ColumnFlags::empty()),
        ColType::BigInt => (ColumnType::MYSQL_TYPE_LONGLONG, ColumnFlags::empty()),
        ColType::UBigInt => (ColumnType::MYSQL_TYPE_LONGLONG, ColumnFlags::UNSIGNED_FLAG),
        ColType::Double => (ColumnType::MYSQL_TYPE_DOUBLE, ColumnFlags::empty()),
        ColType::Decimal => (ColumnType::MYSQL_TYPE_NEWDECIMAL, ColumnFlags::empty()),
        ColType::Date => (ColumnType::MYSQL_TYPE_DATE, ColumnFlags::empty()),
        ColType::DateTime => (ColumnType::MYSQL_TYPE_DATETIME, ColumnFlags::empty()),
    };
    Column {
        table: String::new(),
        column: c.name.clone(),
        coltype,
        colflags,
    }
}

#[async_trait]
impl<W: AsyncWrite + Send + Unpin> AsyncMysqlShim<W> for Shim {
    type Error = io::Error;

    fn version(&self) -> String {
        self.fe.config.mysql_server_version.clone()
    }

    fn connect_id(&self) -> u32 {
        self.id
    }

    fn salt(&self) -> [u8; 20] {
        self.salt
    }

    async fn authenticate(&self, _auth_plugin: &str, username: &[u8], salt: &[u8], auth_data: &[u8]) -> bool {
        let name = String::from_utf8_lossy(username).to_string();
        let Some(login) = self.check_login(&name, salt, auth_data) else {
            return false;
        };
        self.info.lock().user = login.0.clone();
        *self.login.lock() = Some(login);
        self.unauthenticated.lock().take();
        self.logged_in.store(true, Ordering::Release);
        true
    }

    async fn on_prepare<'a>(
        &'a mut self,
        _query: &'a str,
        info: StatementMetaWriter<'a, W>,
    ) -> io::Result<()> {
        let err = FeError::not_supported("Server-side prepared statements");
        info.error(ErrorKind::ER_UNKNOWN_ERROR, &wire_error(&err)).await
    }

    async fn on_execute<'a>(
        &'a mut self,
        _id: u32,
        _params: ParamParser<'a>,
        results: QueryResultWriter<'a, W>,
    ) -> io::Result<()> {
        let err = FeError::not_supported("Server-side prepared statements");
        results
            .error(ErrorKind::ER_UNKNOWN_ERROR, &wire_error(&err))
            .await
    }

    async fn on_close<'a>(&'a mut self, _stmt: u32)
    where
        W: 'async_trait,
    {
    }

    async fn on_init<'a>(&'a mut self, database: &'a str, writer: InitWriter<'a, W>) -> io::Result<()> {
        let fe = Arc::clone(&self.fe);
        let session = self.session();
        if database.is_empty() {
            return writer.ok().await;
        }
        let stmt = parser::ast::Statement::Use {
            database: database.to_string(),
        };
        let used = crate::privilege::authorize(&fe, session, &stmt)
            .and_then(|_| handler::use_database(&fe, session, database));
        match used {
            Ok(()) => writer.ok().await,
            Err(e) => writer.error(ErrorKind::ER_UNKNOWN_ERROR, &wire_error(&e)).await,
        }
    }

    async fn on_query<'a>(&'a mut self, query: &'a str, results: QueryResultWriter<'a, W>) -> io::Result<()> {
        let control = self.control.take();
        if let Some(control) = control {
            return self.on_control(control, results).await;
        }
        if self.info.lock().killed {
            // opensrv closes the connection when a callback fails: that is KILL.
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection killed",
            ));
        }
        {
            let mut info = self.info.lock();
            info.command = "Query";
            info.info = auth::redact(query).chars().take(200).collect();
            info.command_started = chrono::Utc::now().timestamp();
        }
        let fe = Arc::clone(&self.fe);
        // A bug that panics in one statement fails that statement, not the connection.
        let run = std::panic::AssertUnwindSafe(handler::execute_sql(&fe, self.session(), query));
        let outcomes = match futures::FutureExt::catch_unwind(run).await {
            Ok(outcomes) => outcomes,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("panic");
                tracing::error!(connection = self.id, "statement panicked: {what}");
                vec![Err(FeError::Internal(format!(
                    "statement failed unexpectedly: {what}"
                )))]
            }
        };
        if let Some(Err(e)) = outcomes.last() {
            let text: String = auth::redact(query).chars().take(2000).collect();
            tracing::debug!(connection = self.id, error = %e, query = %text, "statement failed");
        }
        let autocommit = self
            .session
            .as_ref()
            .and_then(|s| s.var("autocommit"))
            .is_none_or(|v| v == "true");
        self.autocommit.store(autocommit, Ordering::Relaxed);
        {
            let db = self.session.as_ref().and_then(|s| s.database.clone());
            let mut info = self.info.lock();
            info.command = "Sleep";
            info.info.clear();
            info.db = db.unwrap_or_default();
        }
        // opensrv borrows column metadata for the writer's lifetime: keep it in self.
        // Only OK results can be followed by more (see handler::execute_sql), so
        // only OK packets need SERVER_MORE_RESULTS_EXISTS.
        let last = outcomes.len().saturating_sub(1);
        let oks: Vec<Option<OkResponse>> = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| match o {
                Ok(Output::Ok { affected_rows, info }) => {
                    let mut ok = self.ok_packet(*affected_rows, info.clone());
                    if i < last {
                        ok.status_flags |= StatusFlags::SERVER_MORE_RESULTS_EXISTS;
                    }
                    Some(ok)
                }
                _ => None,
            })
            .collect();
        self.columns = outcomes
            .iter()
            .map(|o| match o {
                Ok(Output::Rows(rs)) => rs.columns.iter().map(mysql_column).collect(),
                Ok(Output::Stream(st)) => st.columns.iter().map(mysql_column).collect(),
                _ => Vec::new(),
            })
            .collect();
        let columns: &'a Vec<Vec<Column>> = &self.columns;
        let mut results = results;
        for (i, outcome) in outcomes.into_iter().enumerate() {
            match outcome {
                Err(e) => {
                    return results.error(ErrorKind::ER_UNKNOWN_ERROR, &wire_error(&e)).await;
                }
                Ok(Output::Ok { .. }) => {
                    let ok = oks[i].clone().unwrap_or_default();
                    results = results.complete_one(ok).await?;
                }
                Ok(Output::Rows(rs)) => {
                    let mut rows = results.start(&columns[i]).await?;
                    for row in rs.rows {
                        write_row(&mut rows, row).await?;
                    }
                    results = rows.finish_one().await?;
                }
                Ok(Output::Stream(mut stream)) => {
                    // Rows go out as their batch is computed; the socket's
                    // back-pressure paces the query.
                    // An error in the first batch (most run-time errors) is a plain
                    // ERR; one later ends a result the client has started reading.
                    let first = stream.batches.next().await;
                    if let Some(Err(e)) = &first {
                        return results.error(ErrorKind::ER_UNKNOWN_ERROR, &wire_error(e)).await;
                    }
                    let mut rows = results.start(&columns[i]).await?;
                    let rest = futures::stream::iter(first).chain(&mut stream.batches);
                    futures::pin_mut!(rest);
                    while let Some(batch) = rest.next().await {
                        match batch {
                            Ok(batch) => {
                                for row in batch {
                                    write_row(&mut rows, row).await?;
                                }
                            }
                            Err(e) => {
                                return rows
                                    .finish_error(ErrorKind::ER_UNKNOWN_ERROR, &wire_error(&e))
                                    .await;
                            }
                        }
                    }
                    results = rows.finish_one().await?;
                }
            }
        }
        results.no_more_results().await
    }
}
