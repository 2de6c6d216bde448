//! The WebSocket input path (`cube_http::ws::Decoder`, the reactor's own decoding)
//! on RFC 6455's example frames and on hostile bytes: the right message or the right
//! close, never a panic. The `ws_frames` fuzz target explores the same path.

use cube_http::ws::{Decoder, Event};

/// A masked client frame (payload under 126 bytes).
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![first, 0x80 | payload.len() as u8];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

fn events(d: &mut Decoder) -> Vec<Event> {
    let mut out = Vec::new();
    loop {
        match d.read() {
            Event::Pending => return out,
            Event::Yield => {}
            e @ Event::Closed { .. } => {
                out.push(e);
                return out;
            }
            e => out.push(e),
        }
    }
}

fn closed(code: u16) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Closed { code: c, .. } if *c == code)
}

#[test]
fn rfc_examples_at_every_split() {
    // RFC 6455 5.7: a masked "Hello", then "Hello" in two fragments (masked here, as a
    // client must), then a masked ping "Hello" (answered by an unmasked pong).
    let mut input = vec![
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    input.extend(frame(0x01, b"Hel"));
    input.extend(frame(0x80, b"lo"));
    input.extend(frame(0x89, b"Hello"));
    for step in 1..=input.len() {
        let mut d = Decoder::new(1024);
        let mut got = Vec::new();
        for piece in input.chunks(step) {
            d.feed(piece);
            got.extend(events(&mut d));
        }
        assert_eq!(
            got,
            [
                Event::Text(b"Hello".to_vec()),
                Event::Text(b"Hello".to_vec())
            ],
            "step {step}"
        );
        let _ = d.read();
        assert_eq!(d.take_output(), [0x8a, 0x05, b'H', b'e', b'l', b'l', b'o']);
    }
}

#[test]
fn bad_input_closes_with_its_code() {
    let cases: Vec<(Vec<u8>, u16)> = vec![
        (vec![0x81, 0x02, b'h', b'i'], 1002),     // unmasked
        (frame(0x83, b"x"), 1002),                // reserved opcode
        (frame(0xc1, b"x"), 1002),                // RSV1 without an extension
        (frame(0x09, b""), 1002),                 // fragmented control frame
        (frame(0x80, b"x"), 1002),                // continuation of nothing
        (frame(0x81, b"\xc3\x28"), 1007),         // not UTF-8
        (frame(0x88, &[0x03, 0xe8, 0xff]), 1007), // close reason not UTF-8
        (frame(0x88, &[0x03]), 1002),             // close payload of 1 byte
        (
            vec![
                0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4,
            ],
            1009,
        ), // 2^63-1
        (
            [frame(0x02, &[0; 100]), frame(0x80, &[0; 100])].concat(),
            1009,
        ), // fragments over 128
    ];
    for (bytes, code) in cases {
        let mut d = Decoder::new(128);
        d.feed(&bytes);
        let got = events(&mut d);
        assert!(got.last().is_some_and(closed(code)), "{bytes:x?}: {got:?}");
        let out = d.take_output();
        if code != 1006 {
            // Our close frame, with that code.
            assert_eq!(out[0], 0x88, "{bytes:x?}: {out:x?}");
            assert_eq!(u16::from_be_bytes([out[2], out[3]]), code);
        }
    }
}

#[test]
fn a_client_close_is_echoed() {
    let mut d = Decoder::new(128);
    d.feed(&frame(0x88, &[0x0f, 0xa0, b'b', b'y', b'e']));
    assert_eq!(
        events(&mut d),
        [Event::Closed {
            code: 4000,
            reason: "bye".into()
        }]
    );
    assert_eq!(d.take_output(), [0x88, 0x05, 0x0f, 0xa0, b'b', b'y', b'e']);
}

#[test]
fn random_bytes_never_panic() {
    // xorshift from a fixed seed: the same inputs every run.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..3000 {
        let len = (next() % 300) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 && !bytes.is_empty() {
            bytes[0] = 0x81 | (bytes[0] & 0x0e);
            if bytes.len() > 1 {
                bytes[1] |= 0x80;
            }
        }
        let mut d = Decoder::new(64);
        for piece in bytes.chunks((next() % 17 + 1) as usize) {
            d.feed(piece);
            for e in events(&mut d) {
                match e {
                    Event::Text(t) => assert!(t.len() <= 64 && std::str::from_utf8(&t).is_ok()),
                    Event::Binary(b) => assert!(b.len() <= 64),
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn a_ping_flood_yields_and_every_ping_is_answered() {
    let mut d = Decoder::new(128);
    for _ in 0..200 {
        d.feed(&frame(0x89, b"p"));
    }
    d.feed(&frame(0x81, b"after"));
    let mut yields = 0;
    let got = loop {
        match d.read() {
            Event::Yield => yields += 1,
            e => break e,
        }
    };
    assert_eq!(got, Event::Text(b"after".to_vec()));
    assert_eq!(yields, 3, "64 control frames per call");
    let out = d.take_output();
    assert_eq!(out, [0x8a, 0x01, b'p'].repeat(200));
}
