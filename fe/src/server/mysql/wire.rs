//! Byte-level containment of opensrv-mysql 0.7's defects (see
//! `shared/spec/opensrv-mysql-notes.md`).
//!
//! - [`OnePacketReader`] hands opensrv at most one MySQL packet per `poll_read`,
//!   because opensrv's packet reader frees a buffer that a returned packet still
//!   points into when one read holds two packets (upstream issue #66). It also
//!   clears `CLIENT_SESSION_TRACK` in the client's handshake response: opensrv
//!   never advertises it but honours it anyway, which hangs the mariadb CLI.
//! - [`ServerWriter`] rewrites ERR packets: opensrv can only send MySQL's own
//!   error codes, so handlers put StarRocks' errno and SQLSTATE in a marker at the
//!   start of the message ([`encode_error`]) and this writer moves them into the
//!   packet's code and state fields. It also fixes the status flags opensrv
//!   leaves at zero (see [`super::status`]). A failed login, which opensrv
//!   always sends as 1698 with its own text, becomes MySQL's 1045 / 28000 with
//!   the text the shim left in the [`LoginDenial`] slot.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use parking_lot::Mutex;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::status::StatusTracker;

/// MySQL packet header length: 3 bytes payload length + 1 byte sequence id.
const HEADER: usize = 4;
/// Payload length that announces a continuation packet.
const MAX_PAYLOAD: usize = 0xFF_FFFF;
/// `CLIENT_SESSION_TRACK`, bit 23 of the capability flags (byte 2, bit 7).
const SESSION_TRACK_BYTE: usize = 2;
const SESSION_TRACK_MASK: u8 = 0x80;

/// Reads from `inner` so that each `poll_read` returns bytes of one packet only.
pub struct OnePacketReader<R> {
    inner: R,
    header: [u8; HEADER],
    header_len: usize,
    /// Header bytes already handed to the caller.
    header_sent: usize,
    /// Payload bytes of the current packet not yet read.
    body_left: usize,
    /// Payload bytes of the current packet already read.
    body_read: usize,
    /// Index of the current packet since the connection began.
    packet_index: u64,
}

impl<R> OnePacketReader<R> {
    /// Wraps the read half of a client connection.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            header: [0; HEADER],
            header_len: 0,
            header_sent: 0,
            body_left: 0,
            body_read: 0,
            packet_index: 0,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for OnePacketReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // 1. Collect the next header.
        while this.header_len < HEADER {
            let mut tmp = ReadBuf::new(&mut this.header[this.header_len..]);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut tmp))?;
            let n = tmp.filled().len();
            if n == 0 {
                // EOF between packets is a clean close; inside a header it is not
                // our business to judge: opensrv sees a short read either way.
                return Poll::Ready(Ok(()));
            }
            this.header_len += n;
            if this.header_len == HEADER {
                this.header_sent = 0;
                this.body_read = 0;
                this.body_left = usize::from(this.header[0])
                    | usize::from(this.header[1]) << 8
                    | usize::from(this.header[2]) << 16;
            }
        }
        // 2. Hand out the header together with as much of the body as is ready,
        //    so that a small packet reaches opensrv in one read (its reader
        //    zero-fills a 1 MB buffer whenever a packet arrives in pieces).
        let header_part = if this.header_sent < HEADER {
            let n = (HEADER - this.header_sent).min(buf.remaining());
            buf.initialize_unfilled_to(n)[..n]
                .copy_from_slice(&this.header[this.header_sent..this.header_sent + n]);
            n
        } else {
            0
        };
        let want = if this.header_sent + header_part == HEADER {
            this.body_left.min(buf.remaining() - header_part)
        } else {
            0
        };
        let mut n = 0;
        if want > 0 {
            let unfilled = buf.initialize_unfilled_to(header_part + want);
            let mut limited = ReadBuf::new(&mut unfilled[header_part..header_part + want]);
            match Pin::new(&mut this.inner).poll_read(cx, &mut limited) {
                Poll::Ready(Ok(())) => n = limited.filled().len(),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // Nothing of the body yet: hand out the header alone (if any),
                // otherwise wait.
                Poll::Pending if header_part == 0 => return Poll::Pending,
                Poll::Pending => {}
            }
            if this.packet_index == 0 && n > 0 {
                // The handshake response: clear CLIENT_SESSION_TRACK.
                let start = this.body_read;
                if (start..start + n).contains(&SESSION_TRACK_BYTE) {
                    limited.filled_mut()[SESSION_TRACK_BYTE - start] &= !SESSION_TRACK_MASK;
                }
            }
        }
        if header_part == 0 && n == 0 && this.body_left > 0 {
            // EOF inside a body.
            return Poll::Ready(Ok(()));
        }
        buf.advance(header_part + n);
        this.header_sent += header_part;
        this.body_read += n;
        this.body_left -= n;
        if this.header_sent == HEADER && this.body_left == 0 {
            this.finish_packet();
        }
        Poll::Ready(Ok(()))
    }
}

impl<R> OnePacketReader<R> {
    fn finish_packet(&mut self) {
        self.header_len = 0;
        self.packet_index += 1;
    }
}

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

/// The message for a refused login, set by the shim before opensrv writes its
/// 1698 ERR packet.
pub type LoginDenial = Arc<Mutex<Option<String>>>;

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
        let message = self.login_denial.lock().take()?;
        Some(err_packet(packet[3], 1045, b"28000", message.as_bytes()))
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn packet(seq: u8, body: &[u8]) -> Vec<u8> {
        let len = body.len();
        let mut p = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, seq];
        p.extend_from_slice(body);
        p
    }

    #[tokio::test]
    async fn each_read_stays_inside_one_packet() {
        // Two packets arrive in one socket read.
        let mut wire = packet(0, b"\xff\xff\xff\xff-handshake");
        wire.extend(packet(1, b"\x03select 1"));
        let mut reader = OnePacketReader::new(&wire[..]);
        let mut chunks = Vec::new();
        loop {
            let mut buf = [0u8; 64];
            let n = reader.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            chunks.push(buf[..n].to_vec());
        }
        // One whole packet per read, never two.
        assert_eq!(chunks.len(), 2);
        assert_eq!(&chunks[0][..4], &[14, 0, 0, 0]);
        // Bit 23 (byte 2, 0x80) cleared in the handshake response only.
        assert_eq!(&chunks[0][4..8], b"\xff\xff\x7f\xff");
        assert_eq!(chunks[1], packet(1, b"\x03select 1"));
    }

    #[tokio::test]
    async fn small_buffers_get_partial_packets_in_order() {
        let mut wire = packet(0, b"abcdef");
        wire.extend(packet(1, b"xyz"));
        let mut reader = OnePacketReader::new(&wire[..]);
        let mut out = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = reader.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, wire);
    }

    #[tokio::test]
    async fn handshake_bit_is_cleared_across_split_reads() {
        let wire = packet(0, b"\x00\x00\x80\x00rest");
        let mut reader = OnePacketReader::new(&wire[..]);
        let mut out = Vec::new();
        let mut buf = [0u8; 1];
        while reader.read(&mut buf).await.unwrap() == 1 {
            out.push(buf[0]);
        }
        assert_eq!(&out[4..8], b"\x00\x00\x00\x00");
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
        *denial.lock() = Some("Access denied for user 'u'@'10.0.0.1' (using password: YES)".into());
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
