//! Moving tablet files between a BE's disk and a repository, hashing while
//! the bytes stream. Reading and hashing run on a blocking thread; the async
//! side only moves chunks, so several transfers proceed in parallel.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use object_store::{GetResultPayload, ObjectStoreExt, PutPayload};
use tokio::sync::mpsc;

use crate::hasher;
use crate::layout::{self, PART_SUFFIX};
use crate::{RateLimiter, RepoError, Repository};

/// Size of one streamed chunk (also the S3 multipart part size).
pub const CHUNK: usize = 8 << 20;

/// Buffer of a local file-to-file copy.
const COPY_BUFFER: usize = 256 << 10;

/// Lowercase hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 of a local file.
pub async fn md5_of_file(path: &Path) -> Result<String, RepoError> {
    let path = path.to_path_buf();
    blocking(move || {
        let mut file = std::fs::File::open(&path)?;
        let mut md5 = hasher::Md5::new();
        let mut buf = vec![0u8; COPY_BUFFER];
        loop {
            let n = read_some(&mut file, &mut buf)?;
            if n == 0 {
                return Ok(md5.finish());
            }
            buf = md5.update(buf, n);
        }
    })
    .await
}

/// A file now in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// Name as stored, `<name>.<md5>`.
    pub stored_name: String,
    /// Bytes of the file.
    pub size: u64,
    /// False when an identical copy was already there.
    pub transferred: bool,
    /// Where the file now is on this machine, for a `file://` repository
    /// (written but not yet synced).
    pub local_path: Option<PathBuf>,
}

impl Repository {
    /// Uploads `local` as `<rel_dir>/<name>.<md5>`. `existing` is what the
    /// directory already holds under `name`: when its checksum matches, nothing
    /// is sent. `counter` is told the bytes sent as they go. A `file://` repository gets a direct copy into `<name>.part`,
    /// hashed on the way and renamed; on S3, large files stream to
    /// `<name>.part`, which is renamed once the checksum is known.
    pub async fn upload_file(
        &self,
        local: &Path,
        rel_dir: &str,
        name: &str,
        existing: Option<&crate::RemoteFile>,
        limiter: Option<&RateLimiter>,
        counter: Option<&ByteCounter>,
    ) -> Result<Uploaded, RepoError> {
        let size = tokio::fs::metadata(local).await?.len();
        if let Some(md5) = existing.and_then(|e| e.md5.as_ref())
            && *md5 == md5_of_file(local).await?
        {
            return Ok(Uploaded {
                stored_name: layout::with_checksum(name, md5),
                size,
                transferred: false,
                local_path: None,
            });
        }
        let mut local_path = None;
        let md5 = if let Some(fs) = &self.local {
            if let Some(l) = limiter {
                l.acquire(size).await;
            }
            let part = fs.path_to_filesystem(&self.path(&format!("{rel_dir}/{name}{PART_SUFFIX}")))?;
            let (source, name) = (local.to_path_buf(), name.to_string());
            let counter = counter.cloned();
            let (md5, target) = blocking(move || {
                if let Some(dir) = part.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                // A failed copy (a full disk) leaves no `.part` behind.
                let copied = std::fs::File::open(source)
                    .map_err(RepoError::from)
                    .and_then(|file| copy_hashing(file, &part, counter.as_ref()));
                let (_, md5) = copied.inspect_err(|_| {
                    let _ = std::fs::remove_file(&part);
                })?;
                let target = part.with_file_name(layout::with_checksum(&name, &md5));
                std::fs::rename(&part, &target)?;
                Ok((md5, target))
            })
            .await?;
            local_path = Some(target);
            md5
        } else if size as usize <= CHUNK {
            let path = local.to_path_buf();
            let (bytes, md5) = blocking(move || {
                let bytes = std::fs::read(path)?;
                let mut md5 = hasher::Md5::new();
                let len = bytes.len();
                let bytes = md5.update(bytes, len);
                Ok((bytes, md5.finish()))
            })
            .await?;
            if let Some(l) = limiter {
                l.acquire(size).await;
            }
            let target = self.path(&format!("{rel_dir}/{}", layout::with_checksum(name, &md5)));
            self.store.put(&target, PutPayload::from(bytes)).await?;
            count(counter, size as usize);
            md5
        } else {
            let part = self.path(&format!("{rel_dir}/{name}{PART_SUFFIX}"));
            let md5 = self.stream_up(local.to_path_buf(), &part, limiter, counter).await;
            if md5.is_err() {
                let _ = self.store.delete(&part).await;
            }
            let md5 = md5?;
            let target = self.path(&format!("{rel_dir}/{}", layout::with_checksum(name, &md5)));
            self.store.rename(&part, &target).await?;
            md5
        };
        if let Some(stale) = existing.filter(|e| e.md5.as_deref() != Some(md5.as_str())) {
            self.store
                .delete(&self.path(&format!("{rel_dir}/{}", stale.stored_name)))
                .await?;
        }
        Ok(Uploaded {
            stored_name: layout::with_checksum(name, &md5),
            size,
            transferred: true,
            local_path,
        })
    }

    async fn stream_up(
        &self,
        local: PathBuf,
        target: &object_store::path::Path,
        limiter: Option<&RateLimiter>,
        counter: Option<&ByteCounter>,
    ) -> Result<String, RepoError> {
        let mut upload = self.store.put_multipart(target).await?;
        let (tx, mut rx) = mpsc::channel::<std::io::Result<Bytes>>(2);
        let reader = tokio::task::spawn_blocking(move || -> Option<String> {
            let run = || -> std::io::Result<String> {
                let mut file = std::fs::File::open(&local)?;
                let mut md5 = hasher::Md5::new();
                loop {
                    let chunk = read_chunk(&mut file)?;
                    if chunk.is_empty() {
                        return Ok(md5.finish());
                    }
                    let len = chunk.len();
                    let chunk = md5.update(chunk, len);
                    if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                        return Err(std::io::Error::other("upload stopped"));
                    }
                }
            };
            match run() {
                Ok(md5) => Some(md5),
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    None
                }
            }
        });
        let mut failure: Option<RepoError> = None;
        while let Some(chunk) = rx.recv().await {
            let result = match chunk {
                Ok(chunk) => {
                    let n = chunk.len();
                    if let Some(l) = limiter {
                        l.acquire(n as u64).await;
                    }
                    let sent = upload
                        .put_part(PutPayload::from(chunk))
                        .await
                        .map_err(RepoError::from);
                    if sent.is_ok() {
                        count(counter, n);
                    }
                    sent
                }
                Err(e) => Err(e.into()),
            };
            if let Err(e) = result {
                failure = Some(e);
                break;
            }
        }
        drop(rx);
        let md5 = reader.await.map_err(|e| RepoError::Storage(e.to_string()))?;
        match (failure, md5) {
            (None, Some(md5)) => {
                upload.complete().await?;
                Ok(md5)
            }
            (failure, _) => {
                let _ = upload.abort().await;
                Err(failure.unwrap_or_else(|| RepoError::Storage("upload stopped".into())))
            }
        }
    }

    /// Downloads `<rel_dir>/<stored_name>` to `local_dir/<name>` and checks the
    /// bytes against the checksum in the stored name; a mismatch leaves no file.
    /// A file absent from the repository is [`RepoError::NotFound`]. Returns the
    /// bytes written; `counter` is told them as they are written. The file is not synced: a caller staging many files
    /// makes them durable together.
    pub async fn download_file(
        &self,
        rel_dir: &str,
        stored_name: &str,
        local_dir: &Path,
        limiter: Option<&RateLimiter>,
        counter: Option<&ByteCounter>,
    ) -> Result<u64, RepoError> {
        let (name, md5) = layout::split_checksum(stored_name)
            .ok_or_else(|| RepoError::NoChecksum(self.display(&format!("{rel_dir}/{stored_name}"))))?;
        let part = local_dir.join(format!("{name}{PART_SUFFIX}"));
        let target = local_dir.join(name);
        let remote = format!("{rel_dir}/{stored_name}");
        let got = match self.store.get(&self.path(&remote)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(RepoError::NotFound(self.display(&remote)));
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(l) = limiter {
            l.acquire(got.meta.size).await;
        }
        let (size, local_md5) = match got.payload {
            GetResultPayload::File(file, _) => {
                let (part, counter) = (part.clone(), counter.cloned());
                blocking(move || copy_hashing(file, &part, counter.as_ref())).await?
            }
            GetResultPayload::Stream(mut stream) => {
                let (tx, mut rx) = mpsc::channel::<Bytes>(2);
                let (staged, counter) = (part.clone(), counter.cloned());
                let writer = tokio::task::spawn_blocking(move || -> std::io::Result<(u64, String)> {
                    let mut out = std::fs::File::create(&staged)?;
                    let mut md5 = hasher::Md5::new();
                    let mut size = 0u64;
                    while let Some(chunk) = rx.blocking_recv() {
                        md5.update_slice(&chunk);
                        out.write_all(&chunk)?;
                        count(counter.as_ref(), chunk.len());
                        size += chunk.len() as u64;
                    }
                    Ok((size, md5.finish()))
                });
                let mut failure = None;
                while let Some(chunk) = stream.next().await {
                    match chunk {
                        Ok(c) => {
                            if tx.send(c).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                drop(tx);
                let written = writer.await.map_err(|e| RepoError::Storage(e.to_string()))?;
                if let Some(e) = failure {
                    let _ = tokio::fs::remove_file(&part).await;
                    return Err(e.into());
                }
                written?
            }
        };
        if local_md5 != md5 {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(RepoError::BadChecksum {
                local: local_md5,
                remote: md5.to_string(),
                path: self.display(&remote),
            });
        }
        tokio::fs::rename(&part, &target).await?;
        Ok(size)
    }
}

/// Told the bytes of each chunk as it is written, on whatever thread writes
/// it: a transfer's counters stay true when the transfer is abandoned midway.
pub type ByteCounter = std::sync::Arc<dyn Fn(u64) + Send + Sync>;

fn count(counter: Option<&ByteCounter>, n: usize) {
    if let Some(c) = counter {
        c(n as u64);
    }
}

/// Copies `file` to `target` through one buffer, hashed on the MD5 pool
/// between the read and the write; each chunk written is counted.
fn copy_hashing(
    mut file: std::fs::File,
    target: &Path,
    counter: Option<&ByteCounter>,
) -> Result<(u64, String), RepoError> {
    let mut out = std::fs::File::create(target)?;
    let mut md5 = hasher::Md5::new();
    let mut buf = vec![0u8; COPY_BUFFER];
    let mut size = 0u64;
    loop {
        let n = read_some(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        buf = md5.update(buf, n);
        out.write_all(&buf[..n])?;
        count(counter, n);
        size += n as u64;
    }
    Ok((size, md5.finish()))
}

/// One `read`, retried when interrupted; 0 at the end of the file.
fn read_some(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Reads up to [`CHUNK`] bytes (fewer only at the end of the file).
fn read_chunk(file: &mut std::fs::File) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(CHUNK);
    file.take(CHUNK as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RepoError> + Send + 'static,
) -> Result<T, RepoError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RepoError::Storage(format!("worker failed: {e}")))?
}
