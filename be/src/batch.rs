//! Tasks that touch many tablets at once (create, download, move): their
//! per-tablet file work spread over a few threads, and made durable by one
//! file-system sync per phase instead of one `fsync` per file and directory.
//!
//! Tens of thousands of small `fsync`s cost far more than the bytes they
//! protect; `syncfs` flushes the whole file system holding the storage root
//! with one journal commit. A task writes everything of a phase unsynced,
//! syncs once, and only then takes the step that makes the phase's files
//! reachable (a rename of the tablet meta) or acknowledges the task.

use std::os::fd::AsRawFd;
use std::path::Path;

use crate::BeError;

/// Applies `f` to every item on up to one scoped thread per core, keeping the
/// order of `items` in the result. The first error is returned.
pub(crate) fn map<T, R, F>(items: &[T], f: F) -> Result<Vec<R>, BeError>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R, BeError> + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Result<Vec<R>, BeError>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for worker in workers {
            match worker.join() {
                Ok(results) => out.extend(results?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(out)
    })
}

/// Makes everything written so far on the file system holding `path` durable:
/// file contents, new names and renames.
pub(crate) fn sync_filesystem(path: &Path) -> Result<(), BeError> {
    let dir = std::fs::File::open(path)?;
    // SAFETY: syncfs only reads the descriptor, which `dir` keeps open for the call.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(())
}

/// Starts writing `path`'s dirty pages to disk without waiting for them, so
/// the device works while the task goes on and the closing sync finds little
/// left to do. Purely a hint: failures are ignored.
pub(crate) fn start_writeback(path: &Path) {
    if let Ok(file) = std::fs::File::open(path) {
        // SAFETY: sync_file_range only reads the descriptor, which `file` keeps
        // open for the call; offset 0 and length 0 mean the whole file.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_order_and_returns_the_first_error() {
        let items: Vec<u64> = (0..1000).collect();
        let doubled = map(&items, |&i| Ok(i * 2)).expect("map");
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        let failed = map(&items, |&i| {
            if i == 700 {
                Err(BeError::TabletNotFound(i))
            } else {
                Ok(i)
            }
        });
        assert!(matches!(failed, Err(BeError::TabletNotFound(700))));
        assert!(map(&[] as &[u64], |&i| Ok(i)).expect("empty").is_empty());
    }

    #[test]
    fn sync_filesystem_syncs_or_reports_a_missing_root() {
        let dir = tempfile::tempdir().expect("tmp");
        sync_filesystem(dir.path()).expect("sync");
        assert!(sync_filesystem(&dir.path().join("absent")).is_err());
    }
}
