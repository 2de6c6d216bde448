//! HTTP for LFE (`http:server`, `http:request`, `httpc:request`, cube-lfe's
//! `http.lfe`) over real sockets: an LFE server hit with raw TCP requests, and an
//! LFE client calling an LFE server and a closed port. Every wait has a deadline.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::{spawn_printing_port, Server, CUBE};

fn script(name: &str) -> String {
    format!("{}/tests/lfe_http/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The LFE server script; its stdin stays open (piped) while the test runs.
fn start_server() -> Server {
    let mut cmd = Command::new(CUBE);
    cmd.arg("run")
        .arg(script("server.lfe"))
        .stdin(Stdio::piped())
        .stderr(Stdio::null());
    spawn_printing_port(cmd)
}

/// One request on a fresh connection (`Connection: close`); the whole response.
fn exchange(port: u16, method: &str, target: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let req = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).expect("a response");
    out
}

fn body_of(resp: &str) -> &str {
    resp.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

#[test]
fn lfe_server_answers_real_clients() {
    let srv = start_server();
    let r = exchange(srv.port, "GET", "/hi?name=lfe", "");
    assert!(r.starts_with("HTTP/1.1 200 "), "{r}");
    assert!(
        r.to_ascii_lowercase()
            .contains("content-type: text/plain\r\n"),
        "{r}"
    );
    // Repeated names in a header list go out as repeated headers.
    let lower = r.to_ascii_lowercase();
    assert!(
        lower.contains("x-multi: a\r\n") && lower.contains("x-multi: b\r\n"),
        "{r}"
    );
    assert_eq!(body_of(&r), "hello lfe");

    let r = exchange(srv.port, "GET", "/users/42", "");
    assert!(r.starts_with("HTTP/1.1 200 "), "{r}");
    assert_eq!(body_of(&r), "42");

    let r = exchange(srv.port, "POST", "/echo", "some bytes");
    assert!(r.starts_with("HTTP/1.1 201 "), "{r}");
    assert_eq!(body_of(&r), "POST some bytes");
}

#[test]
fn a_crashing_lfe_handler_is_a_500_and_the_server_goes_on() {
    let srv = start_server();
    for _ in 0..2 {
        let r = exchange(srv.port, "GET", "/crash", "");
        assert!(r.starts_with("HTTP/1.1 500 "), "{r}");
        let r = exchange(srv.port, "GET", "/users/7", "");
        assert!(r.starts_with("HTTP/1.1 200 "), "{r}");
        assert_eq!(body_of(&r), "7");
    }
}

#[test]
fn lfe_client_calls_a_server_and_a_closed_port() {
    // A port nobody listens on: bound, then closed.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(CUBE)
        .arg("run")
        .arg(script("client.lfe"))
        .arg(closed.to_string())
        .output()
        .expect("cube-cli runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "request 200 got ping",
            "httpc HTTP/1.1 200 OK got ",
            "stop ok",
            "closed #(error econnrefused)",
        ]
    );
}

/// `examples/lfe/hello_http.lfe`: module functions as handlers (`#(module fun)`),
/// a route with a binding, the client calling the server.
#[test]
fn the_hello_http_example_serves_module_handlers() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/lfe/hello_http.lfe"
    );
    let out = Command::new(CUBE)
        .arg("run")
        .arg(example)
        .output()
        .expect("cube-cli runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout, "/?name=lfe 200 hello lfe\n/users/7 200 user 7\n");
}
