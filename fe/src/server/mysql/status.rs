//! Server status flags that opensrv-mysql 0.7 leaves at zero.
//!
//! opensrv writes status 0 in the handshake, in the OK after login and `USE`,
//! and in the terminal packet of every result set. Clients read the
//! `SERVER_STATUS_AUTOCOMMIT` bit from those packets (MariaDB Connector/J's
//! `getAutoCommit()` does), so a zero there says "autocommit off". The
//! [`StatusTracker`] follows the server side of the protocol packet by packet,
//! finds every packet that carries status flags and sets the autocommit bit to
//! the session's real value.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// `SERVER_STATUS_AUTOCOMMIT`.
const AUTOCOMMIT: u16 = 0x0002;
/// `SERVER_MORE_RESULTS_EXISTS`.
const MORE_RESULTS: u16 = 0x0008;
/// Payload length of a packet continued in the next one.
const MAX_PAYLOAD: usize = 0xFF_FFFF;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing sent yet: the next packet is the handshake.
    Handshake,
    /// Login in progress: the first OK ends it.
    Auth,
    /// At the start of a result (after a command or a MORE_RESULTS OK).
    ResultStart,
    /// Inside column definitions; the count left.
    Columns(u64),
    /// After the columns: an EOF (old protocol) or rows until the terminal packet.
    Rows,
    /// Response complete; wait for the next command's response.
    Idle,
}

/// Finds status-carrying server packets and fixes their autocommit bit.
pub struct StatusTracker {
    phase: Phase,
    autocommit: Arc<AtomicBool>,
}

/// Reads a length-encoded integer; returns (value, bytes used).
fn lenenc(bytes: &[u8]) -> Option<(u64, usize)> {
    let first = *bytes.first()?;
    let width = match first {
        0..=0xFA => return Some((u64::from(first), 1)),
        0xFC => 2,
        0xFD => 3,
        0xFE => 8,
        _ => return None,
    };
    let raw = bytes.get(1..1 + width)?;
    let mut v = 0u64;
    for (i, b) in raw.iter().enumerate() {
        v |= u64::from(*b) << (8 * i);
    }
    Some((v, 1 + width))
}

impl StatusTracker {
    /// A tracker reading the session's autocommit from `autocommit`.
    pub fn new(autocommit: Arc<AtomicBool>) -> Self {
        Self {
            phase: Phase::Handshake,
            autocommit,
        }
    }

    fn set_flags(&self, body: &mut [u8], at: usize) -> Option<u16> {
        let raw = body.get(at..at + 2)?;
        let mut status = u16::from_le_bytes([raw[0], raw[1]]);
        if self.autocommit.load(Ordering::Relaxed) {
            status |= AUTOCOMMIT;
        } else {
            status &= !AUTOCOMMIT;
        }
        body[at..at + 2].copy_from_slice(&status.to_le_bytes());
        Some(status)
    }

    /// Patches an OK packet (header 0x00 or 0xFE); returns its status.
    fn patch_ok(&self, body: &mut [u8]) -> Option<u16> {
        let (_, a) = lenenc(body.get(1..)?)?;
        let (_, b) = lenenc(body.get(1 + a..)?)?;
        self.set_flags(body, 1 + a + b)
    }

    /// Looks at one complete server packet (`seq` and payload) and patches it in
    /// place when it carries status flags. `continued` marks the tail of a
    /// packet split at 16 MB, which carries no header byte.
    pub fn observe(&mut self, seq: u8, body: &mut [u8], continued: bool) {
        if continued || body.len() >= MAX_PAYLOAD {
            return;
        }
        // Every command's response starts at sequence id 1.
        if seq == 1 && matches!(self.phase, Phase::Idle | Phase::ResultStart | Phase::Rows) {
            self.phase = Phase::ResultStart;
        }
        let Some(&first) = body.first() else {
            return;
        };
        self.phase = match self.phase {
            Phase::Handshake => {
                self.patch_handshake(body);
                Phase::Auth
            }
            Phase::Auth => match first {
                0x00 => {
                    self.patch_ok(body);
                    Phase::Idle
                }
                0xFF => Phase::Idle,
                _ => Phase::Auth,
            },
            Phase::ResultStart => match first {
                0x00 => match self.patch_ok(body) {
                    Some(s) if s & MORE_RESULTS != 0 => Phase::ResultStart,
                    _ => Phase::Idle,
                },
                0xFF | 0xFB => Phase::Idle,
                _ => match lenenc(body) {
                    Some((n, _)) if n > 0 => Phase::Columns(n),
                    _ => Phase::Idle,
                },
            },
            Phase::Columns(n) => {
                if n > 1 {
                    Phase::Columns(n - 1)
                } else {
                    Phase::Rows
                }
            }
            Phase::Rows => match first {
                // EOF after the columns in the pre-DEPRECATE_EOF protocol.
                0xFE if body.len() == 5 => {
                    self.set_flags(body, 3);
                    Phase::Rows
                }
                0xFE => match self.patch_ok(body) {
                    Some(s) if s & MORE_RESULTS != 0 => Phase::ResultStart,
                    _ => Phase::Idle,
                },
                0xFF => Phase::Idle,
                _ => Phase::Rows,
            },
            Phase::Idle => Phase::Idle,
        };
    }

    /// HandshakeV10: protocol(1) version NUL conn_id(4) auth1(8) filler(1)
    /// caps_low(2) charset(1) status(2) ...
    fn patch_handshake(&self, body: &mut [u8]) {
        if body.first() != Some(&10) {
            return;
        }
        if let Some(nul) = body.iter().skip(1).position(|b| *b == 0) {
            let at = 1 + nul + 1 + 4 + 8 + 1 + 2 + 1;
            self.set_flags(body, at);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tracker(autocommit: bool) -> StatusTracker {
        StatusTracker::new(Arc::new(AtomicBool::new(autocommit)))
    }

    fn handshake() -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(b"8.0.33\0");
        p.extend_from_slice(&[1, 0, 0, 0]); // connection id
        p.extend_from_slice(b"12345678\0");
        p.extend_from_slice(&[0xff, 0xf7, 33, 0, 0, 0x0f, 0x80]);
        p
    }

    #[test]
    fn handshake_and_login_ok_get_autocommit() {
        let mut t = tracker(true);
        let mut hs = handshake();
        t.observe(0, &mut hs, false);
        let at = 1 + 7 + 4 + 9 + 2 + 1;
        assert_eq!(&hs[at..at + 2], &[0x02, 0x00]);
        let mut ok = vec![0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        t.observe(2, &mut ok, false);
        assert_eq!(&ok[3..5], &[0x02, 0x00]);
    }

    #[test]
    fn result_set_terminal_packet_is_patched_but_rows_are_not() {
        let mut t = tracker(true);
        t.observe(0, &mut handshake(), false);
        t.observe(2, &mut [0, 0, 0, 0, 0, 0, 0], false);
        // SELECT: column count 1, one column definition, a row starting 0x00, terminal OK.
        t.observe(1, &mut [0x01], false);
        t.observe(2, &mut b"\x03def\x00".to_vec(), false);
        let mut row = vec![0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        t.observe(3, &mut row, false);
        assert_eq!(row, vec![0; 7], "a row is never patched");
        let mut end = vec![0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        t.observe(4, &mut end, false);
        assert_eq!(&end[3..5], &[0x02, 0x00]);
        // The next command's OK is patched too, with autocommit now off.
        t.autocommit.store(false, Ordering::Relaxed);
        let mut ok = vec![0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00];
        t.observe(1, &mut ok, false);
        assert_eq!(&ok[3..5], &[0x00, 0x00]);
    }

    #[test]
    fn more_results_chain_and_old_eof() {
        let mut t = tracker(true);
        t.observe(0, &mut handshake(), false);
        t.observe(2, &mut [0, 0, 0, 0, 0, 0, 0], false);
        // OK with MORE_RESULTS, then a result set using EOF packets.
        let mut ok = vec![0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00];
        t.observe(1, &mut ok, false);
        assert_eq!(&ok[3..5], &[0x0A, 0x00]);
        t.observe(2, &mut [0x01], false);
        t.observe(3, &mut b"\x03def".to_vec(), false);
        let mut eof = vec![0xFE, 0x00, 0x00, 0x00, 0x00];
        t.observe(4, &mut eof, false);
        assert_eq!(&eof[3..5], &[0x02, 0x00]);
        let mut row = b"\x01x".to_vec();
        t.observe(5, &mut row, false);
        assert_eq!(row, b"\x01x".to_vec());
        let mut end = vec![0xFE, 0x00, 0x00, 0x00, 0x00];
        t.observe(6, &mut end, false);
        assert_eq!(&end[3..5], &[0x02, 0x00]);
    }
}
