//! A byte-rate limiter shared by the transfers of one process.

use std::time::Duration;

use tokio::time::Instant;

/// Spaces transfers so that, together, they move at most `bytes_per_sec`.
/// Each caller reserves a slot on a virtual clock and sleeps until it starts.
#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_sec: u64,
    next_free: parking_lot::Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter; `None` when `bytes_per_sec` is 0 (unlimited).
    pub fn new(bytes_per_sec: u64) -> Option<Self> {
        (bytes_per_sec > 0).then(|| Self {
            bytes_per_sec,
            next_free: parking_lot::Mutex::new(None),
        })
    }

    /// Waits until `bytes` more may be moved.
    pub async fn acquire(&self, bytes: u64) {
        let cost = Duration::from_secs_f64(bytes as f64 / self.bytes_per_sec as f64);
        let start = {
            let mut next = self.next_free.lock();
            let now = Instant::now();
            let start = next.map_or(now, |n| n.max(now));
            *next = Some(start + cost);
            start
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn transfers_are_spaced_by_their_size() {
        let limiter = RateLimiter::new(10_000).expect("limited");
        let t0 = Instant::now();
        limiter.acquire(500).await;
        limiter.acquire(500).await;
        limiter.acquire(500).await;
        // The third 500 bytes may start only after the first 1000 are done
        // (a lower bound: a slow machine can only take longer).
        assert!(Instant::now() - t0 >= Duration::from_millis(100));
        assert!(RateLimiter::new(0).is_none());
    }
}
