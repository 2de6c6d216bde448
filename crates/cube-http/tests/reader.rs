//! The request reader on its own: framing and limits on known inputs split at every
//! point, and a randomized smoke run of the `http_request` fuzz target's loop (stable,
//! deterministic seeds) over mutations of valid requests.

use cube_http::request::{Limits, Progress, Reader, Reject};

fn limits() -> Limits {
    Limits {
        max_header_bytes: 512,
        max_body_bytes: 256,
        ..Limits::default()
    }
}

/// Feeds `bytes` in pieces of `step`; the completed requests' (target, body), or the
/// refusal.
fn run(bytes: &[u8], step: usize) -> Result<Vec<(String, Vec<u8>)>, Reject> {
    let l = limits();
    let mut r = Reader::new();
    let mut done = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        r.feed(piece);
        loop {
            match r.next(&l)? {
                Progress::Done(req) => {
                    assert!(req.body.len() <= l.max_body_bytes);
                    done.push((req.head.target, req.body));
                }
                Progress::Continue => {}
                Progress::Head(_) => unreachable!("not streaming"),
                Progress::NeedMore => break,
            }
        }
    }
    Ok(done)
}

#[test]
fn framing_is_the_same_at_every_split() {
    let input = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST /b?x=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\nGET /c HTTP/1.1\r\n\r\n";
    let want = vec![
        ("/a".to_string(), b"hello".to_vec()),
        ("/b?x=1".to_string(), b"abcde".to_vec()),
        ("/c".to_string(), Vec::new()),
    ];
    for step in 1..input.len() {
        assert_eq!(run(input, step).unwrap(), want, "split every {step} bytes");
    }
}

#[test]
fn limits_are_checked_before_the_bytes_arrive() {
    // The announced length alone is refused: nothing is read or reserved for it.
    let r = run(b"POST / HTTP/1.1\r\nContent-Length: 257\r\n\r\n", 1000);
    assert_eq!(r, Err(Reject::BodyTooLarge));
    let r = run(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
        1000,
    );
    assert_eq!(r, Err(Reject::BodyTooLarge));
    let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 600));
    assert_eq!(run(&big, 1000), Err(Reject::HeadTooLarge));
    let r = run(
        b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        1000,
    );
    assert!(matches!(r, Err(Reject::Bad(_))));
}

#[test]
fn random_mutations_never_panic() {
    let seeds: [&[u8]; 3] = [
        b"GET /x?a=b HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
        b"POST /y HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody",
        b"PUT /z HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n",
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20_000 {
        let mut input = seeds[(next() % 3) as usize].to_vec();
        for _ in 0..(next() % 6) {
            let at = (next() as usize) % (input.len() + 1);
            match next() % 4 {
                0 if at < input.len() => input[at] = next() as u8,
                1 if at < input.len() => {
                    input.remove(at);
                }
                2 => input.insert(at, b"\r\n:;0f- "[(next() % 8) as usize]),
                _ => input.extend_from_slice(&input.clone()),
            }
        }
        let _ = run(&input, (next() % 17) as usize + 1);
    }
}

/// Streams `bytes` fed in pieces of `step`, taking body pieces of at most `max`; the
/// heads' targets with their decoded bodies, or the refusal.
fn run_streamed(
    bytes: &[u8],
    step: usize,
    max: usize,
    l: &Limits,
) -> Result<Vec<(String, Vec<u8>)>, Reject> {
    use cube_http::request::Piece;
    let mut r = Reader::new();
    let mut done: Vec<(String, Vec<u8>)> = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        r.feed(piece);
        loop {
            if r.streaming() {
                match r.next_piece(max, l)? {
                    Piece::Data(d) => {
                        assert!(!d.is_empty() && d.len() <= max);
                        done.last_mut().unwrap().1.extend_from_slice(&d);
                    }
                    Piece::End => {}
                    Piece::NeedMore => break,
                }
                continue;
            }
            match r.next(l)? {
                Progress::Head(head) => done.push((head.target, Vec::new())),
                Progress::Done(req) => done.push((req.head.target, req.body)),
                Progress::Continue => {}
                Progress::NeedMore => break,
            }
        }
    }
    Ok(done)
}

#[test]
fn streamed_pieces_decode_as_whole_bodies_at_every_split() {
    let l = Limits {
        stream: true,
        max_stream_bytes: 10,
        ..limits()
    };
    let input = b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\nGET /c HTTP/1.1\r\n\r\n";
    let want = vec![
        ("/a".to_string(), b"hello".to_vec()),
        ("/b".to_string(), b"abcde".to_vec()),
        ("/c".to_string(), Vec::new()),
    ];
    for step in 1..input.len() {
        for max in [1, 2, 64] {
            assert_eq!(
                run_streamed(input, step, max, &l).unwrap(),
                want,
                "{step} {max}"
            );
        }
    }
    // The stream limit, not max_body_bytes: 11 bytes announced or chunked are refused.
    let r = run_streamed(b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 100, 4, &l);
    assert_eq!(r, Err(Reject::BodyTooLarge));
    let r = run_streamed(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n",
        3,
        4,
        &l,
    );
    assert_eq!(r, Err(Reject::BodyTooLarge));
    let r = run_streamed(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
        1,
        4,
        &l,
    );
    assert!(matches!(r, Err(Reject::Bad(_))));
}
