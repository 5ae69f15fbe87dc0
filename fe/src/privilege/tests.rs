//! Every statement kind against a user with no privileges: each is either
//! denied with 5203 or on the short list of statements anyone may run.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::Arc;

use catalog::{Catalog, Change, Database, Privilege, Table, User};
use parking_lot::Mutex;
use parser::ast::STATEMENT_KINDS;

use super::*;
use crate::session::{ConnInfo, Session};

/// One sample per statement kind: (sql, denied to a user without privileges).
const SAMPLES: &[(&str, bool)] = &[
    ("CREATE DATABASE d2", true),
    ("DROP DATABASE sales", true),
    ("USE sales", true),
    ("CREATE TABLE t2 (k INT) DISTRIBUTED BY HASH(k) BUCKETS 1", true),
    ("DROP TABLE orders", true),
    ("TRUNCATE TABLE orders", true),
    ("ALTER TABLE orders DROP PARTITION p1", true),
    ("SHOW DATABASES", false),
    ("SHOW TABLES", false),
    ("SHOW CREATE TABLE orders", true),
    ("SHOW CREATE DATABASE sales", true),
    ("SHOW COLUMNS FROM orders", true),
    ("DESC orders", true),
    ("SHOW PARTITIONS FROM orders", true),
    ("SHOW TABLET FROM orders", true),
    ("SHOW TABLET 10005", true),
    ("SHOW BACKENDS", true),
    ("SHOW FRONTENDS", true),
    ("SHOW VARIABLES", false),
    ("SHOW STATUS", false),
    ("SHOW WARNINGS", false),
    ("SHOW PROCESSLIST", false),
    ("SHOW ENGINES", false),
    ("SHOW TABLE STATUS", false),
    ("SHOW DATA", false),
    ("SHOW CHARSET", false),
    ("SHOW COLLATION", false),
    ("ALTER SYSTEM ADD BACKEND '127.0.0.1:9050'", true),
    ("SET GLOBAL query_timeout = 10", true),
    ("SET NAMES utf8mb4", false),
    ("SET PASSWORD FOR 'other'@'%' = PASSWORD('x')", true),
    ("KILL 7", true),
    ("BEGIN", false),
    ("COMMIT", false),
    ("ROLLBACK", false),
    ("SELECT * FROM orders", false),
    ("EXPLAIN SELECT * FROM orders", false),
    ("INSERT INTO orders VALUES ('2020-01-01', 1, 1.0, 'x', 1)", true),
    ("DELETE FROM orders WHERE id = 1", true),
    (
        "CREATE REPOSITORY r WITH BROKER ON LOCATION 'file:///tmp/r'",
        true,
    ),
    ("DROP REPOSITORY r", true),
    ("SHOW REPOSITORIES", false),
    ("BACKUP SNAPSHOT sales.s1 TO r", true),
    (
        "RESTORE SNAPSHOT sales.s1 FROM r PROPERTIES ('backup_timestamp' = 'x')",
        true,
    ),
    ("SHOW BACKUP", true),
    ("SHOW RESTORE", true),
    ("SHOW JOBS", true),
    (
        "ADMIN SET FRONTEND CONFIG ('max_download_task_per_be' = '2')",
        true,
    ),
    ("ADMIN SHOW FRONTEND CONFIG LIKE '%task%'", true),
    (
        "UPDATE information_schema.be_configs SET value = '1' WHERE name = 'download_worker_count'",
        true,
    ),
    ("CANCEL BACKUP FROM sales", true),
    ("CANCEL RESTORE FROM sales", true),
    ("PAUSE RESTORE FROM sales", true),
    ("CANCEL JOB 1", true),
    ("SHOW SNAPSHOT ON r", true),
    ("DROP SNAPSHOT s1 ON r", true),
    ("CREATE USER u2", true),
    ("ALTER USER other IDENTIFIED BY 'x'", true),
    ("DROP USER other", true),
    ("CREATE ROLE r1", true),
    ("DROP ROLE r1", true),
    ("GRANT SELECT ON TABLE sales.orders TO other", true),
    ("REVOKE SELECT ON TABLE sales.orders FROM other", true),
    ("GRANT db_admin TO other", true),
    ("REVOKE db_admin FROM other", true),
    ("SHOW GRANTS", false),
    ("SHOW USERS", true),
    ("SHOW ROLES", true),
    ("SET ROLE NONE", false),
    ("SET DEFAULT ROLE NONE TO other", true),
];

fn fixture_state() -> (tempfile::TempDir, Catalog) {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../../../catalog/tests/compat/v1.json")).unwrap();
    let bytes = |k: &str| serde_json::to_vec(&fixture[k]).unwrap();
    let db: Database = catalog::model::decode("db", &bytes("database")).unwrap();
    let table: Table = catalog::model::decode("table", &bytes("table")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path()).unwrap();
    crate::auth::ensure_root(&catalog).unwrap();
    ensure_builtin_roles(&catalog).unwrap();
    catalog
        .update(|txn| {
            txn.push(Change::PutDatabase(db));
            txn.push(Change::PutTable(Box::new(table)));
            txn.push(Change::PutUser(User::new("nobody", "%", String::new())));
            txn.push(Change::PutUser(User::new("other", "%", String::new())));
            Ok::<_, catalog::CatalogError>(())
        })
        .unwrap();
    (dir, catalog)
}

fn session(user: &str, roles: &[&str]) -> Session {
    Session {
        id: 1,
        user: user.into(),
        user_host: "%".into(),
        client_host: "127.0.0.1".into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        database: Some("sales".into()),
        vars: Default::default(),
        warnings: Vec::new(),
        user_vars: Default::default(),
        info: Arc::new(Mutex::new(ConnInfo {
            id: 1,
            user: user.into(),
            host: "127.0.0.1".into(),
            db: String::new(),
            command: "Sleep",
            connected_at: String::new(),
            command_started: 0,
            info: String::new(),
            killed: false,
        })),
    }
}

/// Runs the authorization step as `session` does, with connection 7 owned by `other`.
fn check(state: &State, session: &Session, sql: &str) -> Result<Vec<Need>, FeError> {
    let stmt = parser::parse_one(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let owner = |id: u64| (id == 7).then(|| "other".to_string());
    let needs = needs(state, session, &stmt, &owner)?;
    let grants = Grants::of(state, session);
    for n in &needs {
        grants.check(n)?;
    }
    Ok(needs)
}

#[test]
fn every_statement_kind_is_covered() {
    let covered: BTreeSet<&str> = SAMPLES
        .iter()
        .map(|(sql, _)| {
            parser::parse_one(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .kind()
        })
        .collect();
    let all: BTreeSet<&str> = STATEMENT_KINDS.iter().copied().collect();
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "statement kinds without a privilege sample: {missing:?}"
    );
}

#[test]
fn a_user_without_privileges_is_denied_or_allowed_as_starrocks() {
    let (_dir, catalog) = fixture_state();
    let state = catalog.read();
    let nobody = session("nobody", &[]);
    let root = session("root", &["root"]);
    for (sql, denied) in SAMPLES {
        match check(&state, &nobody, sql) {
            Err(e) => {
                assert!(*denied, "{sql} was denied: {e}");
                assert_eq!((e.code().errno(), e.code().sqlstate()), (5203, "42000"), "{sql}");
                assert!(
                    e.to_string()
                        .ends_with("Current role(s): NONE. Inactivated role(s): NONE.")
                );
            }
            Ok(needs) => assert!(!denied, "{sql} was allowed with needs {needs:?}"),
        }
        check(&state, &root, sql).unwrap_or_else(|e| panic!("root denied {sql}: {e}"));
    }
}

#[test]
fn queries_defer_to_the_plan_and_listings_filter() {
    let (_dir, catalog) = fixture_state();
    let state = catalog.read();
    let nobody = session("nobody", &[]);
    assert_eq!(
        check(&state, &nobody, "SELECT * FROM orders").unwrap(),
        vec![Need::SelectScannedTables]
    );
    let grants = Grants::of(&state, &nobody);
    assert!(!grants.any_in_database("sales"));
    assert!(
        grants.any_in_database("information_schema"),
        "public reads information_schema"
    );
    assert!(grants.has(
        &[Privilege::Select],
        &PrivilegeObject::table("information_schema", "tables")
    ));
}

#[test]
fn denial_texts_name_privilege_object_and_roles() {
    let (_dir, catalog) = fixture_state();
    catalog
        .update(|txn| {
            let mut u = txn.state().user("nobody", "%").cloned().unwrap();
            u.roles = vec!["db_admin".into(), "user_admin".into()];
            txn.push(Change::PutUser(u));
            Ok::<_, catalog::CatalogError>(())
        })
        .unwrap();
    let state = catalog.read();
    // db_admin active, user_admin granted but not active.
    let s = session("nobody", &["db_admin"]);
    check(&state, &s, "DROP TABLE orders").unwrap();
    let e = check(&state, &s, "ALTER SYSTEM ADD BACKEND 'h:1'").unwrap_err();
    assert_eq!(
        e.to_string(),
        "Access denied; you need (at least one of) the NODE privilege(s) on SYSTEM for this operation. \
         Please ask the admin to grant permission(s) or try activating existing roles using \
         <set [default] role>. Current role(s): [db_admin]. Inactivated role(s): [user_admin]."
    );
    let s = session("nobody", &[]);
    let e = check(
        &state,
        &s,
        "INSERT INTO orders VALUES ('2020-01-01', 1, 1.0, 'x', 1)",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with(
        "Access denied; you need (at least one of) the INSERT privilege(s) on TABLE orders for"
    ));
    let e = check(&state, &s, "CREATE DATABASE x").unwrap_err();
    assert!(
        e.to_string()
            .contains("the CREATE_DATABASE privilege(s) on CATALOG default_catalog for")
    );
    let e = check(&state, &s, "SHOW BACKENDS").unwrap_err();
    assert!(
        e.to_string()
            .contains("the OPERATE OR NODE privilege(s) on SYSTEM for")
    );
    let e = check(&state, &s, "USE sales").unwrap_err();
    assert!(
        e.to_string()
            .contains("the ANY privilege(s) on DATABASE sales for")
    );
}
