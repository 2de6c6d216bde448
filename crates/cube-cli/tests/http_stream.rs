//! Streamed request bodies (README "HTTP"): a route with `stream_request_body` reads
//! its body piece by piece with `req:read`, against raw TCP clients (exact framing,
//! 100-continue, keep-alive after an unread body, hostile chunk sizes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

mod common;
use common::{serve_script, Server};

fn start() -> Server {
    serve_script(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http/stream_server.lua"),
        &[],
    )
}

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

/// Reads one response (Content-Length framed); (status, headers, body).
fn response(r: &mut BufReader<TcpStream>) -> (u16, String, Vec<u8>) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap() == 0 {
            panic!("closed in a head: {head:?}");
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (status, head, body)
}

fn adler32(data: &[u8]) -> u64 {
    let (mut a, mut b) = (1u64, 0u64);
    for &x in data {
        a = (a + x as u64) % 65521;
        b = (b + a) % 65521;
    }
    b * 65536 + a
}

fn payload(n: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_u32;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn summary(body: &[u8]) -> (usize, usize, u64) {
    let s = String::from_utf8_lossy(body);
    let v: Vec<u64> = s.split(' ').map(|p| p.parse().unwrap()).collect();
    (v[0] as usize, v[1] as usize, v[2])
}

#[test]
fn several_mib_streamed_with_content_length_and_chunked() {
    let srv = start();
    let data = payload(3 * 1024 * 1024 + 17);
    let s = connect(srv.port);
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    // Content-Length, written from another thread while the handler reads.
    let head = format!(
        "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        data.len()
    );
    let d2 = data.clone();
    let writer = std::thread::spawn(move || {
        w.write_all(head.as_bytes()).unwrap();
        w.write_all(&d2).unwrap();
        // Then chunked, on the same kept-alive connection, in uneven chunks.
        w.write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        let mut rest = &d2[..];
        let mut k = 1;
        while !rest.is_empty() {
            let n = (k * 7919 % 200_000 + 1).min(rest.len());
            w.write_all(format!("{n:x};ext=1\r\n").as_bytes()).unwrap();
            w.write_all(&rest[..n]).unwrap();
            w.write_all(b"\r\n").unwrap();
            rest = &rest[n..];
            k += 1;
        }
        w.write_all(b"0\r\nX-Trailer: y\r\n\r\n").unwrap();
        w
    });
    for framing in ["content-length", "chunked"] {
        let (status, _, body) = response(&mut r);
        assert_eq!(status, 200, "{framing}: {}", String::from_utf8_lossy(&body));
        let (pieces, len, sum) = summary(&body);
        assert_eq!(len, data.len(), "{framing}");
        assert_eq!(sum, adler32(&data), "{framing}");
        // Several MiB in pieces of at most 100000 bytes: many pieces.
        assert!(pieces >= data.len() / 100_000, "{framing}: {pieces} pieces");
    }
    writer.join().unwrap();
}

#[test]
fn streamed_body_over_the_limit_is_413() {
    let srv = start();
    // Announced: refused at the head.
    let mut s = connect(srv.port);
    s.write_all(b"POST /upload HTTP/1.1\r\nContent-Length: 9000000\r\n\r\n")
        .unwrap();
    let (status, _, _) = response(&mut BufReader::new(s));
    assert_eq!(status, 413);
    // Chunked: refused mid-stream, when a chunk would pass the limit; the handler's
    // read fails and the connection closes.
    let s = connect(srv.port);
    let mut w = s.try_clone().unwrap();
    w.write_all(b"POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..10 {
        if w.write_all(b"100000\r\n").is_err()
            || w.write_all(&chunk).is_err()
            || w.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let mut r = BufReader::new(s);
    let (status, _, _) = response(&mut r);
    assert_eq!(status, 413);
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
}

#[test]
fn expect_100_continue_is_answered_at_the_first_read() {
    let srv = start();
    let s = connect(srv.port);
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    w.write_all(b"POST /upload HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "HTTP/1.1 100 Continue\r\n");
    line.clear();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "\r\n");
    w.write_all(b"hello").unwrap();
    let (status, _, body) = response(&mut r);
    assert_eq!(status, 200);
    assert_eq!(summary(&body), (1, 5, adler32(b"hello")));
    // A handler that never reads: no 100, and the connection closes after the answer
    // (the client may never send the body).
    w.write_all(b"POST /ignore HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    let (status, head, body) = response(&mut r);
    assert_eq!((status, &body[..]), (200, &b"ignored"[..]));
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
}

#[test]
fn unread_body_is_drained_and_keep_alive_goes_on() {
    let srv = start();
    let s = connect(srv.port);
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let body = payload(100_000);
    w.write_all(
        format!(
            "POST /ignore HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .unwrap();
    w.write_all(&body).unwrap();
    w.write_all(b"POST /whole HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        .unwrap();
    let (status, head, b) = response(&mut r);
    assert_eq!((status, &b[..]), (200, &b"ignored"[..]));
    assert!(
        !head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    // A route that does not stream gets its body whole, on the same connection.
    let (status, _, b) = response(&mut r);
    assert_eq!((status, &b[..]), (200, &b"whole abc"[..]));
    // Its max_body_bytes still holds.
    w.write_all(b"POST /whole HTTP/1.1\r\nContent-Length: 1001\r\n\r\n")
        .unwrap();
    let (status, _, _) = response(&mut r);
    assert_eq!(status, 413);
}

#[test]
fn request_handler_data_received() {
    let srv = start();
    let mut s = connect(srv.port);
    s.write_all(b"PUT /tornado HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        .unwrap();
    let (status, _, b) = response(&mut BufReader::new(s));
    assert_eq!((status, &b[..]), (200, &b"put 7"[..]));
}

#[test]
fn malformed_chunk_sizes_are_400() {
    let srv = start();
    for bad in [
        &b"zz\r\nab\r\n0\r\n\r\n"[..],
        b"-5\r\nabcde\r\n0\r\n\r\n",
        b"3\r\nabcXX0\r\n\r\n",
        b"ffffffffffffffffffff\r\n",
    ] {
        let mut s = connect(srv.port);
        s.write_all(b"POST /upload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        s.write_all(bad).unwrap();
        let mut r = BufReader::new(s);
        let (status, _, _) = response(&mut r);
        assert!(
            status == 400 || status == 413,
            "{:?}: {status}",
            String::from_utf8_lossy(bad)
        );
        // And the connection closes.
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest);
        assert!(rest.is_empty());
    }
}
