//! The syntax tree produced by the parser.
//!
//! Every type implements `Display`, printing canonical SQL (upper-case
//! keywords, identifiers backquoted when needed, single-quoted strings,
//! double-quoted `PROPERTIES`) that parses back to the same value.

mod account;
mod backup;
mod set;
mod show;
pub(crate) mod sqlfmt;
mod system;
mod table;
mod types;

use std::fmt;

use crate::lex;

pub use account::{AccountStmt, AuthOption, GrantObject, Grantee, RoleSelection};
pub use backup::{BackupObject, BackupStmt, ExternalCatalogs, ObjectKeyword, RestoreStmt};
pub use set::{PasswordValue, SetAssignment, SetScope, SetValue, UserIdent};
pub use show::{ShowFilter, VarScope};
pub use system::AlterSystemOp;
pub use table::{
    AlterTableOp, ColumnDef, CreateTable, DefaultValue, DistributionDesc, KeysDesc, KeysKind, PartitionDesc,
    PartitionValue, RangePartition, RangeValues, TableName,
};
pub use types::{DataType, Literal, STRING_LENGTH};

use sqlfmt::{Ident, IdentList, Properties, Str};

/// One SQL statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `CREATE {DATABASE|SCHEMA} [IF NOT EXISTS] db [PROPERTIES (...)]`
    CreateDatabase {
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
        /// Database name (the last part of `catalog.db`).
        name: String,
        /// `PROPERTIES (...)`.
        properties: Vec<(String, String)>,
    },
    /// `DROP {DATABASE|SCHEMA} [IF EXISTS] db [FORCE]`
    DropDatabase {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// Database name.
        name: String,
        /// `FORCE` was given.
        force: bool,
    },
    /// `USE db` or `USE catalog.db`.
    Use {
        /// Database name (the last part).
        database: String,
    },
    /// `CREATE TABLE ...`
    CreateTable(Box<CreateTable>),
    /// `DROP TABLE [IF EXISTS] t [FORCE]`
    DropTable {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The table.
        name: TableName,
        /// `FORCE` was given.
        force: bool,
    },
    /// `TRUNCATE TABLE t [PARTITION (p1, ...)]`
    TruncateTable {
        /// The table.
        name: TableName,
        /// Partitions to truncate; empty means all.
        partitions: Vec<String>,
    },
    /// `ALTER TABLE t <op>`
    AlterTable {
        /// The table.
        name: TableName,
        /// What to do.
        op: AlterTableOp,
    },
    /// `SHOW DATABASES [LIKE|WHERE]`
    ShowDatabases {
        /// Optional filter.
        filter: Option<ShowFilter>,
    },
    /// `SHOW [FULL] TABLES [{FROM|IN} db] [LIKE|WHERE]`
    ShowTables {
        /// `FULL` was given.
        full: bool,
        /// Database, when given.
        database: Option<String>,
        /// Optional filter.
        filter: Option<ShowFilter>,
    },
    /// `SHOW CREATE {TABLE|VIEW|MATERIALIZED VIEW} t`
    ShowCreateTable {
        /// The table.
        name: TableName,
    },
    /// `SHOW CREATE {DATABASE|SCHEMA} db`
    ShowCreateDatabase {
        /// Database name.
        name: String,
    },
    /// `SHOW [FULL] {COLUMNS|FIELDS} {FROM|IN} t [{FROM|IN} db] [LIKE|WHERE]`
    ShowColumns {
        /// `FULL` was given.
        full: bool,
        /// The table (its database comes from `FROM db` when given).
        table: TableName,
        /// Optional filter.
        filter: Option<ShowFilter>,
    },
    /// `{DESC|DESCRIBE} t [ALL]`
    Describe {
        /// The table.
        table: TableName,
        /// `ALL` was given.
        all: bool,
    },
    /// `SHOW [TEMPORARY] PARTITIONS FROM t [...]` (the tail is dropped).
    ShowPartitions {
        /// The table.
        table: TableName,
        /// `TEMPORARY` was given.
        temporary: bool,
    },
    /// `SHOW TABLET FROM t [PARTITION (p1, ...)]`
    ShowTablet {
        /// The table.
        table: TableName,
        /// Partitions; empty means all.
        partitions: Vec<String>,
    },
    /// `SHOW TABLET <id>`
    ShowTabletId(u64),
    /// `SHOW BACKENDS`
    ShowBackends,
    /// `SHOW FRONTENDS`
    ShowFrontends,
    /// `SHOW [GLOBAL|SESSION|LOCAL] VARIABLES [LIKE|WHERE]`
    ShowVariables {
        /// Scope.
        scope: VarScope,
        /// Optional filter.
        filter: Option<ShowFilter>,
    },
    /// `SHOW [GLOBAL|SESSION|LOCAL] STATUS [LIKE|WHERE]`
    ShowStatus {
        /// Scope.
        scope: VarScope,
        /// Optional filter.
        filter: Option<ShowFilter>,
    },
    /// `SHOW WARNINGS [LIMIT n]` or `SHOW ERRORS [LIMIT n]`
    ShowWarnings {
        /// `SHOW ERRORS`.
        errors: bool,
        /// `LIMIT n`.
        limit: Option<u64>,
    },
    /// `SHOW [FULL] PROCESSLIST`
    ShowProcesslist {
        /// `FULL` was given.
        full: bool,
    },
    /// `SHOW ENGINES`
    ShowEngines,
    /// `SHOW TABLE STATUS [FROM db] [LIKE|WHERE]`.
    ShowTableStatus {
        /// Database, when given.
        database: Option<String>,
        /// Optional filter.
        filter: Option<ShowFilter>,
    },
    /// `SHOW DATA [FROM [db.]table]`.
    ShowData {
        /// The table, when given; otherwise every table of the current database.
        table: Option<TableName>,
    },
    /// `SHOW {CHARSET|CHARACTER SET}` (a filter is accepted and dropped).
    ShowCharset,
    /// `SHOW COLLATION [LIKE|WHERE]`
    ShowCollation {
        /// Optional filter.
        filter: Option<ShowFilter>,
    },
    /// `ALTER SYSTEM ...`
    AlterSystem(AlterSystemOp),
    /// `SET a = x [, ...]`
    Set(Vec<SetAssignment>),
    /// `SET NAMES x [COLLATE y]`, `SET NAMES DEFAULT`, `SET CHARACTER SET x`.
    SetNames {
        /// Character set; `None` for `DEFAULT`.
        charset: Option<String>,
        /// Collation, when given.
        collate: Option<String>,
    },
    /// `SET PASSWORD [FOR user] = ...`
    SetPassword {
        /// The account; `None` means the current user.
        user: Option<UserIdent>,
        /// The new password.
        password: PasswordValue,
    },
    /// `KILL [QUERY|CONNECTION] n`
    Kill {
        /// `KILL QUERY` (otherwise the connection is killed).
        query: bool,
        /// Connection id.
        connection_id: u64,
    },
    /// `BEGIN` or `START TRANSACTION`
    Begin,
    /// `COMMIT [WORK]`
    Commit,
    /// `ROLLBACK [WORK]`
    Rollback,
    /// A query (`SELECT`, `WITH`, `VALUES` or `(`): the raw trimmed text.
    Query(String),
    /// `EXPLAIN [LOGICAL | VERBOSE | COSTS] query`.
    Explain {
        /// `LOGICAL`: the logical plan instead of the physical one.
        logical: bool,
        /// The query's raw trimmed text.
        query: String,
    },
    /// `INSERT ...`: raw text, planned by the FE's SQL engine.
    Insert(String),
    /// `DELETE FROM ...`: raw text, planned by the FE's SQL engine.
    Delete(String),
    /// `UPDATE ...`: raw text, analysed by the FE.
    Update(String),
    /// `ADMIN SET FRONTEND CONFIG ("key" = "value")`
    AdminSetConfig {
        /// The key.
        key: String,
        /// Its new value.
        value: String,
    },
    /// `ADMIN SHOW FRONTEND CONFIG [LIKE 'pattern']`
    AdminShowConfig {
        /// The `LIKE` pattern, when given.
        pattern: Option<String>,
    },
    /// `CREATE [READ ONLY] REPOSITORY r WITH BROKER [b] ON LOCATION 'loc' [PROPERTIES (...)]`
    CreateRepository {
        /// `READ ONLY` was given.
        read_only: bool,
        /// Repository name.
        name: String,
        /// Broker name; `None` for a broker-less repository.
        broker: Option<String>,
        /// The location.
        location: String,
        /// `PROPERTIES (...)`.
        properties: Vec<(String, String)>,
    },
    /// A user, role or privilege statement.
    Account(Box<AccountStmt>),
    /// `DROP REPOSITORY r`
    DropRepository {
        /// Repository name.
        name: String,
    },
    /// `SHOW REPOSITORIES` (a `WHERE`/`ORDER BY`/`LIMIT` tail is dropped).
    ShowRepositories,
    /// `BACKUP ...`
    Backup(Box<BackupStmt>),
    /// `RESTORE ...`
    Restore(Box<RestoreStmt>),
    /// `SHOW BACKUP [{FROM|IN} db] [WHERE ...] [ORDER BY ...] [LIMIT ...]`
    ShowBackup {
        /// Database, when given.
        database: Option<String>,
        /// The raw `WHERE` / `ORDER BY` / `LIMIT` text, applied to the rows.
        tail: Option<String>,
    },
    /// `SHOW RESTORE [{FROM|IN} db] [WHERE ...] [ORDER BY ...] [LIMIT ...]`
    ShowRestore {
        /// Database, when given.
        database: Option<String>,
        /// The raw `WHERE` / `ORDER BY` / `LIMIT` text, applied to the rows.
        tail: Option<String>,
    },
    /// `SHOW JOBS [{FROM|IN} db] [WHERE ...] [ORDER BY ...] [LIMIT ...]`
    /// (Starling's job history: every BACKUP and RESTORE, running and ended).
    ShowJobs {
        /// Database, when given.
        database: Option<String>,
        /// The raw `WHERE` / `ORDER BY` / `LIMIT` text, applied to the rows.
        tail: Option<String>,
    },
    /// `CANCEL BACKUP {{FROM|IN} db | FOR EXTERNAL CATALOG}`
    CancelBackup {
        /// Database, for the `FROM db` form.
        database: Option<String>,
        /// `FOR EXTERNAL CATALOG` was given.
        external_catalog: bool,
    },
    /// `CANCEL RESTORE {{FROM|IN} db | FOR EXTERNAL CATALOG}`
    CancelRestore {
        /// Database, for the `FROM db` form.
        database: Option<String>,
        /// `FOR EXTERNAL CATALOG` was given.
        external_catalog: bool,
    },
    /// `{PAUSE|RESUME} {BACKUP|RESTORE} {FROM|IN} db` (Starling's job control).
    SteerJob {
        /// `RESUME` (else `PAUSE`).
        resume: bool,
        /// `RESTORE` (else `BACKUP`).
        restore: bool,
        /// The database whose job it is.
        database: String,
    },
    /// `{PAUSE|RESUME|CANCEL} JOB id` (Starling's job control by id).
    JobById {
        /// What to do.
        action: JobAction,
        /// The job's id (SHOW BACKUP/RESTORE's `JobId`).
        job_id: u64,
    },
    /// `SHOW SNAPSHOT ON repo [WHERE expr]` (`ORDER BY`/`LIMIT` are dropped).
    ShowSnapshot {
        /// Repository name.
        repository: String,
        /// The raw `WHERE` expression.
        filter: Option<String>,
    },
    /// `DROP SNAPSHOT s ON repo [FORCE]`
    DropSnapshot {
        /// Snapshot name.
        name: String,
        /// Repository name.
        repository: String,
        /// `FORCE` was given.
        force: bool,
    },
}

/// Writes ` LIKE '..'` / ` WHERE ..` when present.
struct Filter<'a>(&'a Option<ShowFilter>);

impl fmt::Display for Filter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(filter) => write!(f, " {filter}"),
            None => Ok(()),
        }
    }
}

fn flag(on: bool, text: &str) -> &str {
    if on { text } else { "" }
}

/// Writes ` FROM db` when present.
struct FromDb<'a>(&'a Option<String>);

impl fmt::Display for FromDb<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(db) => write!(f, " FROM {}", Ident(db)),
            None => Ok(()),
        }
    }
}

/// Writes the target of `CANCEL BACKUP/RESTORE`.
struct CancelTarget<'a>(&'a Option<String>, bool);

impl fmt::Display for CancelTarget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.1 {
            f.write_str(" FOR EXTERNAL CATALOG")
        } else {
            write!(f, "{}", FromDb(self.0))
        }
    }
}

impl Statement {
    /// The statement's kind: its variant name, or the account statement's
    /// ([`AccountStmt::kind`]). [`STATEMENT_KINDS`] lists every kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CreateDatabase { .. } => "CreateDatabase",
            Self::DropDatabase { .. } => "DropDatabase",
            Self::Use { .. } => "Use",
            Self::CreateTable(_) => "CreateTable",
            Self::DropTable { .. } => "DropTable",
            Self::TruncateTable { .. } => "TruncateTable",
            Self::AlterTable { .. } => "AlterTable",
            Self::ShowDatabases { .. } => "ShowDatabases",
            Self::ShowTables { .. } => "ShowTables",
            Self::ShowCreateTable { .. } => "ShowCreateTable",
            Self::ShowCreateDatabase { .. } => "ShowCreateDatabase",
            Self::ShowColumns { .. } => "ShowColumns",
            Self::Describe { .. } => "Describe",
            Self::ShowPartitions { .. } => "ShowPartitions",
            Self::ShowTablet { .. } => "ShowTablet",
            Self::ShowTabletId(_) => "ShowTabletId",
            Self::ShowBackends => "ShowBackends",
            Self::ShowFrontends => "ShowFrontends",
            Self::ShowVariables { .. } => "ShowVariables",
            Self::ShowStatus { .. } => "ShowStatus",
            Self::ShowWarnings { .. } => "ShowWarnings",
            Self::ShowProcesslist { .. } => "ShowProcesslist",
            Self::ShowEngines => "ShowEngines",
            Self::ShowTableStatus { .. } => "ShowTableStatus",
            Self::ShowData { .. } => "ShowData",
            Self::ShowCharset => "ShowCharset",
            Self::ShowCollation { .. } => "ShowCollation",
            Self::AlterSystem(_) => "AlterSystem",
            Self::Set(_) => "Set",
            Self::SetNames { .. } => "SetNames",
            Self::SetPassword { .. } => "SetPassword",
            Self::Kill { .. } => "Kill",
            Self::Begin => "Begin",
            Self::Commit => "Commit",
            Self::Rollback => "Rollback",
            Self::Query(_) => "Query",
            Self::Explain { .. } => "Explain",
            Self::Insert(_) => "Insert",
            Self::Delete(_) => "Delete",
            Self::Update(_) => "Update",
            Self::AdminSetConfig { .. } => "AdminSetConfig",
            Self::AdminShowConfig { .. } => "AdminShowConfig",
            Self::CreateRepository { .. } => "CreateRepository",
            Self::Account(a) => a.kind(),
            Self::DropRepository { .. } => "DropRepository",
            Self::ShowRepositories => "ShowRepositories",
            Self::Backup(_) => "Backup",
            Self::Restore(_) => "Restore",
            Self::ShowBackup { .. } => "ShowBackup",
            Self::ShowRestore { .. } => "ShowRestore",
            Self::ShowJobs { .. } => "ShowJobs",
            Self::CancelBackup { .. } => "CancelBackup",
            Self::CancelRestore { .. } => "CancelRestore",
            Self::SteerJob { .. } => "SteerJob",
            Self::JobById { .. } => "JobById",
            Self::ShowSnapshot { .. } => "ShowSnapshot",
            Self::DropSnapshot { .. } => "DropSnapshot",
        }
    }
}

/// Every value [`Statement::kind`] can return, for tests that must cover
/// each kind of statement (the privilege check's test does).
pub const STATEMENT_KINDS: &[&str] = &[
    "CreateDatabase",
    "DropDatabase",
    "Use",
    "CreateTable",
    "DropTable",
    "TruncateTable",
    "AlterTable",
    "ShowDatabases",
    "ShowTables",
    "ShowCreateTable",
    "ShowCreateDatabase",
    "ShowColumns",
    "Describe",
    "ShowPartitions",
    "ShowTablet",
    "ShowTabletId",
    "ShowBackends",
    "ShowFrontends",
    "ShowVariables",
    "ShowStatus",
    "ShowWarnings",
    "ShowProcesslist",
    "ShowEngines",
    "ShowTableStatus",
    "ShowData",
    "ShowCharset",
    "ShowCollation",
    "AlterSystem",
    "Set",
    "SetNames",
    "SetPassword",
    "Kill",
    "Begin",
    "Commit",
    "Rollback",
    "Query",
    "Explain",
    "Insert",
    "Delete",
    "Update",
    "AdminSetConfig",
    "AdminShowConfig",
    "CreateRepository",
    "DropRepository",
    "ShowRepositories",
    "Backup",
    "Restore",
    "ShowBackup",
    "ShowRestore",
    "ShowJobs",
    "CancelBackup",
    "CancelRestore",
    "SteerJob",
    "JobById",
    "ShowSnapshot",
    "DropSnapshot",
    "CreateUser",
    "AlterUser",
    "DropUser",
    "CreateRole",
    "DropRole",
    "Grant",
    "Revoke",
    "GrantRoles",
    "RevokeRoles",
    "ShowGrants",
    "ShowUsers",
    "ShowRoles",
    "SetRole",
    "SetDefaultRole",
];

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::CreateDatabase {
                if_not_exists,
                name,
                properties,
            } => write!(
                f,
                "CREATE DATABASE {}{}{}",
                flag(*if_not_exists, "IF NOT EXISTS "),
                Ident(name),
                Properties(properties)
            ),
            Statement::DropDatabase {
                if_exists,
                name,
                force,
            } => write!(
                f,
                "DROP DATABASE {}{}{}",
                flag(*if_exists, "IF EXISTS "),
                Ident(name),
                flag(*force, " FORCE")
            ),
            Statement::Use { database } => write!(f, "USE {}", Ident(database)),
            Statement::CreateTable(c) => write!(f, "{c}"),
            Statement::DropTable {
                if_exists,
                name,
                force,
            } => write!(
                f,
                "DROP TABLE {}{name}{}",
                flag(*if_exists, "IF EXISTS "),
                flag(*force, " FORCE")
            ),
            Statement::TruncateTable { name, partitions } => {
                write!(f, "TRUNCATE TABLE {name}")?;
                if !partitions.is_empty() {
                    write!(f, " PARTITION {}", IdentList(partitions))?;
                }
                Ok(())
            }
            Statement::AlterTable { name, op } => write!(f, "ALTER TABLE {name} {op}"),
            Statement::ShowDatabases { filter } => write!(f, "SHOW DATABASES{}", Filter(filter)),
            Statement::ShowTables {
                full,
                database,
                filter,
            } => {
                write!(f, "SHOW {}TABLES", flag(*full, "FULL "))?;
                if let Some(db) = database {
                    write!(f, " FROM {}", Ident(db))?;
                }
                write!(f, "{}", Filter(filter))
            }
            Statement::ShowCreateTable { name } => write!(f, "SHOW CREATE TABLE {name}"),
            Statement::ShowCreateDatabase { name } => {
                write!(f, "SHOW CREATE DATABASE {}", Ident(name))
            }
            Statement::ShowColumns { full, table, filter } => write!(
                f,
                "SHOW {}COLUMNS FROM {table}{}",
                flag(*full, "FULL "),
                Filter(filter)
            ),
            Statement::Describe { table, all } => {
                write!(f, "DESC {table}{}", flag(*all, " ALL"))
            }
            Statement::ShowPartitions { table, temporary } => write!(
                f,
                "SHOW {}PARTITIONS FROM {table}",
                flag(*temporary, "TEMPORARY ")
            ),
            Statement::ShowTablet { table, partitions } => {
                write!(f, "SHOW TABLET FROM {table}")?;
                if !partitions.is_empty() {
                    write!(f, " PARTITION {}", IdentList(partitions))?;
                }
                Ok(())
            }
            Statement::ShowTabletId(id) => write!(f, "SHOW TABLET {id}"),
            Statement::ShowBackends => f.write_str("SHOW BACKENDS"),
            Statement::ShowFrontends => f.write_str("SHOW FRONTENDS"),
            Statement::ShowVariables { scope, filter } => {
                write!(f, "SHOW {scope} VARIABLES{}", Filter(filter))
            }
            Statement::ShowStatus { scope, filter } => {
                write!(f, "SHOW {scope} STATUS{}", Filter(filter))
            }
            Statement::ShowWarnings { errors, limit } => {
                f.write_str(if *errors { "SHOW ERRORS" } else { "SHOW WARNINGS" })?;
                if let Some(n) = limit {
                    write!(f, " LIMIT {n}")?;
                }
                Ok(())
            }
            Statement::ShowProcesslist { full } => {
                write!(f, "SHOW {}PROCESSLIST", flag(*full, "FULL "))
            }
            Statement::ShowEngines => f.write_str("SHOW ENGINES"),
            Statement::ShowTableStatus { database, filter } => {
                f.write_str("SHOW TABLE STATUS")?;
                if let Some(db) = database {
                    write!(f, " FROM {}", Ident(db))?;
                }
                write!(f, "{}", Filter(filter))
            }
            Statement::ShowData { table } => match table {
                Some(t) => write!(f, "SHOW DATA FROM {t}"),
                None => f.write_str("SHOW DATA"),
            },
            Statement::ShowCharset => f.write_str("SHOW CHARSET"),
            Statement::ShowCollation { filter } => write!(f, "SHOW COLLATION{}", Filter(filter)),
            Statement::AlterSystem(op) => write!(f, "{op}"),
            Statement::Set(assignments) => {
                f.write_str("SET ")?;
                for (i, a) in assignments.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                Ok(())
            }
            Statement::SetNames { charset, collate } => {
                match charset {
                    Some(c) => write!(f, "SET NAMES {}", Str(c))?,
                    None => f.write_str("SET NAMES DEFAULT")?,
                }
                if let Some(c) = collate {
                    write!(f, " COLLATE {}", Str(c))?;
                }
                Ok(())
            }
            Statement::SetPassword { user, password } => {
                f.write_str("SET PASSWORD ")?;
                if let Some(u) = user {
                    write!(f, "FOR {u} ")?;
                }
                write!(f, "= {password}")
            }
            Statement::Kill { query, connection_id } => write!(
                f,
                "KILL {} {connection_id}",
                if *query { "QUERY" } else { "CONNECTION" }
            ),
            Statement::Begin => f.write_str("BEGIN"),
            Statement::Commit => f.write_str("COMMIT"),
            Statement::Rollback => f.write_str("ROLLBACK"),
            Statement::Query(q) | Statement::Insert(q) | Statement::Delete(q) | Statement::Update(q) => {
                f.write_str(q)
            }
            Statement::AdminSetConfig { key, value } => {
                write!(f, "ADMIN SET FRONTEND CONFIG ({} = {})", Str(key), Str(value))
            }
            Statement::AdminShowConfig { pattern } => {
                f.write_str("ADMIN SHOW FRONTEND CONFIG")?;
                pattern.iter().try_for_each(|p| write!(f, " LIKE {}", Str(p)))
            }
            Statement::Explain { logical, query } => {
                write!(f, "EXPLAIN {}{query}", if *logical { "LOGICAL " } else { "" })
            }
            Statement::CreateRepository {
                read_only,
                name,
                broker,
                location,
                properties,
            } => {
                write!(
                    f,
                    "CREATE {}REPOSITORY {} WITH BROKER",
                    flag(*read_only, "READ ONLY "),
                    Ident(name)
                )?;
                match broker {
                    Some(b) if lex::is_plain_ident(b) && !lex::is_reserved(b) => write!(f, " {b}")?,
                    Some(b) => write!(f, " {}", Str(b))?,
                    None => {}
                }
                write!(f, " ON LOCATION {}{}", Str(location), Properties(properties))
            }
            Statement::Account(a) => write!(f, "{a}"),
            Statement::DropRepository { name } => write!(f, "DROP REPOSITORY {}", Ident(name)),
            Statement::ShowRepositories => f.write_str("SHOW REPOSITORIES"),
            Statement::Backup(b) => write!(f, "{b}"),
            Statement::Restore(r) => write!(f, "{r}"),
            Statement::ShowBackup { database, tail } => {
                write!(f, "SHOW BACKUP{}", FromDb(database))?;
                tail.iter().try_for_each(|t| write!(f, " {t}"))
            }
            Statement::ShowRestore { database, tail } => {
                write!(f, "SHOW RESTORE{}", FromDb(database))?;
                tail.iter().try_for_each(|t| write!(f, " {t}"))
            }
            Statement::ShowJobs { database, tail } => {
                write!(f, "SHOW JOBS{}", FromDb(database))?;
                tail.iter().try_for_each(|t| write!(f, " {t}"))
            }
            Statement::CancelBackup {
                database,
                external_catalog,
            } => write!(f, "CANCEL BACKUP{}", CancelTarget(database, *external_catalog)),
            Statement::CancelRestore {
                database,
                external_catalog,
            } => write!(f, "CANCEL RESTORE{}", CancelTarget(database, *external_catalog)),
            Statement::SteerJob {
                resume,
                restore,
                database,
            } => write!(
                f,
                "{} {} FROM {}",
                if *resume { "RESUME" } else { "PAUSE" },
                if *restore { "RESTORE" } else { "BACKUP" },
                Ident(database)
            ),
            Statement::JobById { action, job_id } => write!(f, "{} JOB {job_id}", action.keyword()),
            Statement::ShowSnapshot { repository, filter } => {
                write!(f, "SHOW SNAPSHOT ON {}", Ident(repository))?;
                if let Some(e) = filter {
                    write!(f, " WHERE {e}")?;
                }
                Ok(())
            }
            Statement::DropSnapshot {
                name,
                repository,
                force,
            } => write!(
                f,
                "DROP SNAPSHOT {} ON {}{}",
                Ident(name),
                Ident(repository),
                flag(*force, " FORCE")
            ),
        }
    }
}

/// What `{PAUSE|RESUME|CANCEL} JOB id` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// `PAUSE JOB`
    Pause,
    /// `RESUME JOB`
    Resume,
    /// `CANCEL JOB`
    Cancel,
}

impl JobAction {
    /// The statement's first keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Pause => "PAUSE",
            Self::Resume => "RESUME",
            Self::Cancel => "CANCEL",
        }
    }
}
