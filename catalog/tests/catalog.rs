//! Catalog persistence: reopen after writes, ids survive, old formats load.
#![allow(clippy::unwrap_used)]

use catalog::{
    Backend, BackupState, Catalog, CatalogError, Change, ColumnType, Database, GlobalVariable, Job,
    JobRecord, JobType, KeyPart, LoadLabel, PartitionKey, PartitionRange, Privilege, PrivilegeObject,
    Repository, RestoreState, Role, Table, User,
};

fn db(id: u64, name: &str) -> Database {
    Database {
        id,
        name: name.to_string(),
        created_ms: 1,
    }
}

#[test]
fn changes_survive_reopen_and_ids_never_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let first_ids = {
        let catalog = Catalog::open(dir.path()).unwrap();
        catalog
            .update(|txn| {
                let a = txn.next_id();
                let b = txn.next_id();
                txn.push(Change::PutDatabase(db(a, "a")));
                txn.push(Change::PutDatabase(db(b, "b")));
                Ok::<_, CatalogError>((a, b))
            })
            .unwrap()
    };
    let catalog = Catalog::open(dir.path()).unwrap();
    let state = catalog.read();
    let names: Vec<_> = state.databases().map(|d| d.name.clone()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(state.database("b").unwrap().id, first_ids.1);
    drop(state);
    let next = catalog
        .update(|txn| Ok::<_, CatalogError>(txn.next_id()))
        .unwrap();
    assert!(next > first_ids.1, "id {next} reused after reopen");
}

#[test]
fn failed_update_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = Catalog::open(dir.path()).unwrap();
    let result: Result<(), CatalogError> = catalog.update(|txn| {
        let id = txn.next_id();
        txn.push(Change::PutDatabase(db(id, "x")));
        Err(CatalogError::Corrupt {
            key: "k".into(),
            reason: "abort".into(),
        })
    });
    assert!(result.is_err());
    assert!(catalog.read().database("x").is_none());
    drop(catalog);
    assert!(Catalog::open(dir.path()).unwrap().read().database("x").is_none());
}

#[test]
fn roles_and_grants_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let catalog = Catalog::open(dir.path()).unwrap();
        let mut user = User::new("u", "%", String::new());
        user.roles.push("r".into());
        catalog::add_grant(
            &mut user.grants,
            &PrivilegeObject::System,
            &[Privilege::Repository],
            false,
        );
        catalog
            .update(|txn| {
                txn.push(Change::PutRole(Role {
                    name: "r".into(),
                    builtin: false,
                    comment: String::new(),
                    grants: Vec::new(),
                    roles: Vec::new(),
                }));
                txn.push(Change::PutRole(Role {
                    name: "gone".into(),
                    builtin: false,
                    comment: String::new(),
                    grants: Vec::new(),
                    roles: Vec::new(),
                }));
                txn.push(Change::PutUser(user));
                Ok::<_, CatalogError>(())
            })
            .unwrap();
        catalog
            .update(|txn| {
                txn.push(Change::DeleteRole("gone".into()));
                Ok::<_, CatalogError>(())
            })
            .unwrap();
    }
    let catalog = Catalog::open(dir.path()).unwrap();
    let state = catalog.read();
    assert!(state.role("r").is_some() && state.role("gone").is_none());
    let u = state.user("u", "%").unwrap();
    assert_eq!(u.roles, vec!["r".to_string()]);
    assert!(u.grants[0].privileges.contains(&Privilege::Repository));
}

#[test]
fn cluster_id_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let id = Catalog::open(dir.path()).unwrap().read().cluster_id();
    assert!(id > 0);
    assert_eq!(Catalog::open(dir.path()).unwrap().read().cluster_id(), id);
}

#[test]
fn version_one_records_still_decode() {
    let text = include_str!("compat/v1.json");
    let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
    let bytes = |k: &str| serde_json::to_vec(&fixture[k]).unwrap();

    let d: Database = catalog::model::decode("db", &bytes("database")).unwrap();
    assert_eq!(d.name, "sales");
    let be: Backend = catalog::model::decode("be", &bytes("backend")).unwrap();
    assert_eq!(be.address(), "127.0.0.1:9060");
    let u: User = catalog::model::decode("user", &bytes("user")).unwrap();
    assert_eq!(u.host, "%");
    // Accounts written before roles and grants existed have none.
    assert!(u.roles.is_empty() && u.default_roles.is_empty() && u.grants.is_empty());
}

#[test]
fn version_two_records_still_decode() {
    let text = include_str!("compat/v2.json");
    let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
    let bytes = |k: &str| serde_json::to_vec(&fixture[k]).unwrap();
    let u: User = catalog::model::decode("user", &bytes("user_with_grants")).unwrap();
    assert_eq!(
        (u.roles.as_slice(), u.grants.len()),
        (["ops".to_string()].as_slice(), 2)
    );
    assert!(
        u.grants[0]
            .object
            .covers(&PrivilegeObject::table("sales", "orders"))
    );
    assert!(u.grants[0].privileges.contains(&Privilege::Export));
    assert!(u.grants[1].grant_option && u.grants[1].object == PrivilegeObject::System);
    let role: Role = catalog::model::decode("role", &bytes("role")).unwrap();
    assert_eq!(
        (role.name.as_str(), role.roles.as_slice()),
        ("ops", ["public".to_string()].as_slice())
    );
    assert!(
        role.grants[0]
            .object
            .covers(&PrivilegeObject::table("sales", "any_table"))
    );
    assert!(
        role.grants[2]
            .object
            .covers(&PrivilegeObject::Database { db: Some("x".into()) })
    );
    assert_eq!(
        catalog::model::decode::<Role>("role", &catalog::model::encode(&role)).unwrap(),
        role
    );
}

#[test]
fn version_three_jobs_keep_their_pauses() {
    let text = include_str!("compat/v3.json");
    let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
    let bytes = |k: &str| serde_json::to_vec(&fixture[k]).unwrap();
    let Job::Backup(b) = catalog::model::decode("job", &bytes("backup_job")).unwrap() else {
        panic!("not a backup job");
    };
    assert!(!b.pause.is_paused() && b.pause.on_error);
    assert_eq!(b.pause.paused_ms(0), 1500);
    let Job::Restore(r) = catalog::model::decode("job", &bytes("restore_job")).unwrap() else {
        panic!("not a restore job");
    };
    assert!(r.pause.is_paused() && !r.pause.on_error);
    assert_eq!(r.pause.paused_ms(1_764_800_001_000), 1250);
}

#[test]
fn version_four_jobs_keep_their_bytes_and_history_records_decode() {
    let text = include_str!("compat/v4.json");
    let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
    let bytes = |k: &str| serde_json::to_vec(&fixture[k]).unwrap();
    let Job::Backup(b) = catalog::model::decode("job", &bytes("backup_job")).unwrap() else {
        panic!("not a backup job");
    };
    assert_eq!(
        (b.progress.bytes_done, b.progress.bytes_total, b.progress.rows),
        (123_456, 123_456, 42)
    );
    let r: JobRecord = catalog::model::decode("history", &bytes("history_record")).unwrap();
    assert_eq!(
        (r.job_type, r.state.as_str(), r.progress.bytes_total),
        (JobType::Backup, "CANCELLED", 4000)
    );
    assert_eq!(r.error, "[COMMON_ERROR, msg: user cancelled]");
    // A version 3 job has counted nothing yet.
    let v3: serde_json::Value = serde_json::from_str(include_str!("compat/v3.json")).unwrap();
    let Job::Backup(old) =
        catalog::model::decode("job", &serde_json::to_vec(&v3["backup_job"]).unwrap()).unwrap()
    else {
        panic!("not a backup job");
    };
    assert_eq!(old.progress, catalog::JobProgress::default());
}

#[test]
fn job_history_survives_reopen_in_submit_order() {
    let dir = tempfile::tempdir().unwrap();
    let record = |create_time_ms: i64, db_id: u64| JobRecord {
        job_id: create_time_ms,
        job_type: JobType::Restore,
        db_id,
        db_name: format!("db{db_id}"),
        label: "l".into(),
        repo_name: "r".into(),
        state: "FINISHED".into(),
        progress: catalog::JobProgress::default(),
        create_time_ms,
        finished_ms: create_time_ms + 1,
        error: String::new(),
    };
    {
        let catalog = Catalog::open(dir.path()).unwrap();
        catalog
            .update(|txn| {
                for (t, db) in [(300, 1), (-5, 2), (100, 2), (100, 1)] {
                    txn.push(Change::PutJobRecord(Box::new(record(t, db))));
                }
                txn.push(Change::DeleteJobRecord((100, 2)));
                Ok::<_, CatalogError>(())
            })
            .unwrap();
    }
    let catalog = Catalog::open(dir.path()).unwrap();
    let keys: Vec<(i64, u64)> = catalog.read().job_history().map(JobRecord::key).collect();
    assert_eq!(keys, [(-5, 2), (100, 1), (300, 1)]);
}

#[test]
fn version_one_tables_and_jobs_still_decode() {
    let text = include_str!("compat/v1.json");
    let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
    let bytes = |k: &str| serde_json::to_vec(&fixture[k]).unwrap();
    let v: GlobalVariable = catalog::model::decode("variable", &bytes("variable")).unwrap();
    assert_eq!((v.name.as_str(), v.value.as_str()), ("query_timeout", "600"));
    let l: LoadLabel = catalog::model::decode("label", &bytes("label")).unwrap();
    assert_eq!((l.label.as_str(), l.loaded_rows), ("l1", 3));
    let t: Table = catalog::model::decode("table", &bytes("table")).unwrap();
    assert_eq!(t.columns.len(), 5);
    assert_eq!(
        t.columns[2].ty,
        ColumnType::Decimal {
            precision: 10,
            scale: 2
        }
    );
    let range = t.partitions[0].range.as_ref().unwrap();
    assert_eq!(range.lower, PartitionKey(vec![KeyPart::Min]));
    assert_eq!(
        range.upper,
        PartitionKey(vec![KeyPart::Text("2020-02-01".into())])
    );
    assert_eq!(t.tablet_ids().collect::<Vec<_>>(), vec![10005, 10007]);
    // Fields added after v1 take their defaults.
    assert_eq!((t.partitions[0].row_count, t.partitions[0].data_size), (0, 0));
    let r: Repository = catalog::model::decode("repo", &bytes("repository")).unwrap();
    assert_eq!(
        (r.name.as_str(), r.location.as_str()),
        ("repo1", "file:///backups")
    );
    assert!(
        !format!("{r:?}").contains("s3cr3t"),
        "Debug must not show credentials"
    );
    let job: Job = catalog::model::decode("job", &bytes("backup_job")).unwrap();
    let Job::Backup(b) = &job else {
        panic!("backup_job decoded as {job:?}");
    };
    assert_eq!(
        (b.state, b.db_id, b.snapshots[0].tablet_id),
        (BackupState::Uploading, 10000, 10005)
    );
    assert_eq!(b.status.render(), "[OK]");
    // Jobs written before PAUSE existed were never paused.
    assert_eq!(b.pause, catalog::JobPause::default());
    let again: Job = catalog::model::decode("job", &catalog::model::encode(&job)).unwrap();
    assert_eq!(again, job);
    let job: Job = catalog::model::decode("job", &bytes("restore_job")).unwrap();
    let Job::Restore(r) = &job else {
        panic!("restore_job decoded as {job:?}");
    };
    assert_eq!(
        (r.state, r.db_id, r.objects[0].target()),
        (RestoreState::Download, 10030, "orders2")
    );
    let plan = r.plan.as_ref().unwrap();
    assert_eq!(
        (
            plan.tablets[0].tablet_id,
            plan.tables[0].partition_versions[0].version
        ),
        (10033, 3)
    );
    let again: Job = catalog::model::decode("job", &catalog::model::encode(&job)).unwrap();
    assert_eq!(again, job);
    // Current encoding of the same record decodes to the same value.
    let again: Table = catalog::model::decode("t", &catalog::model::encode(&t)).unwrap();
    assert_eq!(again, t);
}

#[test]
fn newer_format_versions_are_refused() {
    let err = catalog::model::decode::<Database>("db", br#"{"v":99,"id":1,"name":"x","created_ms":0}"#)
        .unwrap_err();
    assert!(matches!(err, CatalogError::UnsupportedVersion { found: 99, .. }));
}

#[test]
fn integer_range_keys_survive_the_versioned_encoding() {
    for v in [
        5i128,
        -7,
        i128::from(i64::MAX) + 1,
        -170141183460469231731687303715884105728,
    ] {
        let range = PartitionRange {
            lower: PartitionKey(vec![KeyPart::Min]),
            upper: PartitionKey(vec![KeyPart::Int(v)]),
        };
        let back: PartitionRange = catalog::model::decode("k", &catalog::model::encode(&range)).unwrap();
        assert_eq!(back, range);
    }
}

#[test]
fn partition_keys_order_by_type() {
    let ty = ColumnType::Int;
    assert_eq!(KeyPart::parse(&ty, "-2147483648").unwrap(), KeyPart::Min);
    assert!(KeyPart::parse(&ty, "5").unwrap() < KeyPart::parse(&ty, "40").unwrap());
    assert!(KeyPart::parse(&ty, "99999999999").is_err());
    let d = ColumnType::Date;
    assert_eq!(
        KeyPart::parse(&d, "2020-1-5").unwrap(),
        KeyPart::Text("2020-01-05".into())
    );
    assert!(KeyPart::parse(&d, "2020-13-01").is_err());
    assert!(KeyPart::Text("2020-01-05".into()) < KeyPart::Max);
}
