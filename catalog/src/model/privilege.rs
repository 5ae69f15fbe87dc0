//! Privileges and the objects they are granted on (StarRocks' RBAC model).
//!
//! Objects are named, not numbered: a grant on `db1.t1` names the table, as
//! MySQL's grant tables do. Dropping a table leaves its grants in place, and they
//! apply again to a table re-created (or restored) under the same name.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One privilege, spelled as StarRocks' `PrivilegeType` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Privilege {
    /// SYSTEM: manage users, roles and grants.
    Grant,
    /// SYSTEM: add and drop nodes.
    Node,
    /// SYSTEM: operational statements (SHOW TABLET, KILL, SET GLOBAL, ...).
    Operate,
    /// SYSTEM: repositories and the backup/restore family.
    Repository,
    /// SYSTEM: SQL blacklist.
    Blacklist,
    /// SYSTEM: file management.
    File,
    /// SYSTEM: plugins.
    Plugin,
    /// SYSTEM: resource groups.
    CreateResourceGroup,
    /// SYSTEM: external catalogs.
    CreateExternalCatalog,
    /// SYSTEM: global functions.
    CreateGlobalFunction,
    /// SYSTEM: storage volumes.
    CreateStorageVolume,
    /// SYSTEM: security integrations.
    Security,
    /// CATALOG: use the catalog.
    Usage,
    /// CATALOG: create databases.
    CreateDatabase,
    /// CATALOG, DATABASE, TABLE: drop the object.
    Drop,
    /// CATALOG, DATABASE, TABLE: alter the object.
    Alter,
    /// DATABASE: create tables.
    CreateTable,
    /// DATABASE: create views.
    CreateView,
    /// DATABASE: create functions.
    CreateFunction,
    /// DATABASE: create materialized views.
    CreateMaterializedView,
    /// TABLE: delete and truncate.
    Delete,
    /// TABLE: load and insert.
    Insert,
    /// TABLE: query.
    Select,
    /// TABLE: back up (and export).
    Export,
    /// TABLE: update.
    Update,
}

impl Privilege {
    /// StarRocks' enum spelling, as in denial messages (`CREATE_TABLE`).
    pub fn enum_name(self) -> &'static str {
        match self {
            Self::Grant => "GRANT",
            Self::Node => "NODE",
            Self::Operate => "OPERATE",
            Self::Repository => "REPOSITORY",
            Self::Blacklist => "BLACKLIST",
            Self::File => "FILE",
            Self::Plugin => "PLUGIN",
            Self::CreateResourceGroup => "CREATE_RESOURCE_GROUP",
            Self::CreateExternalCatalog => "CREATE_EXTERNAL_CATALOG",
            Self::CreateGlobalFunction => "CREATE_GLOBAL_FUNCTION",
            Self::CreateStorageVolume => "CREATE_STORAGE_VOLUME",
            Self::Security => "SECURITY",
            Self::Usage => "USAGE",
            Self::CreateDatabase => "CREATE_DATABASE",
            Self::Drop => "DROP",
            Self::Alter => "ALTER",
            Self::CreateTable => "CREATE_TABLE",
            Self::CreateView => "CREATE_VIEW",
            Self::CreateFunction => "CREATE_FUNCTION",
            Self::CreateMaterializedView => "CREATE_MATERIALIZED_VIEW",
            Self::Delete => "DELETE",
            Self::Insert => "INSERT",
            Self::Select => "SELECT",
            Self::Export => "EXPORT",
            Self::Update => "UPDATE",
        }
    }

    /// The SQL spelling, as in `SHOW GRANTS` (`CREATE TABLE`).
    pub fn sql_name(self) -> String {
        self.enum_name().replace('_', " ")
    }

    /// Parses the enum or SQL spelling, case-insensitively.
    pub fn parse(text: &str) -> Option<Self> {
        let wanted = text.trim().to_ascii_uppercase().replace(' ', "_");
        ALL_PRIVILEGES.iter().copied().find(|p| p.enum_name() == wanted)
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.enum_name())
    }
}

/// Every privilege, in enum order.
pub const ALL_PRIVILEGES: &[Privilege] = &[
    Privilege::Grant,
    Privilege::Node,
    Privilege::Operate,
    Privilege::Repository,
    Privilege::Blacklist,
    Privilege::File,
    Privilege::Plugin,
    Privilege::CreateResourceGroup,
    Privilege::CreateExternalCatalog,
    Privilege::CreateGlobalFunction,
    Privilege::CreateStorageVolume,
    Privilege::Security,
    Privilege::Usage,
    Privilege::CreateDatabase,
    Privilege::Drop,
    Privilege::Alter,
    Privilege::CreateTable,
    Privilege::CreateView,
    Privilege::CreateFunction,
    Privilege::CreateMaterializedView,
    Privilege::Delete,
    Privilege::Insert,
    Privilege::Select,
    Privilege::Export,
    Privilege::Update,
];

/// What a grant is on. `None` names mean "all".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrivilegeObject {
    /// `ON SYSTEM`
    System,
    /// `ON CATALOG default_catalog` (Starling has only the internal catalog).
    Catalog,
    /// `ON DATABASE db`, or `ON ALL DATABASES` when `db` is `None`.
    Database {
        /// Database name; `None` for all databases.
        db: Option<String>,
    },
    /// `ON TABLE db.t`, `ON ALL TABLES IN DATABASE db` (`table` `None`) or
    /// `ON ALL TABLES IN ALL DATABASES` (both `None`).
    Table {
        /// Database name; `None` for all databases.
        db: Option<String>,
        /// Table name; `None` for all tables.
        table: Option<String>,
    },
}

/// The object types, as `SHOW GRANTS` and denial messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// `SYSTEM`
    System,
    /// `CATALOG`
    Catalog,
    /// `DATABASE`
    Database,
    /// `TABLE`
    Table,
}

impl ObjectType {
    /// The privileges that exist on this object type.
    pub fn privileges(self) -> &'static [Privilege] {
        use Privilege as P;
        match self {
            Self::System => &[
                P::Grant,
                P::Node,
                P::Operate,
                P::Repository,
                P::Blacklist,
                P::File,
                P::Plugin,
                P::CreateResourceGroup,
                P::CreateExternalCatalog,
                P::CreateGlobalFunction,
                P::CreateStorageVolume,
                P::Security,
            ],
            Self::Catalog => &[P::Usage, P::CreateDatabase, P::Drop, P::Alter],
            Self::Database => &[
                P::CreateTable,
                P::Drop,
                P::Alter,
                P::CreateView,
                P::CreateFunction,
                P::CreateMaterializedView,
            ],
            Self::Table => &[
                P::Delete,
                P::Drop,
                P::Insert,
                P::Select,
                P::Alter,
                P::Export,
                P::Update,
            ],
        }
    }

    /// Upper-case name (`TABLE`).
    pub fn name(self) -> &'static str {
        match self {
            Self::System => "SYSTEM",
            Self::Catalog => "CATALOG",
            Self::Database => "DATABASE",
            Self::Table => "TABLE",
        }
    }
}

impl PrivilegeObject {
    /// One table.
    pub fn table(db: &str, table: &str) -> Self {
        Self::Table {
            db: Some(db.to_string()),
            table: Some(table.to_string()),
        }
    }

    /// The object's type.
    pub fn object_type(&self) -> ObjectType {
        match self {
            Self::System => ObjectType::System,
            Self::Catalog => ObjectType::Catalog,
            Self::Database { .. } => ObjectType::Database,
            Self::Table { .. } => ObjectType::Table,
        }
    }

    /// Whether a grant on `self` applies to the concrete object `target`.
    pub fn covers(&self, target: &PrivilegeObject) -> bool {
        fn name_covers(granted: &Option<String>, wanted: &Option<String>) -> bool {
            match (granted, wanted) {
                (None, _) => true,
                (Some(g), Some(w)) => g == w,
                (Some(_), None) => false,
            }
        }
        match (self, target) {
            (Self::System, Self::System) | (Self::Catalog, Self::Catalog) => true,
            (Self::Database { db: g }, Self::Database { db: w }) => name_covers(g, w),
            (Self::Table { db: gd, table: gt }, Self::Table { db: wd, table: wt }) => {
                name_covers(gd, wd) && name_covers(gt, wt)
            }
            _ => false,
        }
    }

    /// Whether this grant concerns database `db` or something inside it.
    pub fn touches_database(&self, db: &str) -> bool {
        match self {
            Self::Database { db: d } | Self::Table { db: d, .. } => d.as_deref().is_none_or(|d| d == db),
            Self::System | Self::Catalog => false,
        }
    }
}

/// The privileges held on one object, as granted (or revoked) together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivilegeGrant {
    /// The object.
    pub object: PrivilegeObject,
    /// The privileges on it.
    pub privileges: BTreeSet<Privilege>,
    /// Granted `WITH GRANT OPTION`.
    #[serde(default)]
    pub grant_option: bool,
}

/// A role: a named set of grants, possibly inheriting other roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Unique name.
    pub name: String,
    /// One of StarRocks' built-in roles (their own privileges come from code).
    #[serde(default)]
    pub builtin: bool,
    /// `COMMENT` given at creation.
    #[serde(default)]
    pub comment: String,
    /// Privileges granted to the role with `GRANT ... TO ROLE`.
    #[serde(default)]
    pub grants: Vec<PrivilegeGrant>,
    /// Roles granted to this role (`GRANT r1 TO ROLE r2` puts `r1` here).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Adds `privileges` on `object` to a grant list. Entries are kept per object
/// and grant option, so the option covers exactly the privileges granted with it.
pub fn add_grant(
    grants: &mut Vec<PrivilegeGrant>,
    object: &PrivilegeObject,
    privileges: &[Privilege],
    grant_option: bool,
) {
    let held_with_option: BTreeSet<Privilege> = grants
        .iter()
        .filter(|g| &g.object == object && g.grant_option)
        .flat_map(|g| g.privileges.iter().copied())
        .collect();
    let adding: Vec<Privilege> = privileges
        .iter()
        .copied()
        .filter(|p| grant_option || !held_with_option.contains(p))
        .collect();
    if grant_option {
        // Now held with the option: drop them from the entry without it.
        for g in grants
            .iter_mut()
            .filter(|g| &g.object == object && !g.grant_option)
        {
            g.privileges.retain(|p| !adding.contains(p));
        }
        grants.retain(|g| !g.privileges.is_empty());
    }
    if adding.is_empty() {
        return;
    }
    match grants
        .iter_mut()
        .find(|g| &g.object == object && g.grant_option == grant_option)
    {
        Some(g) => g.privileges.extend(adding),
        None => grants.push(PrivilegeGrant {
            object: object.clone(),
            privileges: adding.into_iter().collect(),
            grant_option,
        }),
    }
}

/// Removes `privileges` on `object` from a grant list; returns whether any was held.
pub fn remove_grant(
    grants: &mut Vec<PrivilegeGrant>,
    object: &PrivilegeObject,
    privileges: &[Privilege],
) -> bool {
    let mut removed = false;
    for g in grants.iter_mut().filter(|g| &g.object == object) {
        for p in privileges {
            removed |= g.privileges.remove(p);
        }
    }
    grants.retain(|g| !g.privileges.is_empty());
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grant_option_covers_only_what_was_granted_with_it() {
        let t = PrivilegeObject::table("db", "t");
        let mut grants = Vec::new();
        add_grant(&mut grants, &t, &[Privilege::Select], true);
        add_grant(&mut grants, &t, &[Privilege::Insert, Privilege::Select], false);
        let with: Vec<_> = grants.iter().filter(|g| g.grant_option).collect();
        let without: Vec<_> = grants.iter().filter(|g| !g.grant_option).collect();
        assert_eq!(with.len(), 1);
        assert_eq!(with[0].privileges, BTreeSet::from([Privilege::Select]));
        assert_eq!(without[0].privileges, BTreeSet::from([Privilege::Insert]));
        // Granting INSERT with the option moves it over.
        add_grant(&mut grants, &t, &[Privilege::Insert], true);
        assert_eq!(grants.len(), 1);
        assert_eq!(
            grants[0].privileges,
            BTreeSet::from([Privilege::Insert, Privilege::Select])
        );
        assert!(remove_grant(
            &mut grants,
            &t,
            &[Privilege::Select, Privilege::Insert]
        ));
        assert!(grants.is_empty());
        assert!(!remove_grant(&mut grants, &t, &[Privilege::Select]));
    }
}
