//! The catalog facade: in-memory state plus its durable copy.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use parking_lot::{Mutex, RwLock, RwLockReadGuard};

use crate::error::CatalogError;
use crate::keys::{
    self, CF_BACKENDS, CF_DATABASES, CF_JOB_HISTORY, CF_JOBS, CF_LABELS, CF_META, CF_REPOSITORIES, CF_ROLES,
    CF_TABLES, CF_USERS, CF_VARIABLES,
};
use crate::model::{
    self, Backend, Database, GlobalVariable, Job, JobRecord, LoadLabel, Repository, Role, Table, User,
};
use crate::store::{Store, Write};

/// The whole catalog in memory. Read through [`Catalog::read`].
#[derive(Debug, Default, Clone)]
pub struct State {
    databases: BTreeMap<u64, Database>,
    db_by_name: HashMap<String, u64>,
    tables: BTreeMap<u64, Table>,
    table_by_name: HashMap<(u64, String), u64>,
    backends: BTreeMap<u64, Backend>,
    users: BTreeMap<(String, String), User>,
    roles: BTreeMap<String, Role>,
    labels: HashMap<(u64, String), LoadLabel>,
    variables: BTreeMap<String, String>,
    repositories: BTreeMap<u64, Repository>,
    jobs: BTreeMap<u64, Job>,
    history: BTreeMap<(i64, u64), JobRecord>,
    next_id: u64,
    cluster_id: u64,
}

impl State {
    /// Every database, by id.
    pub fn databases(&self) -> impl Iterator<Item = &Database> {
        self.databases.values()
    }

    /// A database by name.
    pub fn database(&self, name: &str) -> Option<&Database> {
        self.db_by_name.get(name).and_then(|id| self.databases.get(id))
    }

    /// A database by id.
    pub fn database_by_id(&self, id: u64) -> Option<&Database> {
        self.databases.get(&id)
    }

    /// The tables of a database, by id.
    pub fn tables(&self, db_id: u64) -> impl Iterator<Item = &Table> {
        self.tables.values().filter(move |t| t.db_id == db_id)
    }

    /// A table by database id and name.
    pub fn table(&self, db_id: u64, name: &str) -> Option<&Table> {
        self.table_by_name
            .get(&(db_id, name.to_string()))
            .and_then(|id| self.tables.get(id))
    }

    /// A table by id.
    pub fn table_by_id(&self, id: u64) -> Option<&Table> {
        self.tables.get(&id)
    }

    /// Every backend, by id.
    pub fn backends(&self) -> impl Iterator<Item = &Backend> {
        self.backends.values()
    }

    /// Every user.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// A user by name and host pattern.
    pub fn user(&self, name: &str, host: &str) -> Option<&User> {
        self.users.get(&(name.to_string(), host.to_string()))
    }

    /// Every role, by name.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// A role by name.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// A load label of a database.
    pub fn label(&self, db_id: u64, label: &str) -> Option<&LoadLabel> {
        self.labels.get(&(db_id, label.to_string()))
    }

    /// Global variables set with `SET GLOBAL`, by name.
    pub fn global_variables(&self) -> &BTreeMap<String, String> {
        &self.variables
    }

    /// Every repository, by id.
    pub fn repositories(&self) -> impl Iterator<Item = &Repository> {
        self.repositories.values()
    }

    /// A repository by name.
    pub fn repository(&self, name: &str) -> Option<&Repository> {
        self.repositories.values().find(|r| r.name == name)
    }

    /// Each database's last BACKUP/RESTORE job, by database id.
    pub fn jobs(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }

    /// The last BACKUP/RESTORE job of a database.
    pub fn job(&self, db_id: u64) -> Option<&Job> {
        self.jobs.get(&db_id)
    }

    /// Ended jobs, oldest first (SHOW JOBS).
    pub fn job_history(&self) -> impl Iterator<Item = &JobRecord> {
        self.history.values()
    }

    /// The id chosen when this catalog was first created.
    pub fn cluster_id(&self) -> u64 {
        self.cluster_id
    }

    fn apply(&mut self, change: Change) {
        match change {
            Change::PutDatabase(db) => {
                if let Some(old) = self.databases.get(&db.id) {
                    self.db_by_name.remove(&old.name);
                }
                self.db_by_name.insert(db.name.clone(), db.id);
                self.databases.insert(db.id, db);
            }
            Change::DeleteDatabase(id) => {
                if let Some(old) = self.databases.remove(&id) {
                    self.db_by_name.remove(&old.name);
                }
            }
            Change::PutTable(table) => {
                if let Some(old) = self.tables.get(&table.id) {
                    self.table_by_name.remove(&(old.db_id, old.name.clone()));
                }
                self.table_by_name
                    .insert((table.db_id, table.name.clone()), table.id);
                self.tables.insert(table.id, *table);
            }
            Change::DeleteTable(id) => {
                if let Some(old) = self.tables.remove(&id) {
                    self.table_by_name.remove(&(old.db_id, old.name));
                }
            }
            Change::PutBackend(be) => {
                self.backends.insert(be.id, be);
            }
            Change::DeleteBackend(id) => {
                self.backends.remove(&id);
            }
            Change::PutUser(user) => {
                self.users.insert((user.name.clone(), user.host.clone()), user);
            }
            Change::DeleteUser { name, host } => {
                self.users.remove(&(name, host));
            }
            Change::PutRole(role) => {
                self.roles.insert(role.name.clone(), role);
            }
            Change::DeleteRole(name) => {
                self.roles.remove(&name);
            }
            Change::PutLabel(l) => {
                self.labels.insert((l.db_id, l.label.clone()), l);
            }
            Change::PutGlobalVariable(v) => {
                self.variables.insert(v.name, v.value);
            }
            Change::PutRepository(r) => {
                self.repositories.insert(r.id, r);
            }
            Change::DeleteRepository(id) => {
                self.repositories.remove(&id);
            }
            Change::PutJob(job) => {
                self.jobs.insert(job.db_id(), *job);
            }
            Change::PutJobRecord(record) => {
                self.history.insert(record.key(), *record);
            }
            Change::DeleteJobRecord(key) => {
                self.history.remove(&key);
            }
        }
    }
}

/// One change to the catalog, recorded by a [`Txn`].
#[derive(Debug, Clone)]
pub enum Change {
    /// Create or replace a database.
    PutDatabase(Database),
    /// Remove a database record (its tables are removed by their own changes).
    DeleteDatabase(u64),
    /// Create or replace a table.
    PutTable(Box<Table>),
    /// Remove a table.
    DeleteTable(u64),
    /// Create or replace a backend.
    PutBackend(Backend),
    /// Remove a backend.
    DeleteBackend(u64),
    /// Create or replace a user.
    PutUser(User),
    /// Record a finished load's label.
    PutLabel(LoadLabel),
    /// Set a global variable.
    PutGlobalVariable(GlobalVariable),
    /// Create or replace a repository.
    PutRepository(Repository),
    /// Remove a repository (its remote data stays).
    DeleteRepository(u64),
    /// Record a database's last job (replacing the previous one).
    PutJob(Box<Job>),
    /// Record an ended job in the history.
    PutJobRecord(Box<JobRecord>),
    /// Forget an ended job (its history key).
    DeleteJobRecord((i64, u64)),
    /// Create or replace a role.
    PutRole(Role),
    /// Remove a role.
    DeleteRole(String),
    /// Remove a user.
    DeleteUser {
        /// User name.
        name: String,
        /// Host pattern.
        host: String,
    },
}

impl Change {
    fn to_write(&self) -> Write {
        match self {
            Change::PutDatabase(db) => put(CF_DATABASES, keys::id_key(db.id).to_vec(), db),
            Change::DeleteDatabase(id) => del(CF_DATABASES, keys::id_key(*id).to_vec()),
            Change::PutTable(t) => put(CF_TABLES, keys::id_key(t.id).to_vec(), t.as_ref()),
            Change::DeleteTable(id) => del(CF_TABLES, keys::id_key(*id).to_vec()),
            Change::PutBackend(be) => put(CF_BACKENDS, keys::id_key(be.id).to_vec(), be),
            Change::DeleteBackend(id) => del(CF_BACKENDS, keys::id_key(*id).to_vec()),
            Change::PutUser(u) => put(CF_USERS, keys::user_key(&u.name, &u.host), u),
            Change::DeleteUser { name, host } => del(CF_USERS, keys::user_key(name, host)),
            Change::PutRole(r) => put(CF_ROLES, r.name.as_bytes().to_vec(), r),
            Change::DeleteRole(name) => del(CF_ROLES, name.as_bytes().to_vec()),
            Change::PutLabel(l) => put(CF_LABELS, keys::label_key(l.db_id, &l.label), l),
            Change::PutGlobalVariable(v) => put(CF_VARIABLES, v.name.as_bytes().to_vec(), v),
            Change::PutRepository(r) => put(CF_REPOSITORIES, keys::id_key(r.id).to_vec(), r),
            Change::DeleteRepository(id) => del(CF_REPOSITORIES, keys::id_key(*id).to_vec()),
            Change::PutJob(j) => put(CF_JOBS, keys::id_key(j.db_id()).to_vec(), j.as_ref()),
            Change::PutJobRecord(r) => put(CF_JOB_HISTORY, keys::history_key(r.key()), r.as_ref()),
            Change::DeleteJobRecord(key) => del(CF_JOB_HISTORY, keys::history_key(*key)),
        }
    }
}

fn put<T: serde::Serialize>(cf: &'static str, key: Vec<u8>, value: &T) -> Write {
    Write::Put {
        cf,
        key,
        value: model::encode(value),
    }
}

fn del(cf: &'static str, key: Vec<u8>) -> Write {
    Write::Delete { cf, key }
}

/// A change being prepared: reads see the state before the transaction.
pub struct Txn<'a> {
    state: &'a State,
    next_id: u64,
    changes: Vec<Change>,
}

impl Txn<'_> {
    /// The state as it was when the transaction began.
    pub fn state(&self) -> &State {
        self.state
    }

    /// Allocates a fresh object id; persisted with the transaction's batch.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Allocates `n` consecutive ids and returns the first.
    pub fn reserve_ids(&mut self, n: u64) -> u64 {
        let first = self.next_id;
        self.next_id += n;
        first
    }

    /// Records a change.
    pub fn push(&mut self, change: Change) {
        self.changes.push(change);
    }
}

/// In-memory catalog backed by RocksDB.
pub struct Catalog {
    store: Store,
    state: RwLock<State>,
    /// Serialises writers so that each transaction sees the previous one.
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("cluster_id", &self.read().cluster_id)
            .finish_non_exhaustive()
    }
}

/// First id handed out in a new catalog; small ids stay free for fixed objects.
const FIRST_ID: u64 = 10_000;

impl Catalog {
    /// Opens the catalog at `path`, creating an empty one if none exists.
    pub fn open(path: &Path) -> Result<Self, CatalogError> {
        let store = Store::open(path)?;
        let mut state = State::default();
        for (key, value) in store.scan(CF_DATABASES)? {
            let db: Database = model::decode(&keys::describe(CF_DATABASES, &key), &value)?;
            state.apply(Change::PutDatabase(db));
        }
        for (key, value) in store.scan(CF_TABLES)? {
            let t: Table = model::decode(&keys::describe(CF_TABLES, &key), &value)?;
            state.apply(Change::PutTable(Box::new(t)));
        }
        for (key, value) in store.scan(CF_BACKENDS)? {
            let be: Backend = model::decode(&keys::describe(CF_BACKENDS, &key), &value)?;
            state.apply(Change::PutBackend(be));
        }
        for (key, value) in store.scan(CF_USERS)? {
            let u: User = model::decode(&keys::describe(CF_USERS, &key), &value)?;
            state.apply(Change::PutUser(u));
        }
        for (key, value) in store.scan(CF_ROLES)? {
            let r: Role = model::decode(&keys::describe(CF_ROLES, &key), &value)?;
            state.apply(Change::PutRole(r));
        }
        for (key, value) in store.scan(CF_LABELS)? {
            let l: LoadLabel = model::decode(&keys::describe(CF_LABELS, &key), &value)?;
            state.apply(Change::PutLabel(l));
        }
        for (key, value) in store.scan(CF_VARIABLES)? {
            let v: GlobalVariable = model::decode(&keys::describe(CF_VARIABLES, &key), &value)?;
            state.apply(Change::PutGlobalVariable(v));
        }
        for (key, value) in store.scan(CF_REPOSITORIES)? {
            let r: Repository = model::decode(&keys::describe(CF_REPOSITORIES, &key), &value)?;
            state.apply(Change::PutRepository(r));
        }
        for (key, value) in store.scan(CF_JOBS)? {
            let j: Job = model::decode(&keys::describe(CF_JOBS, &key), &value)?;
            state.apply(Change::PutJob(Box::new(j)));
        }
        for (key, value) in store.scan(CF_JOB_HISTORY)? {
            let r: JobRecord = model::decode(&keys::describe(CF_JOB_HISTORY, &key), &value)?;
            state.apply(Change::PutJobRecord(Box::new(r)));
        }
        state.next_id = read_u64(&store, keys::META_NEXT_ID)?.unwrap_or(FIRST_ID);
        state.cluster_id = match read_u64(&store, keys::META_CLUSTER_ID)? {
            Some(id) => id,
            None => {
                let id = new_cluster_id();
                store.write(vec![Write::Put {
                    cf: CF_META,
                    key: keys::META_CLUSTER_ID.to_vec(),
                    value: id.to_string().into_bytes(),
                }])?;
                id
            }
        };
        Ok(Self {
            store,
            state: RwLock::new(state),
            write_lock: Mutex::new(()),
        })
    }

    /// A consistent read view. Do not hold it across `.await` or while calling `update`.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read()
    }

    /// Runs `f` to prepare changes, then persists them in one atomic synced batch
    /// and applies them in memory. If `f` fails nothing is written.
    pub fn update<T, E>(&self, f: impl FnOnce(&mut Txn<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<CatalogError>,
    {
        let _writer = self.write_lock.lock();
        let (out, changes, next_id) = {
            let state = self.state.read();
            let mut txn = Txn {
                state: &state,
                next_id: state.next_id,
                changes: Vec::new(),
            };
            let out = f(&mut txn)?;
            (out, txn.changes, txn.next_id)
        };
        if changes.is_empty() && next_id == self.state.read().next_id {
            return Ok(out);
        }
        let mut writes: Vec<Write> = changes.iter().map(Change::to_write).collect();
        writes.push(Write::Put {
            cf: CF_META,
            key: keys::META_NEXT_ID.to_vec(),
            value: next_id.to_string().into_bytes(),
        });
        self.store.write(writes)?;
        let mut state = self.state.write();
        state.next_id = next_id;
        for change in changes {
            state.apply(change);
        }
        Ok(out)
    }
}

fn read_u64(store: &Store, key: &[u8]) -> Result<Option<u64>, CatalogError> {
    let Some(bytes) = store.get(CF_META, key)? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&bytes);
    text.parse().map(Some).map_err(|_| CatalogError::Corrupt {
        key: keys::describe(CF_META, key),
        reason: format!("not a number: {text}"),
    })
}

fn new_cluster_id() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // Positive 31-bit id, as StarRocks' cluster ids are Java ints.
    ((nanos ^ (u128::from(std::process::id()) << 20)) % 2_147_483_647) as u64 + 1
}
