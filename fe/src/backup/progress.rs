//! Byte progress of a running job's transfers, from the BEs' counters.
//!
//! Every UPLOAD and DOWNLOAD task reports, about four times a second, the
//! bytes its BE moved, the bytes it found already in place and the size of
//! the whole task. A job's bytes done are the sum over its tasks of moved
//! plus found; a resumed job's new tasks find what the earlier attempt
//! finished, so the sum never goes back. The rate is measured over the last
//! few seconds of samples and falls to 0 when nothing moves.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use catalog::JobProgress;

/// How far back the rate looks.
const WINDOW: Duration = Duration::from_secs(5);
/// Samples closer together than this replace each other.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);

/// One task's last report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskBytes {
    /// Bytes this attempt transferred.
    pub moved: u64,
    /// Bytes found in place (not transferred again).
    pub skipped: u64,
    /// Bytes of the whole task (0: not known yet).
    pub total: u64,
}

/// The transfers of one job state (UPLOADING, DOWNLOADING).
#[derive(Debug, Clone, Default)]
pub struct Transfer {
    tasks: BTreeMap<String, TaskBytes>,
    samples: VecDeque<(Instant, u64)>,
}

impl Transfer {
    /// Forgets every task: a new attempt of the state starts.
    pub fn restart(&mut self) {
        self.tasks.clear();
        self.samples.clear();
    }

    /// Task `sig` reported `bytes`.
    pub fn report(&mut self, sig: &str, bytes: TaskBytes) {
        self.tasks.insert(sig.to_string(), bytes);
        self.sample(Instant::now());
    }

    fn sample(&mut self, now: Instant) {
        let done = self.bytes_done();
        if let Some(&(last, _)) = self.samples.back()
            && now.duration_since(last) < SAMPLE_EVERY
        {
            self.samples.pop_back();
        }
        self.samples.push_back((now, done));
        // Keep one sample older than the window: the rate's base.
        while self.samples.len() > 2 && self.samples[1].0 + WINDOW <= now {
            self.samples.pop_front();
        }
    }

    /// Bytes in place.
    pub fn bytes_done(&self) -> u64 {
        self.tasks.values().map(|t| t.moved + t.skipped).sum()
    }

    /// Bytes of every task (0 while some task's size is unknown).
    pub fn bytes_total(&self) -> u64 {
        if self
            .tasks
            .values()
            .any(|t| t.total == 0 && t.moved + t.skipped > 0)
        {
            return 0;
        }
        self.tasks.values().map(|t| t.total).sum()
    }

    /// Bytes per second over the last [`WINDOW`], as of `now`.
    pub fn bytes_per_second(&self, now: Instant) -> u64 {
        let Some(&(_, latest)) = self.samples.back() else {
            return 0;
        };
        let base = self
            .samples
            .iter()
            .rev()
            .find(|(t, _)| *t + WINDOW <= now)
            .or_else(|| self.samples.front());
        let Some(&(since, from)) = base else {
            return 0;
        };
        let elapsed = now.duration_since(since).as_secs_f64();
        if elapsed < 0.5 {
            return 0;
        }
        ((latest - from) as f64 / elapsed) as u64
    }

    /// The job's counts with this transfer's bytes, when it reported any.
    pub fn fold_into(&self, progress: &mut JobProgress) {
        if self.tasks.is_empty() {
            return;
        }
        progress.bytes_done = self.bytes_done();
        progress.bytes_total = self.bytes_total();
    }
}

/// Seconds left at `rate` bytes per second; `None` when nothing moves.
pub fn eta_seconds(done: u64, total: u64, rate: u64) -> Option<u64> {
    (rate > 0 && total >= done).then(|| (total - done).div_ceil(rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(moved: u64, skipped: u64, total: u64) -> TaskBytes {
        TaskBytes {
            moved,
            skipped,
            total,
        }
    }

    #[test]
    fn done_sums_moved_and_found_bytes_of_every_task() {
        let mut t = Transfer::default();
        t.report("1", bytes(10, 5, 100));
        t.report("2", bytes(0, 0, 50));
        t.report("1", bytes(30, 5, 100));
        assert_eq!((t.bytes_done(), t.bytes_total()), (35, 150));
        // A task that moves bytes before its size is known leaves the total unknown.
        t.report("3", bytes(1, 0, 0));
        assert_eq!(t.bytes_total(), 0);
        let mut p = JobProgress::default();
        t.fold_into(&mut p);
        assert_eq!((p.bytes_done, p.bytes_total), (36, 0));
    }

    #[test]
    fn rate_is_measured_over_the_window_and_falls_when_nothing_moves() {
        let mut t = Transfer::default();
        let t0 = Instant::now();
        for s in 0..=10u64 {
            t.tasks.insert("1".into(), bytes(s * 1000, 0, 100_000));
            t.sample(t0 + Duration::from_secs(s));
        }
        let now = t0 + Duration::from_secs(10);
        assert_eq!(t.bytes_per_second(now), 1000);
        // Ten quiet seconds later, the window holds no movement.
        assert_eq!(t.bytes_per_second(now + Duration::from_secs(10)), 0);
        assert_eq!(eta_seconds(10_000, 100_000, 1000), Some(90));
        assert_eq!(eta_seconds(10_000, 100_000, 0), None);
    }
}
