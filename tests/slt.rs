//! sqllogictest over one `mysql_async` connection per session (not a pool, so
//! `USE` and `SET` persist between records).
//!
//! One harness directive is not SQL: `login <user> [<password>]` replaces the
//! current connection (the default one or a `connection` record's) by a new
//! login as that user; a refused login fails the record like a statement error.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use sqllogictest::{DBOutput, DefaultColumnType};

/// A server error as `ERROR <errno> (<sqlstate>): <message>`, or a client error.
#[derive(Debug)]
pub struct SltError(pub String);

impl fmt::Display for SltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

impl From<mysql_async::Error> for SltError {
    fn from(e: mysql_async::Error) -> Self {
        match e {
            mysql_async::Error::Server(s) => {
                SltError(format!("ERROR {} ({}): {}", s.code, s.state, s.message))
            }
            other => SltError(format!("client error: {other}")),
        }
    }
}

pub struct MysqlDb {
    conn: mysql_async::Conn,
    /// How the cluster was reached, for `login`.
    opts: mysql_async::Opts,
}

impl MysqlDb {
    /// `login <user> [<password>]`: reconnects as another user.
    async fn login(&mut self, args: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let mut words = args.split_whitespace();
        let user = words
            .next()
            .ok_or_else(|| SltError("login needs a user".into()))?;
        let password = words.next().unwrap_or("");
        let opts: mysql_async::Opts = mysql_async::OptsBuilder::from_opts(self.opts.clone())
            .user(Some(user))
            .pass(Some(password))
            .into();
        self.conn = mysql_async::Conn::new(opts).await?;
        Ok(DBOutput::StatementComplete(0))
    }
}

fn cell(v: &mysql_async::Value) -> String {
    match v {
        mysql_async::Value::NULL => "NULL".into(),
        mysql_async::Value::Bytes(b) => {
            let s = String::from_utf8_lossy(b).to_string();
            if s.is_empty() { "(empty)".into() } else { s }
        }
        mysql_async::Value::Int(i) => i.to_string(),
        mysql_async::Value::UInt(u) => u.to_string(),
        mysql_async::Value::Float(f) => f.to_string(),
        mysql_async::Value::Double(d) => d.to_string(),
        other => format!("{other:?}"),
    }
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for MysqlDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        if let Some(args) = sql.trim().strip_prefix("login ") {
            return self.login(args).await;
        }
        let mut result = self.conn.query_iter(sql).await?;
        let mut columns = result.columns();
        let mut rows: Vec<mysql_async::Row> = result.collect().await?;
        // A multi-statement query: keep the last result, surface any error.
        while !result.is_empty() {
            columns = result.columns();
            rows = result.collect().await?;
        }
        result.drop_result().await?;
        match columns {
            Some(cols) if !cols.is_empty() => {
                let types = vec![DefaultColumnType::Any; cols.len()];
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| r.as_ref(i).map(cell).unwrap_or_default())
                            .collect()
                    })
                    .collect();
                Ok(DBOutput::Rows { types, rows })
            }
            _ => Ok(DBOutput::StatementComplete(self.conn.affected_rows())),
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "starling"
    }

    async fn sleep(dur: Duration) {
        tokio::time::sleep(dur).await;
    }
}

/// Runs one `.slt` file against a server.
pub async fn run_file(opts: mysql_async::Opts, path: &Path) {
    let mut runner = sqllogictest::Runner::new(move || {
        let opts = opts.clone();
        async move {
            let conn = mysql_async::Conn::new(opts.clone()).await?;
            Ok::<_, SltError>(MysqlDb { conn, opts })
        }
    });
    if let Err(e) = runner.run_file_async(path).await {
        panic!("{}: {}", path.display(), e.display(true));
    }
}
