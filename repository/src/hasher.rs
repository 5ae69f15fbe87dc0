//! Streaming MD5 whose bulk work runs on a process-wide pool of workers that
//! hash up to [`LANES`] files at once ([`crate::md5x`]).
//!
//! A BACKUP or RESTORE moves many files in parallel, each on its own blocking
//! thread. Each thread hands its chunk to the pool and waits; a worker takes
//! every chunk waiting (up to eight) and runs them in lockstep, so the more
//! files are in flight, the more of each core's vector width does work. A
//! chunk alone is hashed by the scalar path.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::sync::mpsc::{SyncSender, sync_channel};

use parking_lot::{Condvar, Mutex};

use crate::md5x::{self, BLOCK, INITIAL, LANES, State};

/// Blocks a worker runs before it looks for newly queued chunks.
const STEP_BLOCKS: usize = 256;

/// Cores per pool worker. One worker with full lanes hashes about 3 GB/s with
/// AVX2 and 5 GB/s with AVX-512VL, more than most disks write; fewer workers
/// also means fuller lanes.
const CORES_PER_WORKER: usize = 4;

/// Chunks shorter than this are hashed by the calling thread.
const INLINE_BYTES: usize = 16 << 10;

/// An MD5 being computed over a stream of buffers.
#[derive(Debug, Clone)]
pub struct Md5 {
    state: State,
    total: u64,
    /// Bytes of an incomplete block, waiting for more.
    partial: Vec<u8>,
}

impl Default for Md5 {
    fn default() -> Self {
        Self::new()
    }
}

impl Md5 {
    /// An MD5 of nothing yet.
    pub fn new() -> Self {
        Self {
            state: INITIAL,
            total: 0,
            partial: Vec::with_capacity(BLOCK),
        }
    }

    /// Adds `buf[..len]`. Large buffers are hashed on the pool while the
    /// caller waits; the buffer is handed back.
    pub fn update(&mut self, buf: Vec<u8>, len: usize) -> Vec<u8> {
        let mut data = &buf[..len];
        self.total += len as u64;
        if !self.partial.is_empty() {
            let take = (BLOCK - self.partial.len()).min(data.len());
            self.partial.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.partial.len() < BLOCK {
                return buf;
            }
            md5x::compress(&mut self.state, &self.partial);
            self.partial.clear();
        }
        let whole = data.len() / BLOCK * BLOCK;
        let start = len - data.len();
        self.partial.extend_from_slice(&data[whole..]);
        if whole < INLINE_BYTES {
            md5x::compress(&mut self.state, &buf[start..start + whole]);
            return buf;
        }
        let (state, buf) = pool().hash(self.state, buf, start, start + whole);
        self.state = state;
        buf
    }

    /// Adds a slice, copied into a buffer of its own (see [`Self::update`]).
    pub fn update_slice(&mut self, data: &[u8]) {
        self.update(data.to_vec(), data.len());
    }

    /// The lowercase hex digest.
    pub fn finish(self) -> String {
        md5x::finish(self.state, &self.partial, self.total)
    }
}

/// One chunk waiting for a worker: whole blocks `buf[start..end]`.
struct Job {
    state: State,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    done: SyncSender<(State, Vec<u8>)>,
}

impl Job {
    fn blocks_left(&self) -> usize {
        (self.end - self.start) / BLOCK
    }

    fn finish(self) {
        // The caller waits on the other end; it cannot have gone away.
        let _ = self.done.send((self.state, self.buf));
    }
}

struct Pool {
    queue: Mutex<VecDeque<Job>>,
    ready: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            queue: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
        }));
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) / CORES_PER_WORKER;
        let workers = workers.max(1);
        for i in 0..workers {
            std::thread::Builder::new()
                .name(format!("md5-{i}"))
                .spawn(move || pool.work())
                .unwrap_or_else(|e| panic!("cannot start an MD5 worker: {e}"));
        }
        pool
    })
}

impl Pool {
    /// Hashes `buf[start..end]` from `state` on a worker; returns the new
    /// state and the buffer.
    fn hash(&self, state: State, buf: Vec<u8>, start: usize, end: usize) -> (State, Vec<u8>) {
        let (done, result) = sync_channel(1);
        self.queue.lock().push_back(Job {
            state,
            buf,
            start,
            end,
            done,
        });
        self.ready.notify_one();
        // Workers never stop, so the job always comes back.
        result
            .recv()
            .unwrap_or_else(|_| panic!("MD5 worker pool stopped"))
    }

    fn work(&self) {
        let mut lanes: Vec<Job> = Vec::with_capacity(LANES);
        loop {
            {
                let mut queue = self.queue.lock();
                while lanes.is_empty() && queue.is_empty() {
                    self.ready.wait(&mut queue);
                }
                while lanes.len() < LANES
                    && let Some(job) = queue.pop_front()
                {
                    lanes.push(job);
                }
            }
            let blocks = lanes
                .iter()
                .map(Job::blocks_left)
                .min()
                .unwrap_or(0)
                .min(STEP_BLOCKS);
            if let [job] = lanes.as_mut_slice() {
                md5x::compress(&mut job.state, &job.buf[job.start..job.start + blocks * BLOCK]);
            } else {
                let mut states = [INITIAL; LANES];
                for (s, job) in states.iter_mut().zip(&lanes) {
                    *s = job.state;
                }
                let first = &lanes[0];
                let data: [&[u8]; LANES] = std::array::from_fn(|l| {
                    let job = lanes.get(l).unwrap_or(first);
                    &job.buf[job.start..job.end]
                });
                md5x::compress_lanes(&mut states, data, blocks);
                for (job, s) in lanes.iter_mut().zip(states) {
                    job.state = s;
                }
            }
            for job in &mut lanes {
                job.start += blocks * BLOCK;
            }
            let (finished, running): (Vec<Job>, Vec<Job>) =
                lanes.drain(..).partition(|job| job.blocks_left() == 0);
            lanes = running;
            finished.into_iter().for_each(Job::finish);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::md5x::testing::{bytes, reference};

    #[test]
    fn streamed_digests_match_the_reference_from_many_threads_at_once() {
        let lengths = [0, 1, 63, 64, 65, 16_383, 16_384, 100_000, 1 << 20, 3_000_017];
        std::thread::scope(|scope| {
            for (t, &len) in lengths.iter().cycle().take(24).enumerate() {
                scope.spawn(move || {
                    let data = bytes(len, t as u64);
                    // Uneven buffers: partial blocks carry over between updates.
                    let mut md5 = Md5::new();
                    for piece in data.chunks(70_001 + t) {
                        let mut buf = vec![0u8; piece.len() + 5];
                        buf[..piece.len()].copy_from_slice(piece);
                        let back = md5.update(buf, piece.len());
                        assert_eq!(&back[..piece.len()], piece, "the buffer comes back intact");
                    }
                    assert_eq!(md5.finish(), reference(&data), "thread {t}, length {len}");
                });
            }
        });
    }
}
