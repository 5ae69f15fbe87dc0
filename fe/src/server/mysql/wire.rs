//! Byte-level containment of opensrv-mysql 0.7's defects on the write side
//! (see `shared/spec/opensrv-mysql-notes.md`; the read side is
//! [`super::reader`]).
//!
//! [`ServerWriter`] rewrites ERR packets: opensrv can only send MySQL's own
//! error codes, so handlers put StarRocks' errno and SQLSTATE in a marker at
//! the start of the message ([`encode_error`]) and this writer moves them into
//! the packet's code and state fields. It also fixes the status flags opensrv
//! leaves at zero (see [`super::status`]). A failed login, which opensrv
//! always sends as 1698 with its own text, becomes the error the shim left in
//! the [`LoginDenial`] slot (MySQL's 1045 / 28000, or a lockout).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use parking_lot::Mutex;

use tokio::io::AsyncWrite;

use super::status::StatusTracker;

/// MySQL packet header length: 3 bytes payload length + 1 byte sequence id.
const HEADER: usize = 4;
/// Payload length that announces a continuation packet.
const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// First byte of an error message that carries our errno/SQLSTATE marker.
const MARKER: u8 = 0x01;

/// Builds the message text to give opensrv's `error()` so that [`ServerWriter`]
/// sends `errno` and `sqlstate` instead of opensrv's code.
pub fn encode_error(errno: u16, sqlstate: &str, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 12);
    out.push(MARKER);
    out.extend_from_slice(format!("{errno:05}").as_bytes());
    let state = sqlstate.as_bytes();
    for i in 0..5 {
        out.push(state.get(i).copied().unwrap_or(b'0'));
    }
    out.extend_from_slice(message.as_bytes());
    out
}

/// A refused login's error, set by the shim before opensrv writes its 1698 ERR packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// MySQL errno.
    pub errno: u16,
    /// SQLSTATE.
    pub sqlstate: &'static str,
    /// Message.
    pub message: String,
}

/// Where the shim leaves a refused login's error for the writer.
pub type LoginDenial = Arc<Mutex<Option<Denial>>>;

/// opensrv's errno for every failed login (`ER_ACCESS_DENIED_NO_PASSWORD_ERROR`).
const OPENSRV_LOGIN_ERRNO: u16 = 1698;

/// Rewrites marked ERR packets and fixes status flags on their way to the
/// client; everything else passes through unchanged.
pub struct ServerWriter<W> {
    inner: W,
    status: StatusTracker,
    login_denial: LoginDenial,
    /// Bytes written by opensrv, not yet split into packets.
    pending: Vec<u8>,
    /// Whole (possibly rewritten) packets waiting to reach `inner`.
    out: Vec<u8>,
    out_pos: usize,
    /// The previous packet had the maximum length, so the next one continues it.
    continuation: bool,
}

/// Buffered output above which writes wait for the socket.
const HIGH_WATER: usize = 1 << 20;

impl<W> ServerWriter<W> {
    /// Wraps the write half of a client connection; `autocommit` is the
    /// session's current autocommit setting.
    pub fn new(inner: W, autocommit: Arc<AtomicBool>, login_denial: LoginDenial) -> Self {
        Self {
            inner,
            status: StatusTracker::new(autocommit),
            login_denial,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            continuation: false,
        }
    }

    /// Moves every complete packet from `pending` to `out`, rewriting marked ERRs.
    fn split_packets(&mut self) {
        let mut start = 0;
        while self.pending.len() - start >= HEADER {
            let h = &self.pending[start..start + HEADER];
            let len = usize::from(h[0]) | usize::from(h[1]) << 8 | usize::from(h[2]) << 16;
            if self.pending.len() - start < HEADER + len {
                break;
            }
            let packet = &mut self.pending[start..start + HEADER + len];
            let seq = packet[3];
            self.status.observe(seq, &mut packet[HEADER..], self.continuation);
            let packet = &self.pending[start..start + HEADER + len];
            let rewritten = if self.continuation {
                None
            } else {
                rewrite_err(packet).or_else(|| self.rewrite_login_denial(packet))
            };
            match rewritten {
                Some(rewritten) => self.out.extend_from_slice(&rewritten),
                None => self.out.extend_from_slice(packet),
            }
            self.continuation = len == MAX_PAYLOAD;
            start += HEADER + len;
        }
        self.pending.drain(..start);
    }

    /// opensrv's failed-login packet, re-sent as 1045 with the shim's text.
    fn rewrite_login_denial(&self, packet: &[u8]) -> Option<Vec<u8>> {
        let body = &packet[HEADER..];
        if body.len() < 3 || body[0] != 0xFF || u16::from_le_bytes([body[1], body[2]]) != OPENSRV_LOGIN_ERRNO
        {
            return None;
        }
        let denial = self.login_denial.lock().take()?;
        Some(err_packet(
            packet[3],
            denial.errno,
            denial.sqlstate.as_bytes(),
            denial.message.as_bytes(),
        ))
    }
}

/// One ERR packet with sequence id `seq`.
fn err_packet(seq: u8, errno: u16, state: &[u8], message: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(9 + message.len());
    body.push(0xFF);
    body.extend_from_slice(&errno.to_le_bytes());
    body.push(b'#');
    body.extend_from_slice(state);
    body.extend_from_slice(message);
    let len = body.len();
    let mut out = Vec::with_capacity(HEADER + len);
    out.extend_from_slice(&[len as u8, (len >> 8) as u8, (len >> 16) as u8, seq]);
    out.extend_from_slice(&body);
    out
}

/// Returns the rewritten packet if `packet` is an ERR packet with our marker.
fn rewrite_err(packet: &[u8]) -> Option<Vec<u8>> {
    // header(4) 0xFF code(2) '#' state(5) message…
    let body = &packet[HEADER..];
    if body.len() < 9 + 11 || body[0] != 0xFF || body[3] != b'#' || body[9] != MARKER {
        return None;
    }
    let marker = &body[9..20];
    let errno: u16 = std::str::from_utf8(&marker[1..6]).ok()?.parse().ok()?;
    let state = &marker[6..11];
    Some(err_packet(packet[3], errno, state, &body[20..]))
}

impl<W: AsyncWrite + Unpin> ServerWriter<W> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos < self.out.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
        }
        self.out.clear();
        self.out_pos = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for ServerWriter<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.out.len() - this.out_pos >= HIGH_WATER {
            ready!(this.poll_drain(cx))?;
        }
        this.pending.extend_from_slice(buf);
        this.split_packets();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        this.split_packets();
        // opensrv flushes only after whole packets, so nothing stays in `pending`
        // here; a partial packet (never seen) would wait for its remaining bytes.
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn packet(seq: u8, body: &[u8]) -> Vec<u8> {
        let len = body.len();
        let mut p = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, seq];
        p.extend_from_slice(body);
        p
    }

    #[tokio::test]
    async fn marked_err_packets_get_starrocks_codes() {
        let mut msg = vec![0xFF, 0x51, 0x04, b'#'];
        msg.extend_from_slice(b"HY000");
        msg.extend(encode_error(5501, "3F000", "Unknown database 'x'"));
        let mut sink = Vec::new();
        {
            let mut w = ServerWriter::new(&mut sink, Arc::new(AtomicBool::new(true)), LoginDenial::default());
            let ok = packet(1, b"\x00\x00\x00\x02\x00\x00\x00");
            // Write in awkward pieces to exercise packet reassembly.
            let mut all = ok.clone();
            all.extend(packet(2, &msg));
            for piece in all.chunks(3) {
                w.write_all(piece).await.unwrap();
            }
            w.flush().await.unwrap();
        }
        let ok_len = 4 + 7;
        assert_eq!(&sink[..ok_len], &packet(1, b"\x00\x00\x00\x02\x00\x00\x00")[..]);
        let mut expected = vec![0xFF];
        expected.extend_from_slice(&5501u16.to_le_bytes());
        expected.push(b'#');
        expected.extend_from_slice(b"3F000Unknown database 'x'");
        assert_eq!(&sink[ok_len..], &packet(2, &expected)[..]);
    }

    #[tokio::test]
    async fn failed_login_becomes_1045_with_the_shims_text() {
        let mut body = vec![0xFF];
        body.extend_from_slice(&OPENSRV_LOGIN_ERRNO.to_le_bytes());
        body.extend_from_slice(b"#28000Authenticate failed, user: \"u\"");
        let denial = LoginDenial::default();
        *denial.lock() = Some(Denial {
            errno: 1045,
            sqlstate: "28000",
            message: "Access denied for user 'u'@'10.0.0.1' (using password: YES)".into(),
        });
        let mut sink = Vec::new();
        {
            let mut w = ServerWriter::new(&mut sink, Arc::new(AtomicBool::new(true)), Arc::clone(&denial));
            w.write_all(&packet(2, &body)).await.unwrap();
            w.flush().await.unwrap();
        }
        let mut expected = vec![0xFF];
        expected.extend_from_slice(&1045u16.to_le_bytes());
        expected.extend_from_slice(b"#28000Access denied for user 'u'@'10.0.0.1' (using password: YES)");
        assert_eq!(sink, packet(2, &expected));
        assert!(denial.lock().is_none(), "the message is used once");
    }

    #[tokio::test]
    async fn unmarked_err_packets_pass_unchanged() {
        let mut body = vec![0xFF, 0x51, 0x04, b'#'];
        body.extend_from_slice(b"HY000plain message");
        let p = packet(3, &body);
        let mut sink = Vec::new();
        {
            let mut w = ServerWriter::new(&mut sink, Arc::new(AtomicBool::new(true)), LoginDenial::default());
            w.write_all(&p).await.unwrap();
            w.flush().await.unwrap();
        }
        assert_eq!(sink, p);
    }
}
