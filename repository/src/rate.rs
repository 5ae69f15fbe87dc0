//! A byte-rate limiter shared by the transfers of one process, whose rate
//! may change while transfers wait on it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Spaces transfers so that, together, they move at most `bytes_per_sec`
/// (0: unlimited). Each caller reserves a slot on a virtual clock and sleeps
/// until it starts. A new rate restarts the clock and wakes every waiter,
/// which reserves again at the new rate: a change takes effect at once, not
/// after the reservations made at the old rate.
#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_sec: AtomicU64,
    next_free: parking_lot::Mutex<Option<Instant>>,
    changed: Notify,
}

impl RateLimiter {
    /// A limiter of `bytes_per_sec` (0: unlimited).
    pub fn new(bytes_per_sec: u64) -> Self {
        Self {
            bytes_per_sec: AtomicU64::new(bytes_per_sec),
            next_free: parking_lot::Mutex::new(None),
            changed: Notify::new(),
        }
    }

    /// The rate now (0: unlimited).
    pub fn rate(&self) -> u64 {
        self.bytes_per_sec.load(Ordering::Relaxed)
    }

    /// Changes the rate; waiting transfers reserve again at the new one.
    pub fn set_rate(&self, bytes_per_sec: u64) {
        self.bytes_per_sec.store(bytes_per_sec, Ordering::Relaxed);
        *self.next_free.lock() = None;
        self.changed.notify_waiters();
    }

    /// Waits until `bytes` more may be moved.
    pub async fn acquire(&self, bytes: u64) {
        loop {
            // Listen before reading the rate: a change made after the read
            // still wakes this waiter.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let rate = self.rate();
            if rate == 0 {
                return;
            }
            let cost = Duration::from_secs_f64(bytes as f64 / rate as f64);
            let start = {
                let mut next = self.next_free.lock();
                let now = Instant::now();
                let start = next.map_or(now, |n| n.max(now));
                *next = Some(start + cost);
                start
            };
            tokio::select! {
                () = tokio::time::sleep_until(start) => return,
                () = &mut changed => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn transfers_are_spaced_by_their_size() {
        let limiter = RateLimiter::new(10_000);
        let t0 = Instant::now();
        limiter.acquire(500).await;
        limiter.acquire(500).await;
        limiter.acquire(500).await;
        // The third 500 bytes may start only after the first 1000 are done
        // (a lower bound: a slow machine can only take longer).
        assert!(Instant::now() - t0 >= Duration::from_millis(100));
        let unlimited = RateLimiter::new(0);
        let t0 = Instant::now();
        unlimited.acquire(u64::MAX).await;
        assert!(Instant::now() - t0 < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_new_rate_releases_transfers_waiting_at_the_old_one() {
        let limiter = Arc::new(RateLimiter::new(1));
        limiter.acquire(1).await;
        // At 1 byte/s this waits an hour...
        let waiter = tokio::spawn({
            let limiter = Arc::clone(&limiter);
            async move { limiter.acquire(3600).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        // ... until the limit is lifted.
        limiter.set_rate(0);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("released")
            .expect("joined");
    }
}
