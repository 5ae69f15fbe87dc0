//! Pieces of `BACKUP` / `RESTORE` statements.

use std::fmt;

use super::TableName;
use super::sqlfmt::{Ident, IdentList, Properties};

/// `BACKUP [catalogs] [DATABASE db] SNAPSHOT [db.]label TO repo [ON (...)] [PROPERTIES (...)]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupStmt {
    /// The database: from `DATABASE db` or the `db.` prefix of the label.
    pub database: Option<String>,
    /// The database came from `DATABASE db` (not from the label prefix).
    pub explicit_database: bool,
    /// The snapshot label.
    pub label: String,
    /// The repository.
    pub repository: String,
    /// The `ON (...)` list; empty when absent.
    pub objects: Vec<BackupObject>,
    /// `PROPERTIES (...)`.
    pub properties: Vec<(String, String)>,
    /// `ALL EXTERNAL CATALOGS` or `EXTERNAL CATALOGS (...)`.
    pub external_catalogs: Option<ExternalCatalogs>,
}

/// `RESTORE SNAPSHOT [db.]label FROM repo [catalogs] [DATABASE src [AS dst]] [ON (...)] [PROPERTIES (...)]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreStmt {
    /// The source database: the `db.` prefix of the label or `DATABASE src`.
    pub database: Option<String>,
    /// The database came from `DATABASE src` (not from the label prefix).
    pub explicit_database: bool,
    /// `DATABASE src AS dst`: the target database.
    pub target_database: Option<String>,
    /// The snapshot label.
    pub label: String,
    /// The repository.
    pub repository: String,
    /// The `ON (...)` list; empty when absent.
    pub objects: Vec<BackupObject>,
    /// `PROPERTIES (...)`.
    pub properties: Vec<(String, String)>,
    /// `ALL EXTERNAL CATALOGS` or `EXTERNAL CATALOGS (...)`.
    pub external_catalogs: Option<ExternalCatalogs>,
}

/// The external catalogs of a BACKUP / RESTORE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalCatalogs {
    /// `ALL EXTERNAL CATALOGS`
    All,
    /// `EXTERNAL {CATALOG|CATALOGS} (c1 [AS a1], ...)`; aliases only in RESTORE.
    Named(Vec<(String, Option<String>)>),
}

/// The keyword that introduced a table-like object of an `ON (...)` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKeyword {
    /// No keyword (the legacy form).
    Bare,
    /// `TABLE` / `TABLES`
    Table,
    /// `VIEW` / `VIEWS`
    View,
    /// `MATERIALIZED VIEW` / `MATERIALIZED VIEWS`
    MaterializedView,
}

/// One entry of a BACKUP / RESTORE `ON (...)` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupObject {
    /// A table, view or materialized view (one namespace).
    Table {
        /// `[db.]name`; longer names keep their last two parts.
        name: TableName,
        /// `PARTITION (p1, ...)`; empty means all.
        partitions: Vec<String>,
        /// `TEMPORARY PARTITION ...`
        temporary_partitions: bool,
        /// `AS alias` (RESTORE only).
        alias: Option<String>,
        /// How the object was introduced.
        keyword: ObjectKeyword,
    },
    /// `ALL {TABLE|TABLES}`
    AllTables,
    /// `ALL {VIEW|VIEWS}`
    AllViews,
    /// `ALL MATERIALIZED {VIEW|VIEWS}`
    AllMaterializedViews,
    /// `ALL {FUNCTION|FUNCTIONS}`
    AllFunctions,
    /// `{FUNCTION|FUNCTIONS} [db.]f [AS alias]`
    Function {
        /// The database, when the name is qualified.
        database: Option<String>,
        /// The function name.
        name: String,
        /// `AS alias` (RESTORE only).
        alias: Option<String>,
    },
}

/// Writes ` AS alias` when present.
struct Alias<'a>(&'a Option<String>);

impl fmt::Display for Alias<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(a) => write!(f, " AS {}", Ident(a)),
            None => Ok(()),
        }
    }
}

impl fmt::Display for BackupObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupObject::Table {
                name,
                partitions,
                temporary_partitions,
                alias,
                keyword,
            } => {
                f.write_str(match keyword {
                    ObjectKeyword::Bare => "",
                    ObjectKeyword::Table => "TABLE ",
                    ObjectKeyword::View => "VIEW ",
                    ObjectKeyword::MaterializedView => "MATERIALIZED VIEW ",
                })?;
                write!(f, "{name}")?;
                if !partitions.is_empty() {
                    if *temporary_partitions {
                        f.write_str(" TEMPORARY")?;
                    }
                    write!(f, " PARTITION {}", IdentList(partitions))?;
                }
                write!(f, "{}", Alias(alias))
            }
            BackupObject::AllTables => f.write_str("ALL TABLES"),
            BackupObject::AllViews => f.write_str("ALL VIEWS"),
            BackupObject::AllMaterializedViews => f.write_str("ALL MATERIALIZED VIEWS"),
            BackupObject::AllFunctions => f.write_str("ALL FUNCTIONS"),
            BackupObject::Function {
                database,
                name,
                alias,
            } => {
                f.write_str("FUNCTION ")?;
                if let Some(db) = database {
                    write!(f, "{}.", Ident(db))?;
                }
                write!(f, "{}{}", Ident(name), Alias(alias))
            }
        }
    }
}

impl fmt::Display for ExternalCatalogs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternalCatalogs::All => f.write_str("ALL EXTERNAL CATALOGS"),
            ExternalCatalogs::Named(catalogs) => {
                f.write_str("EXTERNAL CATALOGS (")?;
                for (i, (name, alias)) in catalogs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}{}", Ident(name), Alias(alias))?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Writes ` ON (obj, ...)` when the list is not empty.
struct Objects<'a>(&'a [BackupObject]);

impl fmt::Display for Objects<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        f.write_str(" ON (")?;
        for (i, o) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{o}")?;
        }
        f.write_str(")")
    }
}

/// Writes `[db.]label`, with the prefix only when the database is implicit.
fn write_label(
    f: &mut fmt::Formatter<'_>,
    database: &Option<String>,
    explicit: bool,
    label: &str,
) -> fmt::Result {
    if let (Some(db), false) = (database, explicit) {
        write!(f, "{}.", Ident(db))?;
    }
    write!(f, "{}", Ident(label))
}

impl fmt::Display for BackupStmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BACKUP ")?;
        if let Some(c) = &self.external_catalogs {
            write!(f, "{c} ")?;
        }
        if let (Some(db), true) = (&self.database, self.explicit_database) {
            write!(f, "DATABASE {} ", Ident(db))?;
        }
        f.write_str("SNAPSHOT ")?;
        write_label(f, &self.database, self.explicit_database, &self.label)?;
        write!(
            f,
            " TO {}{}{}",
            Ident(&self.repository),
            Objects(&self.objects),
            Properties(&self.properties)
        )
    }
}

impl fmt::Display for RestoreStmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RESTORE SNAPSHOT ")?;
        write_label(f, &self.database, self.explicit_database, &self.label)?;
        write!(f, " FROM {}", Ident(&self.repository))?;
        if let Some(c) = &self.external_catalogs {
            write!(f, " {c}")?;
        }
        if let (Some(db), true) = (&self.database, self.explicit_database) {
            write!(f, " DATABASE {}{}", Ident(db), Alias(&self.target_database))?;
        }
        write!(f, "{}{}", Objects(&self.objects), Properties(&self.properties))
    }
}
