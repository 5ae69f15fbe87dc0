#![allow(clippy::unwrap_used)]
use tokio::io::AsyncReadExt;

use super::*;

fn packet(seq: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len();
    let mut p = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, seq];
    p.extend_from_slice(body);
    p
}

const LIMITS: Limits = Limits {
    before_login: 1024,
    after_login: 64 << 20,
};

struct Fixture {
    logged_in: Arc<AtomicBool>,
    control: ControlSlot,
}

impl Fixture {
    fn new(logged_in: bool) -> Self {
        Self {
            logged_in: Arc::new(AtomicBool::new(logged_in)),
            control: ControlSlot::default(),
        }
    }

    fn reader<'a>(&self, wire: &'a [u8]) -> CommandReader<&'a [u8]> {
        CommandReader::new(
            wire,
            LIMITS,
            Arc::clone(&self.logged_in),
            Arc::clone(&self.control),
        )
    }
}

/// Every read of `reader` until the end, one chunk per read.
async fn reads<R: AsyncRead + Unpin>(mut reader: R, size: usize) -> io::Result<Vec<Vec<u8>>> {
    let mut chunks = Vec::new();
    loop {
        let mut buf = vec![0u8; size];
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(chunks);
        }
        chunks.push(buf[..n].to_vec());
    }
}

fn control_query() -> Vec<u8> {
    let mut body = vec![COM_QUERY];
    body.extend_from_slice(CONTROL_QUERY.as_bytes());
    packet(0, &body)
}

#[tokio::test]
async fn each_read_stays_inside_one_packet() {
    // The handshake response and a query arrive in one socket read.
    let mut wire = packet(1, b"\xff\xff\xff\xff-handshake");
    wire.extend(packet(0, b"\x03select 1"));
    let f = Fixture::new(false);
    let mut reader = f.reader(&wire);
    let mut buf = [0u8; 64];
    let n = reader.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..4], &[14, 0, 0, 1]);
    // Bit 23 (byte 2, 0x80) cleared in the handshake response only.
    assert_eq!(&buf[4..8], b"\xff\xff\x7f\xff");
    assert_eq!(n, 18);
    f.logged_in.store(true, Ordering::Release);
    let rest = reads(reader, 64).await.unwrap();
    assert_eq!(rest, vec![packet(0, b"\x03select 1")]);
}

#[tokio::test]
async fn small_buffers_get_partial_packets_in_order() {
    let mut wire = packet(0, b"\x03abcdef");
    wire.extend(packet(0, b"\x03xyz"));
    let f = Fixture::new(true);
    let chunks = reads(f.reader(&wire), 3).await.unwrap();
    assert_eq!(chunks.concat(), wire);
    assert!(chunks.iter().all(|c| c.len() <= 3));
}

#[tokio::test]
async fn continuation_packets_are_numbered_by_the_reader() {
    let big = vec![b'a'; MAX_PAYLOAD];
    let mut first = vec![COM_QUERY];
    first.extend_from_slice(&big[1..]);
    let mut wire = packet(7, &first);
    wire.extend(packet(8, b"tail"));
    let f = Fixture::new(true);
    let chunks = reads(f.reader(&wire), 1 << 25).await.unwrap();
    assert_eq!(chunks.len(), 2, "one packet per read");
    assert_eq!(&chunks[0][..4], &[0xff, 0xff, 0xff, 0]);
    assert_eq!(chunks[1], packet(1, b"tail"));
    assert!(f.control.take().is_none());
}

#[tokio::test]
async fn out_of_order_continuations_become_a_fatal_error() {
    let big = vec![COM_QUERY; MAX_PAYLOAD];
    let mut wire = packet(0, &big);
    wire.extend(packet(5, b"tail"));
    wire.extend(packet(0, b"\x03select 1"));
    let f = Fixture::new(true);
    let chunks = reads(f.reader(&wire), 1 << 25).await.unwrap();
    assert_eq!(chunks, vec![control_query()], "nothing after the fatal error");
    let Some(Control::Fatal(e)) = f.control.take() else {
        panic!("no control")
    };
    assert_eq!((e.errno, e.sqlstate), (1156, "08S01"));
}

#[tokio::test]
async fn invalid_utf8_becomes_an_error_and_the_connection_goes_on() {
    let mut wire = packet(0, b"\x03select '\xff\xfe'");
    wire.extend(packet(0, b"\x03select 1"));
    let f = Fixture::new(true);
    let mut reader = f.reader(&wire);
    let mut buf = [0u8; 256];
    let n = reader.read(&mut buf).await.unwrap();
    assert_eq!(buf[..n], control_query()[..]);
    let Some(Control::Error(e)) = f.control.take() else {
        panic!("no control")
    };
    assert_eq!((e.errno, e.sqlstate), (1300, "HY000"));
    assert!(e.message.contains("\\xFF\\xFE"), "{}", e.message);
    let rest = reads(reader, 256).await.unwrap();
    assert_eq!(rest, vec![packet(0, b"\x03select 1")]);
}

#[tokio::test]
async fn commands_opensrv_gets_wrong_are_replaced() {
    type Expect = fn(&Control) -> bool;
    let cases: Vec<(Vec<u8>, Expect)> = vec![
        (b"\x1f".to_vec(), |c| *c == Control::ResetConnection),
        (
            b"\x11root\x00\x00".to_vec(),
            |c| matches!(c, Control::ChangeUser { payload, capabilities: 0 } if payload == b"root\x00\x00"),
        ),
        (
            b"\x17\x05\x00\x00\x00\x00\x01\x00\x00\x00".to_vec(),
            |c| matches!(c, Control::Error(e) if e.errno == 1243 && e.message.contains("(5)")),
        ),
    ];
    for (command, expected) in cases {
        let wire = packet(0, &command);
        let f = Fixture::new(true);
        let chunks = reads(f.reader(&wire), 256).await.unwrap();
        assert_eq!(chunks, vec![control_query()]);
        let control = f.control.take().expect("control");
        assert!(expected(&control), "{command:?}: {control:?}");
    }
    // COM_STMT_SEND_LONG_DATA gets no answer: it is dropped.
    let mut wire = packet(0, b"\x18\x01\x00\x00\x00\x00\x00data");
    wire.extend(packet(0, b"\x0e"));
    let f = Fixture::new(true);
    assert_eq!(
        reads(f.reader(&wire), 256).await.unwrap(),
        vec![packet(0, b"\x0e")]
    );
}

#[tokio::test]
async fn oversized_commands_are_refused_before_they_are_buffered() {
    // After login: an announced 100 MB query gets ERR 1153 at once.
    let wire = [0xff, 0xff, 0xff, 0, 0x03, b's'];
    let f = Fixture::new(true);
    let limits = Limits {
        before_login: 1024,
        after_login: 1 << 20,
    };
    let reader = CommandReader::new(
        &wire[..],
        limits,
        Arc::clone(&f.logged_in),
        Arc::clone(&f.control),
    );
    assert_eq!(reads(reader, 256).await.unwrap(), vec![control_query()]);
    let Some(Control::Fatal(e)) = f.control.take() else {
        panic!("no control")
    };
    assert_eq!(e.errno, 1153);
    // Before login: a handshake response over the limit closes the connection.
    let wire = packet(1, &vec![0u8; 2048]);
    let f = Fixture::new(false);
    let err = reads(f.reader(&wire), 4096).await.expect_err("too big");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn handshake_bit_is_cleared_whatever_the_read_sizes() {
    let wire = packet(9, b"\x00\x00\x80\x00rest");
    let f = Fixture::new(false);
    let chunks = reads(f.reader(&wire), 1).await.unwrap();
    let out = chunks.concat();
    assert_eq!(out[3], 1, "the handshake response is sequence 1");
    assert_eq!(&out[4..8], b"\x00\x00\x00\x00");
}

#[test]
fn change_user_payloads_decode() {
    let caps = CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    let mut payload = b"bob\x00".to_vec();
    payload.push(3);
    payload.extend_from_slice(b"abc");
    payload.extend_from_slice(b"shop\x00\x21\x00mysql_native_password\x00");
    let got = parse_change_user(&payload, caps).unwrap();
    assert_eq!(got.user, "bob");
    assert_eq!(got.auth_response, b"abc");
    assert_eq!(got.database.as_deref(), Some("shop"));
    assert_eq!(got.plugin.as_deref(), Some("mysql_native_password"));
    // Old style: NUL-terminated response, no database.
    let got = parse_change_user(b"bob\x00xyz\x00\x00", 0).unwrap();
    assert_eq!((got.auth_response.as_slice(), got.database), (&b"xyz"[..], None));
    // Truncated payloads are refused, not read past their end.
    assert!(parse_change_user(b"bob", caps).is_none());
    assert!(parse_change_user(b"bob\x00\x09ab", caps).is_none());
}

#[tokio::test]
async fn fuzzed_byte_streams_never_panic() {
    let mut rng = parser::fuzz::Rng::new(99);
    for round in 0..2000 {
        let mut wire = Vec::new();
        for _ in 0..1 + rng.below(6) {
            let len = if rng.below(20) == 0 {
                MAX_PAYLOAD
            } else {
                rng.below(300)
            };
            let mut body: Vec<u8> = (0..len.min(4096)).map(|_| rng.below(256) as u8).collect();
            if let Some(b) = body.first_mut() {
                *b = [
                    COM_QUERY,
                    COM_CHANGE_USER,
                    COM_RESET_CONNECTION,
                    COM_STMT_EXECUTE,
                    0x18,
                    0x0e,
                    0x02,
                ][rng.below(7)];
            }
            let seq = rng.below(256) as u8;
            wire.extend_from_slice(&[len as u8, (len >> 8) as u8, (len >> 16) as u8, seq]);
            wire.extend_from_slice(&body);
        }
        let cut = rng.below(wire.len() + 1);
        wire.truncate(cut);
        let f = Fixture::new(round % 3 != 0);
        let size = 1 + rng.below(5000);
        let read = reads(f.reader(&wire), size).await;
        if let Ok(chunks) = read {
            for chunk in chunks {
                assert!(chunk.len() <= size);
            }
        }
    }
}
