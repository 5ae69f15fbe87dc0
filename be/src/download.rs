//! DOWNLOAD for RESTORE: the backed-up snapshot of each tablet, from a
//! repository into that tablet's staging directory ([`crate::restore`]),
//! md5-verified. Tablets run on the download worker pool of [`Transfers`];
//! a file an earlier attempt already staged intact is not fetched again, and
//! the repository is not listed: each file is fetched by its stored name.
//! Each staged file's writeback starts as soon as it is written; the task
//! syncs them all once, when every tablet is staged.

use std::path::Path;
use std::sync::Arc;

use repository::layout::split_checksum;
use repository::transfer::md5_of_file;
use repository::{RateLimiter, Repository};
use rpc::pb;
use tokio::sync::mpsc;
use tonic::Status;

use crate::restore::is_plain_name;
use crate::storage::TabletStore;
use crate::transfer::{DOWNLOADED_BYTES, Meter, Transfers, durable_at_end, run_tablets};
use crate::{BeError, batch};

/// Runs a DOWNLOAD task. Progress messages go to the returned receiver as
/// tablets finish; the first failure ends it; dropping the receiver aborts it.
pub fn download(
    store: Arc<TabletStore>,
    transfers: &Transfers,
    req: pb::DownloadRequest,
) -> mpsc::Receiver<Result<pb::DownloadProgress, Status>> {
    let limit = Arc::clone(&transfers.download.limit);
    let job_id = req.job_id;
    let root = store.root().to_path_buf();
    let wanted: Vec<(String, Vec<String>)> = req
        .tablets
        .iter()
        .map(|t| (t.remote_dir.clone(), t.stored_names.clone()))
        .collect();
    let progress = run_tablets(
        req.repository,
        Arc::clone(&transfers.download.slots),
        Meter::new(&DOWNLOADED_BYTES),
        req.tablets,
        |repo| async move { remote_bytes(&repo, wanted).await },
        move |repo, tablet, meter| {
            let (store, limit) = (Arc::clone(&store), Arc::clone(&limit));
            async move { download_tablet(&store, &repo, job_id, &tablet, Some(&limit), &meter).await }
        },
    );
    durable_at_end(root, progress)
}

/// Listings of the repository directories a task reads at once.
const SIZING_LISTS: usize = 16;

/// The bytes of the files `wanted` names (directory, stored names), from one
/// listing per directory; files the listing lacks count nothing (their
/// download will fail with the error that says so).
async fn remote_bytes(repo: &Repository, wanted: Vec<(String, Vec<String>)>) -> Result<u64, BeError> {
    use futures::StreamExt;
    let mut listings = futures::stream::iter(wanted)
        .map(|(dir, names)| async move {
            let files = repo.list_dir(&dir).await?.files;
            Ok::<u64, BeError>(
                files
                    .iter()
                    .filter(|f| names.contains(&f.stored_name))
                    .map(|f| f.size)
                    .sum(),
            )
        })
        .buffer_unordered(SIZING_LISTS);
    let mut total = 0;
    while let Some(bytes) = listings.next().await {
        total += bytes?;
    }
    Ok(total)
}

/// Stages every file of one tablet, counting its bytes on `meter`. Returns the tablet id.
async fn download_tablet(
    store: &TabletStore,
    repo: &Repository,
    job_id: u64,
    tablet: &pb::DownloadTablet,
    limit: Option<&RateLimiter>,
    meter: &Arc<Meter>,
) -> Result<u64, BeError> {
    let tablet_id = tablet.tablet_id;
    let plain =
        |stored: &str| is_plain_name(stored) && split_checksum(stored).is_none_or(|(n, _)| is_plain_name(n));
    if let Some(bad) = tablet.stored_names.iter().find(|s| !plain(s)) {
        return Err(BeError::InvalidFileName {
            tablet_id,
            name: bad.clone(),
        });
    }
    let dir = store.staging_dir(job_id, tablet_id);
    tokio::fs::create_dir_all(&dir).await?;
    for stored in &tablet.stored_names {
        // A stored name without a checksum cannot be verified; the download says so.
        let checked = split_checksum(stored);
        if let Some((name, md5)) = checked
            && let Some(size) = already_staged(&dir.join(name), md5).await?
        {
            meter.skipped(size);
            continue;
        }
        repo.download_file(&tablet.remote_dir, stored, &dir, limit, Some(&meter.counter()))
            .await
            .map_err(|source| BeError::TabletFile { tablet_id, source })?;
        if let Some((name, _)) = checked {
            let staged = dir.join(name);
            tokio::task::spawn_blocking(move || batch::start_writeback(&staged))
                .await
                .map_err(|e| BeError::Transport(format!("task failed: {e}")))?;
        }
    }
    Ok(tablet_id)
}

/// The size of `local` when an earlier attempt left it staged intact: its
/// content hashes to `md5`, the checksum in the file's stored name.
async fn already_staged(local: &Path, md5: &str) -> Result<Option<u64>, BeError> {
    match tokio::fs::metadata(local).await {
        Ok(meta) if meta.is_file() => Ok(md5_of_file(local)
            .await?
            .eq_ignore_ascii_case(md5)
            .then_some(meta.len())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const JOB: u64 = 42;
    const REMOTE: &str = "__ss_s1/__ss_content/__db_1/__tbl_2/__part_3/__idx_4/__500";

    struct Fixture {
        repo_dir: tempfile::TempDir,
        _store_dir: tempfile::TempDir,
        store: Arc<TabletStore>,
        transfers: Transfers,
        /// Stored names of the backed-up tablet.
        stored: Vec<String>,
    }

    /// A `file://` repository holding one backed-up tablet: a rowset and its meta.
    async fn fixture() -> Fixture {
        let repo_dir = tempfile::tempdir().expect("tmp");
        let store_dir = tempfile::tempdir().expect("tmp");
        let local = tempfile::tempdir().expect("tmp");
        let repo = open(repo_dir.path()).await;
        let mut stored = Vec::new();
        for (name, body) in [("v2_20_0.parquet", "rows of v2"), ("meta.json", "{}")] {
            std::fs::write(local.path().join(name), body).expect("write");
            let up = repo
                .upload_file(&local.path().join(name), REMOTE, name, None, None, None)
                .await
                .expect("seed");
            stored.push(up.stored_name);
        }
        let store = Arc::new(TabletStore::open(store_dir.path().to_path_buf()).expect("open"));
        Fixture {
            repo_dir,
            _store_dir: store_dir,
            store,
            transfers: Transfers::new(&conf::BeConfig::default()),
            stored,
        }
    }

    async fn open(dir: &Path) -> Repository {
        let location = format!("file://{}", dir.display());
        Repository::open("r", &location, &BTreeMap::new())
            .await
            .expect("open")
    }

    impl Fixture {
        fn request(&self, tablet_ids: &[u64], stored: &[String]) -> pb::DownloadRequest {
            pb::DownloadRequest {
                job_id: JOB,
                repository: Some(pb::RepositorySpec {
                    name: "r".into(),
                    location: format!("file://{}", self.repo_dir.path().display()),
                    properties: Default::default(),
                }),
                tablets: tablet_ids
                    .iter()
                    .map(|&tablet_id| pb::DownloadTablet {
                        tablet_id,
                        remote_dir: REMOTE.into(),
                        stored_names: stored.to_vec(),
                    })
                    .collect(),
            }
        }

        /// Runs a download to its end: the messages, then the error if it failed.
        async fn run(&self, req: pb::DownloadRequest) -> (Vec<pb::DownloadProgress>, Option<Status>) {
            let mut rx = download(Arc::clone(&self.store), &self.transfers, req);
            let mut messages = Vec::new();
            while let Some(message) = rx.recv().await {
                match message {
                    Ok(m) => messages.push(m),
                    Err(e) => return (messages, Some(e)),
                }
            }
            (messages, None)
        }

        fn remote_file(&self, stored: &str) -> std::path::PathBuf {
            self.repo_dir
                .path()
                .join("__starrocks_repository_r")
                .join(REMOTE)
                .join(stored)
        }
    }

    #[tokio::test]
    async fn download_stages_every_tablet_and_reports_progress() {
        let f = fixture().await;
        let (messages, failure) = f.run(f.request(&[7, 8], &f.stored)).await;
        assert!(failure.is_none(), "{failure:?}");
        let file_bytes = ("rows of v2".len() + "{}".len()) as u64;
        let last = messages.last().expect("progress");
        assert_eq!(
            (last.finished_num, last.total_num, last.bytes, last.bytes_total),
            (2, 2, 2 * file_bytes, 2 * file_bytes)
        );
        let mut done: Vec<u64> = messages.iter().flat_map(|m| m.done.clone()).collect();
        done.sort();
        assert_eq!(done, [7, 8]);
        for tablet in [7, 8] {
            let staging = f.store.staging_dir(JOB, tablet);
            assert_eq!(
                std::fs::read(staging.join("v2_20_0.parquet")).expect("staged"),
                b"rows of v2"
            );
            assert_eq!(std::fs::read(staging.join("meta.json")).expect("staged"), b"{}");
        }
        let (messages, failure) = f.run(f.request(&[], &f.stored)).await;
        assert!(failure.is_none());
        assert_eq!(messages, [pb::DownloadProgress::default()]);
    }

    #[tokio::test]
    async fn download_skips_files_already_staged_intact() {
        let f = fixture().await;
        let (_, failure) = f.run(f.request(&[7], &f.stored)).await;
        assert!(failure.is_none(), "{failure:?}");
        let (messages, _) = f.run(f.request(&[7], &f.stored)).await;
        let file_bytes = ("rows of v2".len() + "{}".len()) as u64;
        let last = messages.last().expect("progress");
        assert_eq!(
            (last.bytes, last.bytes_skipped, last.bytes_total),
            (0, file_bytes, file_bytes)
        );
        // A staged file of the right size but the wrong content is fetched again.
        let staged = f.store.staging_dir(JOB, 7).join("v2_20_0.parquet");
        std::fs::write(&staged, "rows of v9").expect("tamper");
        let (messages, _) = f.run(f.request(&[7], &f.stored)).await;
        assert_eq!(
            messages.last().expect("progress").bytes,
            "rows of v2".len() as u64
        );
        assert_eq!(std::fs::read(&staged).expect("staged"), b"rows of v2");
    }

    #[tokio::test]
    async fn corrupt_repository_file_is_data_loss() {
        let f = fixture().await;
        std::fs::write(f.remote_file(&f.stored[0]), "bit rot!!!").expect("tamper");
        let repo = open(f.repo_dir.path()).await;
        let tablet = &f.request(&[7], &f.stored).tablets[0];
        let meter = Meter::new(&DOWNLOADED_BYTES);
        let err = download_tablet(&f.store, &repo, JOB, tablet, None, &meter)
            .await
            .expect_err("corrupt");
        assert!(
            matches!(&err, BeError::TabletFile { tablet_id: 7, source } if source.is_bad_file()),
            "{err}"
        );
        assert!(!f.store.staging_dir(JOB, 7).join("v2_20_0.parquet").exists());
        let (_, failure) = f.run(f.request(&[7, 8], &f.stored)).await;
        let failure = failure.expect("fails");
        assert_eq!(failure.code(), tonic::Code::DataLoss, "{failure:?}");
        assert!(failure.message().contains("md5sum does not equal"), "{failure:?}");
        // The message names the tablet (both read the damaged file) and the file.
        assert!(
            ["tablet 7: ", "tablet 8: "]
                .iter()
                .any(|t| failure.message().contains(t)),
            "{failure:?}"
        );
        assert!(
            failure.message().contains(&format!("{REMOTE}/{}", f.stored[0])),
            "{failure:?}"
        );
    }

    #[tokio::test]
    async fn missing_repository_file_is_not_found() {
        let f = fixture().await;
        std::fs::remove_file(f.remote_file(&f.stored[0])).expect("rm");
        let (_, failure) = f.run(f.request(&[7], &f.stored)).await;
        let failure = failure.expect("fails");
        assert_eq!(failure.code(), tonic::Code::NotFound, "{failure:?}");
        assert!(
            failure.message().contains(&format!("{REMOTE}/{}", f.stored[0])),
            "{failure:?}"
        );
    }

    #[tokio::test]
    async fn stored_names_must_be_plain_file_names() {
        let f = fixture().await;
        let md5 = "0123456789abcdef0123456789abcdef";
        for bad in [
            format!("../x.{md5}"),
            format!("a/b.{md5}"),
            format!("...{md5}"),
            format!(".{md5}"),
        ] {
            let (_, failure) = f.run(f.request(&[7], std::slice::from_ref(&bad))).await;
            let failure = failure.expect("refused");
            assert_eq!(failure.code(), tonic::Code::InvalidArgument, "{bad}: {failure:?}");
        }
        assert!(!f.store.restore_root().exists());
    }
}
