//! A repository: one named directory tree in a location (spec §8).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

use crate::info::JobInfo;
use crate::layout::{self, INFO_PREFIX, LEGACY_REPO_PREFIX, PART_SUFFIX, REPO_INFO, REPO_PREFIX};
use crate::meta::SnapshotMeta;
use crate::{RepoError, location};

/// An opened repository.
pub struct Repository {
    pub(crate) name: String,
    pub(crate) location: String,
    pub(crate) store: Arc<dyn ObjectStore>,
    /// `store` as a local file system, for `file://` locations.
    pub(crate) local: Option<Arc<LocalFileSystem>>,
    /// `<location>/<prefix><name>` inside the store.
    pub(crate) root: ObjPath,
    prefix: &'static str,
}

/// A job-info file found in a snapshot directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfoFile {
    /// The backup timestamp, when the name carries a valid checksum.
    pub timestamp: Option<String>,
    /// The stored file name.
    pub stored_name: String,
}

/// The top level of a snapshot directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFiles {
    /// Its job-info files, by stored name.
    pub infos: Vec<InfoFile>,
    /// True when a checksummed `__meta` is there.
    pub has_meta: bool,
}

/// A file in a repository directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Name as stored (with checksum suffix when it has one).
    pub stored_name: String,
    /// Name without the checksum.
    pub name: String,
    /// The checksum, when present.
    pub md5: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

#[derive(Serialize, Deserialize)]
struct RepoInfo {
    name: String,
    create_time: String,
}

impl Repository {
    /// Opens repository `name` at `location` (trailing `/` ignored). An existing
    /// Doris/Palo-style directory is used when present. No I/O beyond that probe.
    pub async fn open(
        name: &str,
        location: &str,
        props: &BTreeMap<String, String>,
    ) -> Result<Self, RepoError> {
        let location = location.trim_end_matches('/').to_string();
        let opened = location::open(&location, props)?;
        let legacy = child(&opened.base, &format!("{LEGACY_REPO_PREFIX}{name}/{REPO_INFO}"));
        let prefix = match opened.store.head(&legacy).await {
            Ok(_) => LEGACY_REPO_PREFIX,
            Err(object_store::Error::NotFound { .. }) => REPO_PREFIX,
            Err(e) => return Err(e.into()),
        };
        Ok(Self {
            root: child(&opened.base, &format!("{prefix}{name}")),
            name: name.to_string(),
            location,
            store: opened.store,
            local: opened.local,
            prefix,
        })
    }

    /// The repository name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The location as given (without trailing `/`).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The path of `rel` for messages: `<location>/<prefix><name>/<rel>`.
    pub fn display(&self, rel: &str) -> String {
        format!("{}/{}{}/{rel}", self.location, self.prefix, self.name)
    }

    pub(crate) fn path(&self, rel: &str) -> ObjPath {
        child(&self.root, rel)
    }

    /// Creates the repository, or adopts the one already at the location.
    /// Returns the create time it carries (`yyyy-MM-dd HH:mm:ss`).
    pub async fn init(&self, create_time: &str) -> Result<String, RepoError> {
        let listing = self.list_dir("").await?;
        if listing.dirs.iter().any(|d| d == REPO_INFO) {
            return Err(RepoError::RepoInfo("the existing repo info is not a file".into()));
        }
        let found: Vec<&RemoteFile> = listing
            .files
            .iter()
            .filter(|f| f.stored_name.starts_with(REPO_INFO))
            .collect();
        match found.as_slice() {
            [] => {
                let info = RepoInfo {
                    name: self.name.clone(),
                    create_time: create_time.to_string(),
                };
                let body = serde_json::to_vec(&info).unwrap_or_default();
                self.store
                    .put(&self.path(REPO_INFO), PutPayload::from(body))
                    .await?;
                Ok(create_time.to_string())
            }
            [one] => {
                let bytes = self
                    .store
                    .get(&self.path(&one.stored_name))
                    .await?
                    .bytes()
                    .await?;
                let info: RepoInfo = serde_json::from_slice(&bytes)
                    .map_err(|e| RepoError::RepoInfo(format!("invalid repo info: {e}")))?;
                chrono::NaiveDateTime::parse_from_str(&info.create_time, "%Y-%m-%d %H:%M:%S").map_err(
                    |_| {
                        RepoError::RepoInfo(format!(
                            "failed to parse create time of repository: {}",
                            info.create_time
                        ))
                    },
                )?;
                Ok(info.create_time)
            }
            many => Err(RepoError::RepoInfo(format!(
                "Invalid repository dir. expected one repo info file. get more: [{}]",
                many.iter()
                    .map(|f| f.stored_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Checks that the repository directory is reachable and initialised.
    pub async fn ping(&self) -> Result<(), RepoError> {
        self.store.head(&self.path(REPO_INFO)).await?;
        Ok(())
    }

    /// Labels of the snapshot directories, sorted.
    pub async fn list_snapshots(&self) -> Result<Vec<String>, RepoError> {
        let listing = self.list_dir("").await?;
        let mut labels: Vec<String> = listing
            .dirs
            .iter()
            .filter_map(|d| d.strip_prefix(layout::SNAPSHOT_PREFIX))
            .map(str::to_string)
            .collect();
        labels.sort();
        Ok(labels)
    }

    /// The job-info files of snapshot `label` (none while a backup is writing it).
    pub async fn list_info_files(&self, label: &str) -> Result<Vec<InfoFile>, RepoError> {
        Ok(self.snapshot_files(label).await?.infos)
    }

    /// What the directory of snapshot `label` holds at its top level.
    pub async fn snapshot_files(&self, label: &str) -> Result<SnapshotFiles, RepoError> {
        let listing = self.list_dir(&layout::snapshot_dir(label)).await?;
        let has_meta = listing
            .files
            .iter()
            .any(|f| f.name == layout::META_FILE && f.md5.is_some() && !f.stored_name.ends_with(PART_SUFFIX));
        let mut infos: Vec<InfoFile> = listing
            .files
            .into_iter()
            .filter(|f| f.stored_name.starts_with(INFO_PREFIX) && !f.stored_name.ends_with(PART_SUFFIX))
            .map(|f| InfoFile {
                timestamp: f
                    .md5
                    .as_ref()
                    .and_then(|_| f.name.strip_prefix(INFO_PREFIX))
                    .map(str::to_string),
                stored_name: f.stored_name,
            })
            .collect();
        infos.sort_by(|a, b| a.stored_name.cmp(&b.stored_name));
        Ok(SnapshotFiles { infos, has_meta })
    }

    /// Reads and checks the job-info of snapshot `label` taken at `timestamp`.
    pub async fn read_job_info(&self, label: &str, timestamp: &str) -> Result<JobInfo, RepoError> {
        let rel = format!("{}/{}", layout::snapshot_dir(label), layout::info_name(timestamp));
        JobInfo::from_json(&self.read_checksummed(&rel).await?)
    }

    /// Reads and checks the table definitions of snapshot `label`.
    pub async fn read_meta(&self, label: &str) -> Result<SnapshotMeta, RepoError> {
        let rel = format!("{}/{}", layout::snapshot_dir(label), layout::META_FILE);
        SnapshotMeta::decode(&self.read_checksummed(&rel).await?)
    }

    /// Writes the table definitions of snapshot `label`.
    pub async fn write_meta(&self, label: &str, meta: &SnapshotMeta) -> Result<(), RepoError> {
        let rel = format!("{}/{}", layout::snapshot_dir(label), layout::META_FILE);
        self.write_checksummed(&rel, meta.encode()).await
    }

    /// Writes the job-info of snapshot `label`; this completes the snapshot.
    pub async fn write_job_info(&self, info: &JobInfo, timestamp: &str) -> Result<(), RepoError> {
        let rel = format!(
            "{}/{}",
            layout::snapshot_dir(&info.name),
            layout::info_name(timestamp)
        );
        self.write_checksummed(&rel, info.to_json()).await
    }

    /// Reserves label `label` for a backup about to start: writes
    /// `__ss_<label>/__label` unless it exists, atomically where the store
    /// can (a local directory, S3 with conditional writes), so two jobs, on
    /// one cluster or on two sharing the repository, never write the same
    /// snapshot. Returns false when the label is already taken: a snapshot
    /// directory holds it, or another job reserved it first.
    pub async fn reserve_label(&self, label: &str, owner: &str) -> Result<bool, RepoError> {
        if self.list_snapshots().await?.iter().any(|l| l == label) {
            return Ok(false);
        }
        let path = self.path(&format!("{}/{}", layout::snapshot_dir(label), layout::LABEL_FILE));
        let body = PutPayload::from(owner.as_bytes().to_vec());
        let create = object_store::PutOptions {
            mode: object_store::PutMode::Create,
            ..Default::default()
        };
        match self.store.put_opts(&path, body.clone(), create).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                Ok(false)
            }
            // A store without conditional writes: the check above is all there is.
            Err(object_store::Error::NotImplemented { .. }) => {
                self.store.put(&path, body).await?;
                Ok(true)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Gives back the reservation of `label` ([`Repository::reserve_label`]).
    /// A snapshot directory that held nothing else is gone with it, so the
    /// label can be used again; one holding uploaded files stays (spec §6.3).
    pub async fn release_label(&self, label: &str) -> Result<(), RepoError> {
        let path = self.path(&format!("{}/{}", layout::snapshot_dir(label), layout::LABEL_FILE));
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes snapshot `label` and everything under it.
    pub async fn delete_snapshot(&self, label: &str) -> Result<(), RepoError> {
        let dir = self.path(&layout::snapshot_dir(label));
        let paths = self.store.list(Some(&dir)).map_ok(|m| m.location).boxed();
        self.store.delete_stream(paths).try_collect::<Vec<_>>().await?;
        Ok(())
    }

    /// Reads the single file `<rel>.<md5>` and verifies its checksum (spec §8.2).
    pub async fn read_checksummed(&self, rel: &str) -> Result<Bytes, RepoError> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let listing = self.list_dir(dir).await?;
        if listing.dirs.iter().any(|d| d == name) {
            return Err(RepoError::Storage(format!(
                "Expected file with path: {}. but get dir",
                self.display(rel)
            )));
        }
        let found: Vec<&RemoteFile> = listing
            .files
            .iter()
            .filter(|f| f.name == name || (f.md5.is_none() && f.stored_name.starts_with(name)))
            .collect();
        let [file] = found.as_slice() else {
            return Err(RepoError::NotOneFile {
                path: self.display(rel),
                found: found.len(),
            });
        };
        let Some(md5) = &file.md5 else {
            return Err(RepoError::NoChecksum(self.display(&join(dir, &file.stored_name))));
        };
        let bytes = self
            .store
            .get(&self.path(&join(dir, &file.stored_name)))
            .await?
            .bytes()
            .await?;
        let local = crate::transfer::md5_hex(&bytes);
        if &local != md5 {
            return Err(RepoError::BadChecksum {
                local,
                remote: md5.clone(),
                path: self.display(&join(dir, &file.stored_name)),
            });
        }
        Ok(bytes)
    }

    /// Writes `<rel>.<md5>`: stale copies and a leftover `.part` are removed,
    /// the bytes go to `<rel>.part`, which is then renamed (spec §8.2).
    pub async fn write_checksummed(&self, rel: &str, bytes: Vec<u8>) -> Result<(), RepoError> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        for stale in self.list_dir(dir).await?.files {
            if stale.name == name || stale.stored_name == format!("{name}{PART_SUFFIX}") {
                self.store
                    .delete(&self.path(&join(dir, &stale.stored_name)))
                    .await?;
            }
        }
        let md5 = crate::transfer::md5_hex(&bytes);
        let part = self.path(&format!("{rel}{PART_SUFFIX}"));
        let written = match self.store.put(&part, PutPayload::from(bytes)).await {
            Ok(_) => {
                self.store
                    .rename(&part, &self.path(&layout::with_checksum(rel, &md5)))
                    .await
            }
            Err(e) => Err(e),
        };
        if written.is_err() {
            // A refused write (a full disk) leaves no `.part` behind.
            let _ = self.store.delete(&part).await;
        }
        written?;
        Ok(())
    }

    /// Files and sub-directories directly under `rel` (empty when it does not exist).
    pub async fn list_dir(&self, rel: &str) -> Result<Listing, RepoError> {
        let prefix = self.path(rel);
        let result = match self.store.list_with_delimiter(Some(&prefix)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(Listing::default()),
            Err(e) => return Err(e.into()),
        };
        let dirs = result
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        let files = result
            .objects
            .into_iter()
            .filter_map(|o| {
                let stored_name = o.location.filename()?.to_string();
                let (name, md5) = match layout::split_checksum(&stored_name) {
                    Some((n, m)) => (n.to_string(), Some(m.to_string())),
                    None => (stored_name.clone(), None),
                };
                Some(RemoteFile {
                    stored_name,
                    name,
                    md5,
                    size: o.size,
                })
            })
            .collect();
        Ok(Listing { dirs, files })
    }
}

/// What a directory holds.
#[derive(Debug, Default)]
pub struct Listing {
    /// Sub-directory names.
    pub dirs: Vec<String>,
    /// Files.
    pub files: Vec<RemoteFile>,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn child(base: &ObjPath, rel: &str) -> ObjPath {
    rel.split('/')
        .filter(|s| !s.is_empty())
        .fold(base.clone(), |p, s| p.join(s))
}
