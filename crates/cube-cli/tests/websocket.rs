//! WebSockets of the `http` library (cube-http's ws.rs) against real clients: Python's
//! `websockets` package (scripts/test installs it) for the protocol as a browser
//! speaks it, raw TCP sockets for handshakes and frames no good client sends. Every
//! server is a `cube-cli run` script that prints its port; every test has deadlines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::{serve_script, Server, CUBE};

fn ws_server() -> Server {
    serve_script(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http/ws_server.lua"),
        &[],
    )
}

/// Runs a Python program (with `port` defined) and returns its output.
fn python(port: u16, code: &str) -> String {
    let prog =
        format!("import sys\nfrom websockets.sync.client import connect\nport = {port}\n{code}");
    let out = Command::new("timeout")
        .args(["60", "python3", "-c", &prog])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn echo_binary_order_and_ping_with_python_websockets() {
    let srv = ws_server();
    let out = python(
        srv.port,
        r#"
with connect(f"ws://127.0.0.1:{port}/echo", open_timeout=10) as ws:
    ws.send("hi é"); print(ws.recv(timeout=10))
    ws.send(b"\x00\x01\xffbin"); print(ws.recv(timeout=10))
    for i in range(300): ws.send(str(i))
    got = [ws.recv(timeout=10) for i in range(300)]
    print(got == [str(i) for i in range(300)])
    print(ws.ping(b"p").wait(10))
    ws.send("x" * 1024); print(len(ws.recv(timeout=10)))
"#,
    );
    assert_eq!(
        out, "hi é\nb'\\x00\\x01\\xffbin'\nTrue\nTrue\n1024\n",
        "echoed in order, binary stays binary, a ping is answered, the limit is inclusive"
    );
}

#[test]
fn tornado_websocket_handler_shape() {
    let srv = ws_server();
    let out = python(
        srv.port,
        r#"
with connect(f"ws://127.0.0.1:{port}/tornado?name=bob", open_timeout=10) as ws:
    print(ws.recv(timeout=10))
    ws.send("x"); print(ws.recv(timeout=10))
    ws.send(b"y"); print(ws.recv(timeout=10))
"#,
    );
    assert_eq!(out, "hello bob\ntext x\nbinary y\n");
}

#[test]
fn subprotocols_are_negotiated() {
    let srv = ws_server();
    let out = python(
        srv.port,
        r#"
def proto(path, offered):
    with connect(f"ws://127.0.0.1:{port}{path}", subprotocols=offered, open_timeout=10) as ws:
        print(ws.subprotocol, end=" ")
        if path == "/echo":
            ws.send("protocol?"); print(ws.recv(timeout=10), end="")
        print()
proto("/echo", ["x", "b", "a"])
proto("/echo", ["x"])
proto("/echo", None)
proto("/tornado", ["x", "y"])
"#,
    );
    assert_eq!(
        out, "b b b\nNone nil nil\nNone nil nil\ny \n",
        "the route's list in the client's order of preference; select_subprotocol decides"
    );
}

#[test]
fn close_codes_seen_by_the_client() {
    let srv = ws_server();
    let out = python(
        srv.port,
        r#"
def closed(path, send):
    with connect(f"ws://127.0.0.1:{port}{path}", open_timeout=10) as ws:
        if send is not None: ws.send(send)
        try:
            ws.recv(timeout=10)
        except Exception as e:
            print(ws.close_code, ws.close_reason)
closed("/echo", "close-me")
closed("/echo", "x" * 1025)
closed("/crash", None)
with connect(f"ws://127.0.0.1:{port}/echo", open_timeout=10) as ws:
    ws.close(1000, "bye")
    print(ws.close_code)
"#,
    );
    assert_eq!(
        out,
        "4000 asked\n1009 Message too long: 1025 > 1024\n1011 internal error\n1000\n",
        "ws:close(code, reason), a message over max_message_bytes, a handler error, a client's close"
    );
}

#[test]
fn a_flood_waits_for_a_slow_process_and_loses_nothing() {
    let srv = ws_server();
    // The handler receives nothing for a second: the server reads ahead only its
    // window, TCP holds the rest, and every message arrives once it reads on.
    let out = python(
        srv.port,
        r#"
with connect(f"ws://127.0.0.1:{port}/slow", open_timeout=10) as ws:
    for i in range(3000): ws.send("m" * 100)
    ws.send("end")
    print(ws.recv(timeout=30))
"#,
    );
    assert_eq!(out, "3001 300003\n");
}

/// Opens a raw connection and sends `request`; returns the socket and the response
/// head.
fn raw_handshake(port: u16, request: &str) -> (TcpStream, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => break,
        }
    }
    (s, String::from_utf8_lossy(&head).into_owned())
}

const UPGRADE: &str = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
    Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// A client frame: FIN, `opcode`, masked with a fixed key unless `masked` is false.
fn frame(opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    assert!(payload.len() < 126);
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut f = vec![
        0x80 | opcode,
        payload.len() as u8 | if masked { 0x80 } else { 0 },
    ];
    if masked {
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

/// Reads server frames until a close frame; returns its code, or None if the
/// connection ended without one.
fn close_code(s: &mut TcpStream) -> Option<u16> {
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    let mut i = 0;
    while i + 2 <= all.len() {
        let (op, len) = (all[i] & 0x0f, (all[i + 1] & 0x7f) as usize);
        assert_eq!(all[i + 1] & 0x80, 0, "server frames are not masked");
        let body = all.get(i + 2..i + 2 + len)?;
        if op == 8 {
            return Some(u16::from_be_bytes([body[0], body[1]]));
        }
        i += 2 + len;
    }
    None
}

#[test]
fn handshake_accept_key_and_early_frames() {
    let srv = ws_server();
    // The request and a first frame in one write: the frame must not be lost.
    let mut req = UPGRADE.as_bytes().to_vec();
    req.extend(frame(1, b"early", true));
    let mut s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&req).unwrap();
    let mut got = vec![0u8; 256];
    let mut n = 0;
    while !got[..n].windows(5).any(|w| w == b"early") {
        let k = s.read(&mut got[n..]).unwrap();
        assert!(
            k > 0,
            "closed early: {:?}",
            String::from_utf8_lossy(&got[..n])
        );
        n += k;
    }
    let text = String::from_utf8_lossy(&got[..n]);
    assert!(
        text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{text}"
    );
    // RFC 6455 1.3's example key and accept value.
    assert!(
        text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
        "{text}"
    );
    assert!(got[..n].ends_with(&[0x81, 5, b'e', b'a', b'r', b'l', b'y']));
}

#[test]
fn bad_handshakes_get_400_or_426() {
    let srv = ws_server();
    let (_, head) = raw_handshake(srv.port, &UPGRADE.replace("Version: 13", "Version: 8"));
    assert!(head.starts_with("HTTP/1.1 426 "), "{head}");
    assert!(head.contains("Sec-WebSocket-Version: 13\r\n"), "{head}");
    let (_, head) = raw_handshake(
        srv.port,
        &UPGRADE.replace("dGhlIHNhbXBsZSBub25jZQ==", "short"),
    );
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    let (_, head) = raw_handshake(srv.port, &UPGRADE.replace("GET", "POST"));
    assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
    // A plain GET of a WebSocket endpoint.
    let (_, head) = raw_handshake(srv.port, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 426 "), "{head}");
    assert!(head.contains("Upgrade: websocket\r\n"), "{head}");
}

#[test]
fn cross_origin_upgrades_are_refused_unless_the_route_allows_them() {
    let srv = ws_server();
    let with_origin = |path: &str, origin: &str| {
        let req = UPGRADE
            .replace("/echo", path)
            .replace("Host: x\r\n", &format!("Host: x\r\nOrigin: {origin}\r\n"));
        let (_, head) = raw_handshake(srv.port, &req);
        head.lines().next().unwrap_or("").to_string()
    };
    // The default, Tornado's: the Origin's host must be the Host.
    assert!(with_origin("/echo", "http://x").starts_with("HTTP/1.1 101 "));
    assert!(with_origin("/echo", "https://X").starts_with("HTTP/1.1 101 "));
    assert!(with_origin("/echo", "http://evil.example").starts_with("HTTP/1.1 403 "));
    assert!(with_origin("/echo", "null").starts_with("HTTP/1.1 403 "));
    // A route's check_origin decides for itself.
    assert!(with_origin("/tornado", "https://friend.example").starts_with("HTTP/1.1 101 "));
    assert!(with_origin("/tornado", "http://x").starts_with("HTTP/1.1 403 "));
}

#[test]
fn garbage_frames_close_with_the_right_code() {
    let srv = ws_server();
    let cases: Vec<(&str, Vec<u8>, Option<u16>)> = vec![
        ("unmasked frame", frame(1, b"hi", false), Some(1002)),
        ("reserved opcode", frame(3, b"hi", true), Some(1002)),
        (
            "reserved bits",
            {
                let mut f = frame(1, b"hi", true);
                f[0] |= 0x40;
                f
            },
            Some(1002),
        ),
        (
            "fragmented ping",
            {
                let mut f = frame(9, b"", true);
                f[0] &= 0x7f;
                f
            },
            Some(1002),
        ),
        ("bad UTF-8 text", frame(1, b"\xff\xfe", true), Some(1007)),
        // Declares 2^62 bytes: refused before anything is allocated.
        (
            "huge length",
            vec![0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
            Some(1009),
        ),
        (
            "random bytes",
            (0..200u32).map(|i| (i * 7919 % 251) as u8).collect(),
            None,
        ),
    ];
    for (what, bytes, want) in cases {
        let (mut s, head) = raw_handshake(srv.port, UPGRADE);
        assert!(head.starts_with("HTTP/1.1 101 "), "{what}: {head}");
        s.write_all(&bytes).unwrap();
        let got = close_code(&mut s);
        // Random bytes: any close code, or none; the point is that the connection ends.
        if let Some(code) = want {
            assert_eq!(got, Some(code), "{what}");
        }
    }
    // The server still serves.
    let (mut s, _) = raw_handshake(srv.port, UPGRADE);
    s.write_all(&frame(1, b"still here", true)).unwrap();
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).unwrap();
    assert_eq!(&buf[2..], b"still here");
}

#[test]
fn example_chat_broadcasts_between_client_processes() {
    let srv = serve_script(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/web/chat.lua"),
        &["127.0.0.1:0"],
    );
    let out = python(
        srv.port,
        r#"
import time
a = connect(f"ws://127.0.0.1:{port}/chat?name=ann", open_timeout=10)
print(a.recv(timeout=10))
b = connect(f"ws://127.0.0.1:{port}/chat?name=bo", open_timeout=10)
print(a.recv(timeout=10)); print(b.recv(timeout=10))
b.send("hello"); print(a.recv(timeout=10)); print(b.recv(timeout=10))
b.close()
print(a.recv(timeout=10))
a.close()
c = connect(f"ws://127.0.0.1:{port}/chat", open_timeout=10)
try:
    c.recv(timeout=10)
except Exception:
    print(c.close_code)
"#,
    );
    assert_eq!(
        out,
        "* ann joined\n* bo joined\n* bo joined\nbo: hello\nbo: hello\n* bo left\n1008\n"
    );
}

const PINGING: &str = r#"
local srv = http.server{listen = "127.0.0.1:0", ping_interval = 0.3, ping_timeout = 1,
  routes = {["/ws"] = {websocket = function(ws)
    while true do
      local m = process.receive()
      if m.type == "close" then
        print("closed", m.code, m.reason)
        io.stdout:flush()
        break
      end
      ws:send(m.data)
    end
  end}}}
print(srv:port())
io.stdout:flush()
process.receive()
"#;

#[test]
fn pings_keep_a_live_peer_and_end_a_silent_one() {
    let dir = std::env::temp_dir().join(format!("cube-ws-ping-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("pinging.lua");
    std::fs::write(&script, PINGING).unwrap();
    let mut child = Command::new(CUBE)
        .arg("run")
        .arg(&script)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let srv = Server {
        child,
        port: rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap()
            .parse()
            .unwrap(),
    };
    // A live client answers the pings (Python's websockets does so by itself, even
    // while its program sleeps) and keeps its connection well past the timeout.
    let got = python(
        srv.port,
        r#"
import time
with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10, ping_interval=None) as ws:
    time.sleep(2.5)
    ws.send("alive"); print(ws.recv(timeout=10))
"#,
    );
    assert_eq!(got, "alive\n");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        "closed\t1000\t"
    );
    // A peer that never answers: pinged, then cut off, and its process told.
    let (mut s, head) = raw_handshake(srv.port, &UPGRADE.replace("/echo", "/ws"));
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    let start = std::time::Instant::now();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    let took = start.elapsed();
    assert!(all.starts_with(&[0x89, 0x00]), "a ping first: {all:x?}");
    assert!(
        took >= Duration::from_millis(1200) && took < Duration::from_secs(8),
        "{took:?}"
    );
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        "closed\t1006\tping timeout"
    );
}
