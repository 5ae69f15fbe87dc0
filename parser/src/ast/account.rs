//! Users, roles and privileges: `CREATE USER`, `GRANT`, `SHOW GRANTS`, `SET ROLE`, ...

use std::fmt;

use super::sqlfmt::{Ident, Str};
use super::{TableName, UserIdent};

/// A user, role or grant statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountStmt {
    /// `CREATE USER [IF NOT EXISTS] u [auth] [DEFAULT ROLE r, ...]`
    CreateUser {
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
        /// The account.
        user: UserIdent,
        /// `IDENTIFIED ...`, when given.
        auth: Option<AuthOption>,
        /// `DEFAULT ROLE ...`.
        default_roles: Vec<String>,
    },
    /// `ALTER USER [IF EXISTS] u {auth | DEFAULT ROLE ...}`
    AlterUser {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The account.
        user: UserIdent,
        /// `IDENTIFIED ...`, when given.
        auth: Option<AuthOption>,
        /// `DEFAULT ROLE ...`, when given.
        default_role: Option<RoleSelection>,
    },
    /// `DROP USER [IF EXISTS] u`
    DropUser {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// The account.
        user: UserIdent,
    },
    /// `CREATE ROLE [IF NOT EXISTS] r[, ...] [COMMENT 'c']`
    CreateRole {
        /// `IF NOT EXISTS` was given.
        if_not_exists: bool,
        /// Role names.
        roles: Vec<String>,
        /// `COMMENT`, when given.
        comment: Option<String>,
    },
    /// `DROP ROLE [IF EXISTS] r[, ...]`
    DropRole {
        /// `IF EXISTS` was given.
        if_exists: bool,
        /// Role names.
        roles: Vec<String>,
    },
    /// `GRANT priv[, ...] ON object TO grantee [WITH GRANT OPTION]`
    Grant {
        /// Privilege names as written, upper-case, words joined by `_`.
        privileges: Vec<String>,
        /// What they are granted on.
        object: GrantObject,
        /// To whom.
        grantee: Grantee,
        /// `WITH GRANT OPTION` was given.
        with_grant_option: bool,
    },
    /// `REVOKE priv[, ...] ON object FROM grantee`
    Revoke {
        /// Privilege names, as for `Grant`.
        privileges: Vec<String>,
        /// What they are revoked on.
        object: GrantObject,
        /// From whom.
        grantee: Grantee,
    },
    /// `GRANT r[, ...] TO {USER u | ROLE r}`
    GrantRoles {
        /// Roles granted.
        roles: Vec<String>,
        /// To whom.
        grantee: Grantee,
    },
    /// `REVOKE r[, ...] FROM {USER u | ROLE r}`
    RevokeRoles {
        /// Roles revoked.
        roles: Vec<String>,
        /// From whom.
        grantee: Grantee,
    },
    /// `SHOW GRANTS [FOR {u | ROLE r}]`, `SHOW ALL GRANTS`
    ShowGrants {
        /// `FOR ...`; `None` for the current user.
        target: Option<Grantee>,
        /// `SHOW ALL GRANTS`.
        all: bool,
    },
    /// `SHOW USERS`
    ShowUsers,
    /// `SHOW ROLES`
    ShowRoles,
    /// `SET ROLE {DEFAULT | NONE | ALL [EXCEPT r, ...] | r, ...}`
    SetRole(RoleSelection),
    /// `SET DEFAULT ROLE {NONE | ALL | r, ...} TO u`
    SetDefaultRole {
        /// The roles.
        roles: RoleSelection,
        /// The account.
        user: UserIdent,
    },
}

impl AccountStmt {
    /// The variant name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::CreateUser { .. } => "CreateUser",
            Self::AlterUser { .. } => "AlterUser",
            Self::DropUser { .. } => "DropUser",
            Self::CreateRole { .. } => "CreateRole",
            Self::DropRole { .. } => "DropRole",
            Self::Grant { .. } => "Grant",
            Self::Revoke { .. } => "Revoke",
            Self::GrantRoles { .. } => "GrantRoles",
            Self::RevokeRoles { .. } => "RevokeRoles",
            Self::ShowGrants { .. } => "ShowGrants",
            Self::ShowUsers => "ShowUsers",
            Self::ShowRoles => "ShowRoles",
            Self::SetRole(_) => "SetRole",
            Self::SetDefaultRole { .. } => "SetDefaultRole",
        }
    }
}

/// How a password is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOption {
    /// `IDENTIFIED BY 'plain'` or `IDENTIFIED WITH mysql_native_password BY 'plain'`.
    Plain(String),
    /// `IDENTIFIED BY PASSWORD '*hash'` or `IDENTIFIED WITH mysql_native_password AS '*hash'`.
    Hashed(String),
    /// `IDENTIFIED WITH <plugin> [AS 'x']` for another plugin.
    Plugin {
        /// Plugin name.
        plugin: String,
        /// Its argument.
        value: Option<String>,
    },
}

/// A user or a role on the receiving end of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// `[USER] 'u'@'h'`
    User(UserIdent),
    /// `ROLE r`
    Role(String),
}

/// What privileges are granted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantObject {
    /// `SYSTEM`
    System,
    /// `CATALOG c`
    Catalog(String),
    /// `ALL CATALOGS`
    AllCatalogs,
    /// `DATABASE db`
    Database(String),
    /// `ALL DATABASES`
    AllDatabases,
    /// `TABLE [db.]t[, ...]`
    Tables(Vec<TableName>),
    /// `ALL TABLES IN DATABASE db`, or `ALL TABLES IN ALL DATABASES` (`None`).
    AllTablesIn(Option<String>),
}

/// A choice of roles for `SET ROLE` and `DEFAULT ROLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleSelection {
    /// `DEFAULT`: the user's default roles.
    Default,
    /// `NONE`
    None,
    /// `ALL [EXCEPT r, ...]`
    All {
        /// Roles left out.
        except: Vec<String>,
    },
    /// `r1, r2, ...`
    Roles(Vec<String>),
}

/// Writes `a, b, c`, each as an identifier.
struct Names<'a>(&'a [String]);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", Ident(n))?;
        }
        Ok(())
    }
}

/// Writes privilege names with spaces between their words.
struct Privileges<'a>(&'a [String]);

impl fmt::Display for Privileges<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self.0.iter().map(|p| p.replace('_', " ")).collect();
        f.write_str(&words.join(", "))
    }
}

impl fmt::Display for AuthOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(p) => write!(f, "IDENTIFIED BY {}", Str(p)),
            Self::Hashed(h) => write!(f, "IDENTIFIED BY PASSWORD {}", Str(h)),
            Self::Plugin { plugin, value } => {
                write!(f, "IDENTIFIED WITH {}", Ident(plugin))?;
                match value {
                    Some(v) => write!(f, " AS {}", Str(v)),
                    None => Ok(()),
                }
            }
        }
    }
}

impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User(u) => write!(f, "USER {u}"),
            Self::Role(r) => write!(f, "ROLE {}", Ident(r)),
        }
    }
}

impl fmt::Display for GrantObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System => f.write_str("SYSTEM"),
            Self::Catalog(c) => write!(f, "CATALOG {}", Ident(c)),
            Self::AllCatalogs => f.write_str("ALL CATALOGS"),
            Self::Database(d) => write!(f, "DATABASE {}", Ident(d)),
            Self::AllDatabases => f.write_str("ALL DATABASES"),
            Self::Tables(tables) => {
                f.write_str("TABLE ")?;
                for (i, t) in tables.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                Ok(())
            }
            Self::AllTablesIn(Some(db)) => write!(f, "ALL TABLES IN DATABASE {}", Ident(db)),
            Self::AllTablesIn(None) => f.write_str("ALL TABLES IN ALL DATABASES"),
        }
    }
}

impl fmt::Display for RoleSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("DEFAULT"),
            Self::None => f.write_str("NONE"),
            Self::All { except } if except.is_empty() => f.write_str("ALL"),
            Self::All { except } => write!(f, "ALL EXCEPT {}", Names(except)),
            Self::Roles(roles) => write!(f, "{}", Names(roles)),
        }
    }
}

fn if_flag(on: bool, text: &str) -> &str {
    if on { text } else { "" }
}

impl fmt::Display for AccountStmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreateUser {
                if_not_exists,
                user,
                auth,
                default_roles,
            } => {
                write!(
                    f,
                    "CREATE USER {}{user}",
                    if_flag(*if_not_exists, "IF NOT EXISTS ")
                )?;
                if let Some(a) = auth {
                    write!(f, " {a}")?;
                }
                if !default_roles.is_empty() {
                    write!(f, " DEFAULT ROLE {}", Names(default_roles))?;
                }
                Ok(())
            }
            Self::AlterUser {
                if_exists,
                user,
                auth,
                default_role,
            } => {
                write!(f, "ALTER USER {}{user}", if_flag(*if_exists, "IF EXISTS "))?;
                if let Some(a) = auth {
                    write!(f, " {a}")?;
                }
                if let Some(r) = default_role {
                    write!(f, " DEFAULT ROLE {r}")?;
                }
                Ok(())
            }
            Self::DropUser { if_exists, user } => {
                write!(f, "DROP USER {}{user}", if_flag(*if_exists, "IF EXISTS "))
            }
            Self::CreateRole {
                if_not_exists,
                roles,
                comment,
            } => {
                write!(
                    f,
                    "CREATE ROLE {}{}",
                    if_flag(*if_not_exists, "IF NOT EXISTS "),
                    Names(roles)
                )?;
                match comment {
                    Some(c) => write!(f, " COMMENT {}", Str(c)),
                    None => Ok(()),
                }
            }
            Self::DropRole { if_exists, roles } => {
                write!(
                    f,
                    "DROP ROLE {}{}",
                    if_flag(*if_exists, "IF EXISTS "),
                    Names(roles)
                )
            }
            Self::Grant {
                privileges,
                object,
                grantee,
                with_grant_option,
            } => write!(
                f,
                "GRANT {} ON {object} TO {grantee}{}",
                Privileges(privileges),
                if_flag(*with_grant_option, " WITH GRANT OPTION")
            ),
            Self::Revoke {
                privileges,
                object,
                grantee,
            } => write!(f, "REVOKE {} ON {object} FROM {grantee}", Privileges(privileges)),
            Self::GrantRoles { roles, grantee } => write!(f, "GRANT {} TO {grantee}", Names(roles)),
            Self::RevokeRoles { roles, grantee } => write!(f, "REVOKE {} FROM {grantee}", Names(roles)),
            Self::ShowGrants { target, all } => match (all, target) {
                (true, _) => f.write_str("SHOW ALL GRANTS"),
                (false, None) => f.write_str("SHOW GRANTS"),
                (false, Some(Grantee::User(u))) => write!(f, "SHOW GRANTS FOR {u}"),
                (false, Some(g)) => write!(f, "SHOW GRANTS FOR {g}"),
            },
            Self::ShowUsers => f.write_str("SHOW USERS"),
            Self::ShowRoles => f.write_str("SHOW ROLES"),
            Self::SetRole(r) => write!(f, "SET ROLE {r}"),
            Self::SetDefaultRole { roles, user } => write!(f, "SET DEFAULT ROLE {roles} TO {user}"),
        }
    }
}
