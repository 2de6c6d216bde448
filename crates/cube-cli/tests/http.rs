//! The `http` library (cube-http) against real clients: curl, Python's http.client and
//! urllib, raw TCP sockets for hostile input, the Lua client against the Lua server and
//! against Python's http.server. Every server is a `cube-cli run` script that prints
//! its port; every test has deadlines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{serve_script, Server, CUBE};

fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cube-http-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn test_server() -> (Server, std::path::PathBuf) {
    let root = scratch(&format!("static-{}", rand_name()));
    std::fs::write(root.join("page.html"), "<h1>hi</h1>\n").unwrap();
    std::fs::write(root.join("data.json"), "{\"a\":1}").unwrap();
    std::fs::write(root.join("digits.txt"), "0123456789").unwrap();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/index.html"), "index").unwrap();
    let outside = root
        .parent()
        .unwrap()
        .join(format!("cube-http-secret-{}", std::process::id()));
    std::fs::write(&outside, "secret").unwrap();
    let _ = std::os::unix::fs::symlink(&outside, root.join("escape.txt"));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/http/server.lua");
    (serve_script(script, &[root.to_str().unwrap()]), root)
}

/// Runs curl; returns (status line and headers, body).
fn curl(args: &[&str]) -> (String, Vec<u8>) {
    let dir = scratch(&format!("curl-{}", rand_name()));
    let headers = dir.join("h");
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "10", "-D"])
        .arg(&headers)
        .args(args)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (std::fs::read_to_string(&headers).unwrap(), out.stdout)
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{}", N.fetch_add(1, Ordering::Relaxed))
}

fn status_of(head: &str) -> u16 {
    // The last response's status (curl writes 100 Continue heads too).
    let line = head.lines().rfind(|l| l.starts_with("HTTP/")).unwrap();
    line.split(' ').nth(1).unwrap().parse().unwrap()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn python(code: &str) -> String {
    let out = Command::new("python3")
        .args(["-c", code])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        code
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Sends `data` on a fresh connection and reads until the server closes (or `wait`).
fn raw(port: u16, data: &[u8], wait: Duration) -> (String, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let _ = s.write_all(data);
    let mut got = Vec::new();
    let end = Instant::now() + wait;
    let mut closed = false;
    let mut buf = [0u8; 65536];
    while Instant::now() < end {
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

#[test]
fn routes_params_query_and_methods_with_curl() {
    let (srv, _root) = test_server();
    let base = format!("http://127.0.0.1:{}", srv.port);
    let (h, b) = curl(&[&format!("{base}/hello?name=a%20b+c")]);
    assert_eq!(status_of(&h), 200);
    assert_eq!(header(&h, "content-type"), Some("text/plain"));
    assert_eq!(b, b"hello a b c");
    let (_, b) = curl(&[&format!("{base}/users/42")]);
    assert_eq!(b, b"user 42");
    let (_, b) = curl(&[&format!("{base}/users/me")]);
    assert_eq!(b, b"me", "a fixed segment wins over a parameter");
    let (h, _) = curl(&[&format!("{base}/nothing/here")]);
    assert_eq!(status_of(&h), 404);
    // Tornado's RequestHandler shape: methods get self (data fields, other methods).
    let (_, b) = curl(&[&format!("{base}/items")]);
    assert_eq!(b, b"item:list");
    let (h, b) = curl(&["-d", "x1", &format!("{base}/items")]);
    assert_eq!(status_of(&h), 201);
    assert_eq!(b, b"item:x1");
    let (h, _) = curl(&["-X", "DELETE", &format!("{base}/items")]);
    assert_eq!(status_of(&h), 405);
    assert_eq!(header(&h, "allow"), Some("GET, HEAD, POST"));
    // HEAD falls back to get: its head, with get's length, and no body.
    let (resp, closed) = raw(
        srv.port,
        b"HEAD /items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(closed && resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        resp.contains("Content-Length: 9\r\n") && resp.ends_with("\r\n\r\n"),
        "{resp}"
    );
    // A handler error is a 500; the server goes on.
    let (h, _) = curl(&[&format!("{base}/boom")]);
    assert_eq!(status_of(&h), 500);
    // A header value with CR/LF cannot split the response: 500, nothing injected.
    let (h, _) = curl(&[&format!("{base}/inject")]);
    assert_eq!(status_of(&h), 500);
    assert_eq!(header(&h, "injected"), None);
    let (h, _) = curl(&[&format!("{base}/cookies")]);
    let cookies: Vec<&str> = h
        .lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie"))
        .collect();
    assert_eq!(cookies, ["Set-Cookie: a=1", "Set-Cookie: b=2"]);
}

#[test]
fn streaming_and_chunked_both_ways() {
    let (srv, _root) = test_server();
    let base = format!("http://127.0.0.1:{}", srv.port);
    let (h, b) = curl(&[&format!("{base}/stream?n=4")]);
    assert_eq!(header(&h, "transfer-encoding"), Some("chunked"));
    assert_eq!(b, b"chunk1\nchunk2\nchunk3\nchunk4\n");
    // A chunked request body, from Python's http.client.
    let out = python(&format!(
        r#"
import http.client
c = http.client.HTTPConnection("127.0.0.1", {port}, timeout=10)
c.request("POST", "/echo", body=iter([b"abc", b"defg", b"h"]), headers={{"Content-Type": "text/x-test"}}, encode_chunked=True)
r = c.getresponse()
print(r.status, r.getheader("X-Length"), r.getheader("Content-Type"), r.read().decode())
"#,
        port = srv.port
    ));
    assert_eq!(out.trim(), "200 8 text/x-test abcdefgh");
    // An HTTP/1.0 client gets the stream without chunks, ended by the close.
    let (resp, closed) = raw(
        srv.port,
        b"GET /stream?n=2 HTTP/1.0\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(closed);
    assert!(!resp.contains("chunked"), "{resp}");
    assert!(resp.ends_with("\r\n\r\nchunk1\nchunk2\n"), "{resp}");
}

#[test]
fn keep_alive_serves_a_connection_in_one_process() {
    let (srv, _root) = test_server();
    let out = python(&format!(
        r#"
import http.client
c = http.client.HTTPConnection("127.0.0.1", {port}, timeout=10)
seen = []
for i in range(3):
    c.request("GET", "/count")
    seen.append(c.getresponse().read().decode())
c.request("GET", "/count", headers={{"Connection": "close"}})
r = c.getresponse()
seen.append(r.read().decode())
seen.append(r.getheader("Connection"))
print(" ".join(seen))
import urllib.request
print(urllib.request.urlopen("http://127.0.0.1:{port}/count", timeout=10).read().decode())
"#,
        port = srv.port
    ));
    // The same process (its global counter) served the kept-alive requests; a new
    // connection (urllib closes each) starts a new process.
    assert_eq!(out, "1 2 3 4 close\n1\n");
    // Connection: close is honoured: the server closes after the response.
    let (resp, closed) = raw(
        srv.port,
        b"GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(closed && resp.starts_with("HTTP/1.1 200"), "{resp}");
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (srv, _root) = test_server();
    let reqs = b"GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /users/2 HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /users/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (resp, closed) = raw(srv.port, reqs, Duration::from_secs(5));
    assert!(closed);
    let bodies: Vec<&str> = resp
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|r| r.split("\r\n\r\n").nth(1).unwrap())
        .collect();
    assert_eq!(bodies, ["user 1", "user 2", "abc", "user 3"], "{resp}");
}

#[test]
fn hostile_requests_get_the_right_status_and_a_close() {
    let (srv, _root) = test_server();
    let p = srv.port;
    let w = Duration::from_secs(5);
    let check = |data: &[u8], status: &str| {
        let (resp, closed) = raw(p, data, w);
        assert!(
            resp.starts_with(&format!("HTTP/1.1 {status}")),
            "want {status}, got {resp:?}"
        );
        assert!(closed, "connection closed after {status}");
    };
    check(b"GARBAGE\x00\x01\r\n\r\n", "400");
    check(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", "400");
    check(b"GET / HTTP/2.0\r\n\r\n", "505");
    // Request smuggling: both framings.
    check(
        b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "400",
    );
    check(
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        "501",
    );
    check(b"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400");
    check(
        b"POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
        "413",
    );
    // Headers past max_header_bytes (4096), in one piece and as many lines.
    let mut big = b"GET /hello HTTP/1.1\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 10_000));
    big.extend_from_slice(b"\r\n\r\n");
    check(&big, "431");
    let mut many = b"GET /hello HTTP/1.1\r\n".to_vec();
    for i in 0..200 {
        many.extend_from_slice(format!("X-{i}: 1\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    check(&many, "431");
    // Bodies past max_body_bytes (1000): announced, and chunked.
    check(
        b"POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n",
        "413",
    );
    let mut chunked = b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend(std::iter::repeat_n(b'z', 0x200));
        chunked.extend_from_slice(b"\r\n");
    }
    check(&chunked, "413");
    check(
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "400",
    );
    // Slowloris: a head that never ends gets 408 after header_timeout (0.5 s).
    let t0 = Instant::now();
    check(b"GET /hello HTTP/1.1\r\nX-Slow: 1\r\n", "408");
    assert!(t0.elapsed() < Duration::from_secs(3));
    // A body that never comes: 408 after body_timeout.
    check(
        b"POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
        "408",
    );
    // An idle kept-alive connection is closed quietly after idle_timeout (1 s).
    let (resp, closed) = raw(p, b"", Duration::from_secs(4));
    assert!(resp.is_empty() && closed);
    // The server still serves.
    let (h, b) = curl(&[&format!("http://127.0.0.1:{p}/hello")]);
    assert_eq!((status_of(&h), b.as_slice()), (200, &b"hello ?"[..]));
}

#[test]
fn static_files() {
    let (srv, root) = test_server();
    let base = format!("http://127.0.0.1:{}/files", srv.port);
    let (h, b) = curl(&[&format!("{base}/page.html")]);
    assert_eq!(status_of(&h), 200);
    assert_eq!(header(&h, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(b, b"<h1>hi</h1>\n");
    let (h, _) = curl(&[&format!("{base}/data.json")]);
    assert_eq!(header(&h, "content-type"), Some("application/json"));
    let (_, b) = curl(&[&format!("{base}/sub/")]);
    assert_eq!(b, b"index");
    // Caching: Last-Modified, then If-Modified-Since gives 304 with no body.
    let (h, _) = curl(&[&format!("{base}/digits.txt")]);
    let lm = header(&h, "last-modified").unwrap().to_string();
    let (h, b) = curl(&[
        "-H",
        &format!("If-Modified-Since: {lm}"),
        &format!("{base}/digits.txt"),
    ]);
    assert_eq!(status_of(&h), 304);
    assert!(b.is_empty());
    let (h, _) = curl(&[
        "-H",
        "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT",
        &format!("{base}/digits.txt"),
    ]);
    assert_eq!(status_of(&h), 200);
    // Ranges.
    let (h, b) = curl(&["-r", "2-5", &format!("{base}/digits.txt")]);
    assert_eq!(status_of(&h), 206);
    assert_eq!(header(&h, "content-range"), Some("bytes 2-5/10"));
    assert_eq!(b, b"2345");
    let (_, b) = curl(&["-H", "Range: bytes=-3", &format!("{base}/digits.txt")]);
    assert_eq!(b, b"789");
    let (_, b) = curl(&["-H", "Range: bytes=7-", &format!("{base}/digits.txt")]);
    assert_eq!(b, b"789");
    let (h, _) = curl(&["-H", "Range: bytes=20-30", &format!("{base}/digits.txt")]);
    assert_eq!(status_of(&h), 416);
    assert_eq!(header(&h, "content-range"), Some("bytes */10"));
    // No way out of the root.
    let (h, b) = curl(&["--path-as-is", &format!("{base}/../../etc/passwd")]);
    assert_eq!(status_of(&h), 403, "{}", String::from_utf8_lossy(&b));
    let (h, _) = curl(&["--path-as-is", &format!("{base}/%2e%2e/%2e%2e/etc/passwd")]);
    assert_eq!(status_of(&h), 403);
    let (h, b) = curl(&[&format!("{base}/escape.txt")]);
    assert_eq!(
        status_of(&h),
        403,
        "a symlink out of the root: {}",
        String::from_utf8_lossy(&b)
    );
    let (h, _) = curl(&[&format!("{base}/missing.txt")]);
    assert_eq!(status_of(&h), 404);
    let (h, _) = curl(&["-X", "POST", &format!("{base}/page.html")]);
    assert_eq!(status_of(&h), 405);
    drop(root);
}

fn run_script(src: &str) -> (bool, String, String) {
    let dir = scratch(&format!("script-{}", rand_name()));
    let p = dir.join("s.lua");
    std::fs::write(&p, src).unwrap();
    let mut child = Command::new(CUBE)
        .arg("run")
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(Instant::now() < end, "script timed out:\n{src}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn lua_client_against_lua_server_with_pooling() {
    let (ok, out, err) = run_script(
        r#"
local srv = http.server{listen = "127.0.0.1:0", routes = {
  ["/count"] = function(req) count = (count or 0) + 1; return tostring(count) end,
  ["/echo"] = function(req)
    return {status = 202, headers = {["X-Got"] = req.headers["x-test"]}, body = req.method .. " " .. req.body}
  end,
  ["/big"] = function(req) return string.rep("x", 100000) end,
  ["/stream"] = function(req)
    local i = 0
    return {body = function() i = i + 1; if i <= 3 then return "s" .. i end end}
  end,
}}
local base = "http://127.0.0.1:" .. srv:port()
-- Pooled keep-alive: one connection, so one server process counts 1, 2, 3.
local seen = {}
for i = 1, 3 do
  local r = assert(http.request{url = base .. "/count"})
  seen[#seen + 1] = r.body
end
print(table.concat(seen, " "))
local r = assert(http.request{method = "PUT", url = base .. "/echo", headers = {["X-Test"] = "yes"}, body = "data"})
print(r.status, r.headers["x-got"], r.body)
print(#assert(http.request(base .. "/big")).body)
print(assert(http.request(base .. "/stream")).body)
local r, e = http.request{url = base .. "/big", max_body = 10}
print(r, e)
local r, e = http.request{url = "http://127.0.0.1:1/"}
print(r, e ~= nil)
-- Many processes at once, each blocking only itself.
local me = process.self()
for i = 1, 20 do
  process.spawn(function()
    local r = http.request(base .. "/echo")
    process.send(me, r and r.body or "fail")
  end)
end
local n = 0
for i = 1, 20 do if process.receive() == "GET " then n = n + 1 end end
print(n)
srv:stop()
"#,
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1 2 3");
    assert_eq!(lines[1], "202\tyes\tPUT data");
    assert_eq!(lines[2], "100000");
    assert_eq!(lines[3], "s1s2s3");
    assert!(
        lines[4].starts_with("nil\tresponse body larger than max_body"),
        "{out}"
    );
    assert_eq!(lines[5], "nil\ttrue");
    assert_eq!(lines[6], "20");
}

#[test]
fn lua_client_against_python_http_server() {
    let dir = scratch("pyserver");
    std::fs::write(dir.join("hello.txt"), "from python\n").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut py = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "python http.server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (ok, out, err) = run_script(&format!(
        r#"
local r = assert(http.request("http://127.0.0.1:{port}/hello.txt"))
print(r.status, r.headers["content-type"], r.headers["content-length"], r.body)
local r = assert(http.request("http://127.0.0.1:{port}/missing"))
print(r.status)
"#
    ));
    let _ = py.kill();
    let _ = py.wait();
    assert!(ok, "{err}");
    assert_eq!(out, "200\ttext/plain\t12\tfrom python\n\n404\n");
}

#[test]
fn misuse_is_a_lua_error_with_a_clear_message() {
    for (src, want) in [
        (
            "http.server{listen = \"nonsense\", handler = function() end}",
            "bad argument #1 to 'server' (cannot listen on nonsense: 'nonsense' is not an address",
        ),
        (
            "http.server(42)",
            "bad argument #1 to 'server' (table expected, got number)",
        ),
        (
            "http.server{listen = 8080, handler = print}",
            "bad argument #1 to 'server' ('listen' must be an address string",
        ),
        (
            "http.server{listen = \"127.0.0.1:0\"}",
            "bad argument #1 to 'server' ('handler' or 'routes' is required)",
        ),
        (
            "http.server{listen = \"127.0.0.1:0\", handler = 1}",
            "bad argument #1 to 'server' ('handler' must be a function, got number)",
        ),
        (
            "http.server{listen = \"127.0.0.1:0\", routes = {x = print}}",
            "bad argument #1 to 'server' (route patterns must be strings starting with '/'",
        ),
        (
            "http.server{listen = \"127.0.0.1:0\", handler = print, max_body_bytes = -1}",
            "bad argument #1 to 'server' ('max_body_bytes' must be a positive number)",
        ),
        (
            "http.request{url = 5}",
            "bad argument #1 to 'request' ('url' must be a string, got number)",
        ),
        (
            "http.static()",
            "bad argument #1 to 'static' (string expected, got nil)",
        ),
    ] {
        let (ok, _out, err) = run_script(src);
        assert!(!ok, "{src} should fail");
        assert!(err.contains(want), "{src}: want {want:?} in {err:?}");
        assert!(
            err.contains("s.lua:1:"),
            "the error points at the caller: {err}"
        );
    }
    let (ok, out, _) =
        run_script("print(http.request('ftp://x/'))\nprint(http.request('https://localhost:1/'))");
    assert!(ok);
    assert!(
        out.contains("nil\t'ftp://x/' is not an http:// or https:// URL"),
        "{out}"
    );
}

#[test]
fn the_listening_socket_closes_on_stop_and_when_its_process_ends() {
    let dir = scratch("owner");
    let p = dir.join("owner.lua");
    std::fs::write(
        &p,
        r#"
local me = process.self()
local owner = process.spawn(function()
  local srv = http.server{listen = "127.0.0.1:0", handler = function() return "up" end}
  process.send(me, srv:port())
  process.receive()
end)
local stopped = http.server{listen = "127.0.0.1:0", handler = function() return "up" end}
print(process.receive() .. " " .. stopped:port())
io.stdout:flush()
process.sleep(1500)
stopped:stop()
process.exit(owner, "kill")
print("closed")
io.stdout:flush()
process.receive()
"#,
    )
    .unwrap();
    let child = Command::new(CUBE)
        .arg("run")
        .arg(&p)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed when dropped, also when an assertion fails.
    let mut srv = Server { child, port: 0 };
    let mut lines = BufReader::new(srv.child.stdout.take().unwrap()).lines();
    let ports: Vec<u16> = lines
        .next()
        .unwrap()
        .unwrap()
        .split(' ')
        .map(|p| p.parse().unwrap())
        .collect();
    for port in &ports {
        let (h, b) = curl(&[&format!("http://127.0.0.1:{port}/")]);
        assert_eq!((status_of(&h), b.as_slice()), (200, &b"up"[..]));
    }
    assert_eq!(lines.next().unwrap().unwrap(), "closed");
    std::thread::sleep(Duration::from_millis(200));
    for port in &ports {
        let e = TcpStream::connect(("127.0.0.1", *port)).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    }
    drop(srv);
}

#[test]
fn example_json_api() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/web/json_api.lua"
    );
    let mut child = Command::new(CUBE)
        .args(["run", script, "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let srv = Server {
        child,
        port: line.trim().rsplit(':').next().unwrap().parse().unwrap(),
    };
    let out = python(&format!(
        r#"
import json, urllib.request
base = "http://127.0.0.1:{port}/todos"
def call(method, url, body=None):
    req = urllib.request.Request(url, method=method, data=body and json.dumps(body).encode(),
                                 headers={{"Content-Type": "application/json"}})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
            return r.status, r.headers["Content-Type"], text and canon(text)
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], canon(e.read().decode())
# Objects' keys come in the server's table order: print them sorted.
def canon(text):
    return json.loads(json.dumps(json.loads(text), sort_keys=True))
print(call("GET", base))
print(call("POST", base, {{"title": "milk"}}))
print(call("POST", base, {{"title": "eggs \u00e9"}}))
print(call("PUT", base + "/1"))
print(call("GET", base))
print(call("DELETE", base + "/1"))
print(call("GET", base + "/1"))
print(call("POST", base, {{"nope": 1}})[0])
"#,
        port = srv.port
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "(200, 'application/json', [])",
            "(201, 'application/json', {'done': False, 'id': 1, 'title': 'milk'})",
            "(201, 'application/json', {'done': False, 'id': 2, 'title': 'eggs é'})",
            "(200, 'application/json', {'done': True, 'id': 1, 'title': 'milk'})",
            "(200, 'application/json', [{'done': True, 'id': 1, 'title': 'milk'}, {'done': False, 'id': 2, 'title': 'eggs é'}])",
            "(204, None, '')",
            "(404, 'application/json', {'error': 'no todo 1'})",
            "400",
        ]
    );
}

#[test]
fn the_client_fetches_no_more_than_the_heap_can_hold() {
    let dir = scratch("heap");
    let p = dir.join("s.lua");
    std::fs::write(
        &p,
        r#"
local srv = http.server{listen = "127.0.0.1:0", handler = function() return string.rep("x", 3000000) end}
local me, port = process.self(), srv:port()
-- The asking process may hold 1 MB: the 3 MB body is refused before it is read.
process.spawn_opt({max_heap = 1000000}, function()
  local r, e = http.request("http://127.0.0.1:" .. port .. "/")
  process.send(me, tostring(r) .. " " .. tostring(e))
end)
print(process.receive())
srv:stop()
"#,
    )
    .unwrap();
    let out = Command::new(CUBE).arg("run").arg(&p).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("nil response body larger than max_body ("),
        "{text}"
    );
}

#[test]
fn client_timeout_blocks_only_the_caller() {
    let (ok, out, err) = run_script(
        r#"
local srv = http.server{listen = "127.0.0.1:0", routes = {
  ["/slow"] = function(req) process.sleep(3000); return "late" end,
  ["/fast"] = function(req) return "fast" end,
}}
local base, me = "http://127.0.0.1:" .. srv:port(), process.self()
-- Another process keeps working while this one waits.
process.spawn(function()
  for i = 1, 3 do
    process.send(me, assert(http.request(base .. "/fast")).body)
  end
end)
local r, e = http.request{url = base .. "/slow", timeout = 0.5}
print(r, e)
local got = {}
for i = 1, 3 do got[#got + 1] = process.receive() end
print(table.concat(got, " "))
srv:stop()
"#,
    );
    assert!(ok, "{err}");
    assert_eq!(out, "nil\ttimeout\nfast fast fast\n");
}
