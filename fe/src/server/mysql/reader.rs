//! The read side of a client connection: whole commands are read and checked
//! here before opensrv-mysql 0.7 sees a byte of them.
//!
//! opensrv trusts its input. It frees a buffer a returned packet still
//! points into when one read holds two packets (upstream issue #66),
//! `assert!`s on the sequence ids of continuation packets, drops the
//! connection on a query that is not UTF-8, answers `COM_CHANGE_USER` and
//! `COM_RESET_CONNECTION` with a bare OK, and buffers a packet of any
//! announced size, before login too. [`CommandReader`] therefore:
//!
//! - hands opensrv at most one packet per `poll_read`;
//! - clears `CLIENT_SESSION_TRACK` in the handshake response (opensrv never
//!   advertises it but honours it, which hangs the mariadb CLI);
//! - caps the size of a command: [`Limits::before_login`] until the shim has
//!   authenticated the client, [`Limits::after_login`] after;
//! - numbers the packets of each command itself, so a client's sequence ids
//!   never reach opensrv's assertions or overflow its arithmetic;
//! - replaces a command that must not reach opensrv (out-of-order packets,
//!   too large, not UTF-8, `COM_CHANGE_USER`, `COM_RESET_CONNECTION`, a
//!   statement id opensrv does not know) by a [`CONTROL_QUERY`] and leaves
//!   what it stands for in the shared [`ControlSlot`], where the shim picks it
//!   up and answers: an ERR packet with an errno, or the real command.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use parking_lot::Mutex;
use tokio::io::{AsyncRead, ReadBuf};

/// MySQL packet header length: 3 bytes payload length + 1 byte sequence id.
const HEADER: usize = 4;
/// Payload length that announces a continuation packet.
const MAX_PAYLOAD: usize = 0xFF_FFFF;
/// `CLIENT_SESSION_TRACK`, bit 23 of the capability flags (byte 2, bit 7).
const SESSION_TRACK_BYTE: usize = 2;
const SESSION_TRACK_MASK: u8 = 0x80;
/// Bytes asked of the socket per read.
const READ_CHUNK: usize = 64 * 1024;

const COM_INIT_DB: u8 = 0x02;
const COM_QUERY: u8 = 0x03;
const COM_CHANGE_USER: u8 = 0x11;
const COM_STMT_PREPARE: u8 = 0x16;
const COM_STMT_EXECUTE: u8 = 0x17;
const COM_STMT_SEND_LONG_DATA: u8 = 0x18;
const COM_RESET_CONNECTION: u8 = 0x1f;

/// The query text that stands for a control command. A client may send the
/// same text; without a control in the slot it is an ordinary (failing) query.
pub const CONTROL_QUERY: &str = "/* starling: protocol control */";

/// What a replaced command stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Answer this error and close the connection.
    Fatal(ProtocolError),
    /// Answer this error; the connection stays usable.
    Error(ProtocolError),
    /// `COM_RESET_CONNECTION`.
    ResetConnection,
    /// `COM_CHANGE_USER`: its payload (after the command byte) and the
    /// client's capability flags, which say how the payload is laid out.
    ChangeUser {
        /// The payload.
        payload: Vec<u8>,
        /// Capability flags of the handshake response.
        capabilities: u32,
    },
}

/// An ERR packet's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    /// MySQL errno.
    pub errno: u16,
    /// SQLSTATE.
    pub sqlstate: &'static str,
    /// Message.
    pub message: String,
}

impl ProtocolError {
    fn new(errno: u16, sqlstate: &'static str, message: impl Into<String>) -> Self {
        Self {
            errno,
            sqlstate,
            message: message.into(),
        }
    }
}

/// Where the reader leaves the control for the shim, and where the shim
/// asks the reader to end the connection once its last answer is out.
#[derive(Debug, Default)]
pub struct Controls {
    pending: Mutex<Option<Control>>,
    close: AtomicBool,
}

impl Controls {
    fn put(&self, control: Control) {
        *self.pending.lock() = Some(control);
    }

    /// The control the current command stands for, if it was replaced.
    pub fn take(&self) -> Option<Control> {
        self.pending.lock().take()
    }

    /// Ends the connection after the answer being written: the reader
    /// reports the end of the stream, so opensrv flushes and closes.
    pub fn close(&self) {
        self.close.store(true, Ordering::Release);
    }
}

/// The controls shared by one connection's reader and shim.
pub type ControlSlot = Arc<Controls>;

/// Command size limits, in payload bytes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Until the client has authenticated (the handshake response).
    pub before_login: usize,
    /// After (MySQL's `max_allowed_packet`).
    pub after_login: usize,
}

/// Reads whole commands from `inner` and hands them to opensrv one packet per read.
pub struct CommandReader<R> {
    inner: R,
    /// Bytes from the socket not yet part of a handed-out command.
    inbuf: Vec<u8>,
    /// Packets ready for opensrv, back to back, and where each one ends.
    ready: Vec<u8>,
    ready_pos: usize,
    ready_ends: VecDeque<usize>,
    /// Packets handed out before login (the handshake response, an auth switch answer).
    login_packets: u8,
    capabilities: u32,
    limits: Limits,
    logged_in: Arc<AtomicBool>,
    control: ControlSlot,
    /// The socket is at its end, or the connection is being closed.
    finished: bool,
}

impl<R> CommandReader<R> {
    /// Wraps the read half of a client connection. `logged_in` is set by the
    /// shim once the client has authenticated.
    pub fn new(inner: R, limits: Limits, logged_in: Arc<AtomicBool>, control: ControlSlot) -> Self {
        Self {
            inner,
            inbuf: Vec::new(),
            ready: Vec::new(),
            ready_pos: 0,
            ready_ends: VecDeque::new(),
            login_packets: 0,
            capabilities: 0,
            limits,
            logged_in,
            control,
            finished: false,
        }
    }

    /// Copies bytes of the next ready packet (never of two) into `buf`.
    fn hand_out(&mut self, buf: &mut ReadBuf<'_>) {
        let end = self.ready_ends.front().copied().unwrap_or(self.ready.len());
        let n = (end - self.ready_pos).min(buf.remaining());
        buf.put_slice(&self.ready[self.ready_pos..self.ready_pos + n]);
        self.ready_pos += n;
        if self.ready_pos == end {
            self.ready_ends.pop_front();
        }
        if self.ready_ends.is_empty() {
            self.ready.clear();
            self.ready_pos = 0;
        }
    }

    fn push_packet(&mut self, seq: u8, payload: &[u8]) {
        let len = payload.len();
        self.ready
            .extend_from_slice(&[len as u8, (len >> 8) as u8, (len >> 16) as u8, seq]);
        self.ready.extend_from_slice(payload);
        self.ready_ends.push_back(self.ready.len());
    }

    /// Queues the control query and leaves `control` for the shim.
    fn push_control(&mut self, control: Control) {
        if matches!(control, Control::Fatal(_)) {
            self.finished = true;
        }
        self.control.put(control);
        let mut payload = vec![COM_QUERY];
        payload.extend_from_slice(CONTROL_QUERY.as_bytes());
        self.push_packet(0, &payload);
    }

    /// Takes one whole command off `inbuf` when it is there. `Ok(false)`: more bytes needed.
    fn take_command(&mut self) -> io::Result<bool> {
        let logged_in = self.logged_in.load(Ordering::Acquire);
        let limit = if logged_in {
            self.limits.after_login
        } else {
            self.limits.before_login
        };
        // Walk the packet headers: (offset of payload, length, sequence id).
        let mut packets: Vec<(usize, usize, u8)> = Vec::new();
        let mut pos = 0;
        let mut total = 0usize;
        loop {
            let Some(h) = self.inbuf.get(pos..pos + HEADER) else {
                return Ok(false);
            };
            let len = usize::from(h[0]) | usize::from(h[1]) << 8 | usize::from(h[2]) << 16;
            total += len;
            if total > limit {
                if !logged_in {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("handshake packet of over {limit} bytes"),
                    ));
                }
                self.inbuf.clear();
                self.push_control(Control::Fatal(ProtocolError::new(
                    1153,
                    "08S01",
                    "Got a packet bigger than 'max_allowed_packet' bytes",
                )));
                return Ok(true);
            }
            if self.inbuf.len() < pos + HEADER + len {
                return Ok(false);
            }
            packets.push((pos + HEADER, len, h[3]));
            pos += HEADER + len;
            if len < MAX_PAYLOAD {
                break;
            }
        }
        let in_order = packets.windows(2).all(|w| w[1].2 == w[0].2.wrapping_add(1));
        let command: Vec<u8> = self.inbuf.drain(..pos).collect();
        if !in_order {
            self.push_control(Control::Fatal(ProtocolError::new(
                1156,
                "08S01",
                "Got packets out of order",
            )));
            return Ok(true);
        }
        let payload = |i: usize| &command[packets[i].0..packets[i].0 + packets[i].1];
        if !logged_in {
            // The handshake response (sequence 1), or the answer to an auth switch (3).
            self.login_packets = self.login_packets.saturating_add(1);
            let seq = if self.login_packets == 1 { 1 } else { 3 };
            let mut first = payload(0).to_vec();
            if self.login_packets == 1 {
                if let Some(b) = first.get_mut(SESSION_TRACK_BYTE) {
                    *b &= !SESSION_TRACK_MASK;
                }
                if let Some(caps) = first.get(..4) {
                    self.capabilities = u32::from_le_bytes([caps[0], caps[1], caps[2], caps[3]]);
                }
            }
            self.push_packet(seq, &first);
            for i in 1..packets.len() {
                let p = payload(i).to_vec();
                self.push_packet(seq.wrapping_add(i as u8), &p);
            }
            return Ok(true);
        }
        let whole: Vec<u8> = (0..packets.len()).flat_map(|i| payload(i).to_vec()).collect();
        match self.check_command(&whole) {
            Some(control) => self.push_control(control),
            None if whole.first() == Some(&COM_STMT_SEND_LONG_DATA) => {
                // No answer is ever sent to it; opensrv would drop the
                // connection over the unknown statement id.
            }
            None => {
                for i in 0..packets.len() {
                    let p = payload(i).to_vec();
                    self.push_packet(i as u8, &p);
                }
            }
        }
        Ok(true)
    }

    /// The control a command must be replaced by, if any.
    fn check_command(&self, command: &[u8]) -> Option<Control> {
        let (&code, body) = command.split_first()?;
        match code {
            COM_QUERY | COM_INIT_DB | COM_STMT_PREPARE => match std::str::from_utf8(body) {
                Ok(_) => None,
                Err(e) => {
                    let bad = &body[e.valid_up_to()..];
                    let hex: String = bad.iter().take(8).map(|b| format!("\\x{b:02X}")).collect();
                    Some(Control::Error(ProtocolError::new(
                        1300,
                        "HY000",
                        format!("Invalid utf8mb4 character string: '{hex}'"),
                    )))
                }
            },
            COM_CHANGE_USER => Some(Control::ChangeUser {
                payload: body.to_vec(),
                capabilities: self.capabilities,
            }),
            COM_RESET_CONNECTION => Some(Control::ResetConnection),
            COM_STMT_EXECUTE => {
                let id = body
                    .get(..4)
                    .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                Some(Control::Error(ProtocolError::new(
                    1243,
                    "HY000",
                    format!("Unknown prepared statement handler ({id}) given to mysqld_stmt_execute"),
                )))
            }
            _ => None,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for CommandReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if !this.ready_ends.is_empty() {
                this.hand_out(buf);
                return Poll::Ready(Ok(()));
            }
            if this.finished || this.control.close.load(Ordering::Acquire) {
                return Poll::Ready(Ok(()));
            }
            if this.take_command()? {
                continue;
            }
            let start = this.inbuf.len();
            this.inbuf.resize(start + READ_CHUNK, 0);
            let mut chunk = ReadBuf::new(&mut this.inbuf[start..]);
            let polled = Pin::new(&mut this.inner).poll_read(cx, &mut chunk);
            let n = chunk.filled().len();
            this.inbuf.truncate(start + n);
            ready!(polled)?;
            if n == 0 {
                // End of the stream; a partial command is dropped with it.
                this.finished = true;
            }
        }
    }
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;

/// The fields of a `COM_CHANGE_USER` payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeUser {
    /// The account name.
    pub user: String,
    /// The auth response, scrambled with the connection's original salt.
    pub auth_response: Vec<u8>,
    /// The database to use, if any.
    pub database: Option<String>,
    /// The auth plugin the response is for, when the client says.
    pub plugin: Option<String>,
}

/// `CLIENT_SECURE_CONNECTION`: the auth response is length-prefixed.
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
/// `CLIENT_PLUGIN_AUTH`: the plugin name follows the character set.
const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;

/// Decodes a `COM_CHANGE_USER` payload; `None` when it is malformed.
pub fn parse_change_user(payload: &[u8], capabilities: u32) -> Option<ChangeUser> {
    fn nul_terminated(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
        let end = bytes.iter().position(|b| *b == 0)?;
        Some((&bytes[..end], &bytes[end + 1..]))
    }
    let (user, rest) = nul_terminated(payload)?;
    let (auth, rest) = if capabilities & CLIENT_SECURE_CONNECTION != 0 {
        let (&len, rest) = rest.split_first()?;
        let len = usize::from(len);
        (rest.get(..len)?, rest.get(len..)?)
    } else {
        nul_terminated(rest)?
    };
    let (database, rest) = match nul_terminated(rest) {
        Some((db, rest)) => (db, rest),
        None => (rest, &[][..]),
    };
    let plugin = if capabilities & CLIENT_PLUGIN_AUTH != 0 {
        rest.get(2..)
            .and_then(nul_terminated)
            .map(|(p, _)| String::from_utf8_lossy(p).to_string())
    } else {
        None
    };
    Some(ChangeUser {
        user: String::from_utf8(user.to_vec()).ok()?,
        auth_response: auth.to_vec(),
        database: (!database.is_empty())
            .then(|| String::from_utf8(database.to_vec()).ok())
            .flatten(),
        plugin,
    })
}
