//! `http.request{method=, url=, headers=, body=, timeout=, max_body=}`: an HTTP/1.1
//! client that blocks only the calling process. Each exchange runs on an I/O thread
//! (plain blocking sockets with the request's deadline as their timeouts, which also
//! covers name resolution and connecting, the parts epoll cannot watch); the process
//! waits through [`cube_vm::io_wait`] and the thread wakes it with the result.
//! Kept-alive connections go back to a pool per host:port and serve the next request
//! to the same place; a pooled connection the server closed meanwhile is replaced
//! once, transparently. `https://` URLs speak TLS (rustls, `tls.rs`), verified
//! against Mozilla's roots or the CA file given as `ca=`.

use crate::tls::{ClientStream, Stream};
use crate::Shared;
use cube_lua::host::{Cx, HostResult, TableRef, Val};
use cube_lua::{Args, Ret};
use cube_vm::io_wait;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Idle pooled connections kept per host:port, and for how long.
const POOL_PER_HOST: usize = 16;
const POOL_IDLE: Duration = Duration::from_secs(60);
/// Bytes of a response head (status line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// Default bytes of a response body (option `max_body`).
const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// Idle connections by scheme, host, port and CA file.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<String, Vec<(ClientStream, Instant)>>>,
}

impl Pool {
    fn take(&self, key: &str) -> Option<ClientStream> {
        let mut idle = self.idle.lock().expect("pool lock");
        let list = idle.get_mut(key)?;
        while let Some((s, at)) = list.pop() {
            if at.elapsed() < POOL_IDLE {
                return Some(s);
            }
        }
        None
    }

    fn put(&self, key: String, s: ClientStream) {
        let mut idle = self.idle.lock().expect("pool lock");
        let list = idle.entry(key).or_default();
        if list.len() < POOL_PER_HOST {
            list.push((s, Instant::now()));
        }
    }
}

struct Job {
    /// https: TLS, verified against `ca` (a PEM file) or Mozilla's roots.
    tls: bool,
    ca: Option<String>,
    method: String,
    host: String,
    port: u16,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    deadline: Instant,
    max_body: usize,
}

struct Response {
    status: u16,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

/// Where the I/O thread leaves the result and finds the process to wake.
#[derive(Default)]
struct Slot {
    result: Option<Result<Response, String>>,
    waker: Option<io_wait::Waker>,
}

/// Kept in the options table while the process waits (the native runs again with the
/// same arguments after each wake-up).
struct Pending(Arc<Mutex<Slot>>);

const PENDING_KEY: &str = "\0cube.http.pending";

/// A URL's parts: whether it is https, host, port, target.
fn parse_url(url: &str) -> Result<(bool, String, u16, String), String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        return Err(format!("'{url}' is not an http:// or https:// URL"));
    };
    let default_port = if tls { 443 } else { 80 };
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("'{url}' has no usable host"));
    }
    let (host, port) = if let Some(h) = authority.strip_prefix('[') {
        // [v6]:port
        let (h, after) = h
            .split_once(']')
            .ok_or_else(|| format!("bad host in '{url}'"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| format!("bad port in '{url}'"))?,
            None => default_port,
        };
        (h.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse().map_err(|_| format!("bad port in '{url}'"))?,
            ),
            None => (authority.to_string(), default_port),
        }
    };
    if target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(format!("'{url}' contains spaces or control characters"));
    }
    Ok((tls, host, port, target))
}

fn connect(job: &Job) -> Result<ClientStream, String> {
    let s = connect_tcp(job)?;
    if !job.tls {
        return Ok(Stream::Plain(s));
    }
    let cfg = crate::tls::client_config(job.ca.as_deref())?;
    let name = rustls::pki_types::ServerName::try_from(job.host.clone())
        .map_err(|_| format!("'{}' is not a name TLS can verify", job.host))?;
    let c = rustls::ClientConnection::new(cfg, name).map_err(|e| e.to_string())?;
    // The handshake runs on the first write, under the request's timeouts.
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(c, s))))
}

fn connect_tcp(job: &Job) -> Result<TcpStream, String> {
    let addrs = (job.host.as_str(), job.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", job.host))?;
    let mut last = format!("no address for {}", job.host);
    for a in addrs {
        let left = job.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err("timeout".into());
        }
        match TcpStream::connect_timeout(&a, left) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = format!("cannot connect to {a}: {e}"),
        }
    }
    Err(last)
}

fn timeouts(s: &TcpStream, deadline: Instant) -> Result<(), String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err("timeout".into());
    }
    s.set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(left)).map_err(|e| e.to_string())
}

fn io_err(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => "timeout".into(),
        _ => e.to_string(),
    }
}

/// Runs the exchange: a pooled connection first (once more on a fresh one if the
/// pooled one turns out closed before any answer), else a new one.
fn run(job: Job, pool: &Pool) -> Result<Response, String> {
    let key = format!(
        "{}://{}:{} {}",
        if job.tls { "https" } else { "http" },
        job.host,
        job.port,
        job.ca.as_deref().unwrap_or("")
    );
    if let Some(s) = pool.take(&key) {
        match exchange(&job, s) {
            Ok((r, Some(s))) => {
                pool.put(key, s);
                return Ok(r);
            }
            Ok((r, None)) => return Ok(r),
            Err((e, answered)) => {
                if answered || Instant::now() >= job.deadline {
                    return Err(e);
                }
            }
        }
    }
    let s = connect(&job)?;
    match exchange(&job, s) {
        Ok((r, Some(s))) => {
            pool.put(key, s);
            Ok(r)
        }
        Ok((r, None)) => Ok(r),
        Err((e, _)) => Err(e),
    }
}

fn request_bytes(job: &Job) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + job.body.len());
    out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", job.method, job.target).as_bytes());
    let has = |n: &str| job.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(n));
    if !has("host") {
        let host = if job.host.contains(':') {
            format!("[{}]", job.host)
        } else {
            job.host.clone()
        };
        let h = if job.port == if job.tls { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", job.port)
        };
        out.extend_from_slice(format!("Host: {h}\r\n").as_bytes());
    }
    if !has("user-agent") {
        out.extend_from_slice(b"User-Agent: cube-http\r\n");
    }
    for (n, v) in &job.headers {
        if n.eq_ignore_ascii_case("content-length") || n.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.extend_from_slice(b"\r\n");
    }
    let bodyless = matches!(job.method.as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS");
    if !job.body.is_empty() || !bodyless {
        out.extend_from_slice(format!("Content-Length: {}\r\n", job.body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&job.body);
    out
}

type Failure = (String, bool);

/// One request and its response on `s`; the connection back if it can be reused.
/// An error says whether any byte of a response had come.
fn exchange(job: &Job, mut s: ClientStream) -> Result<(Response, Option<ClientStream>), Failure> {
    let fail = |e: String| (e, false);
    timeouts(s.tcp(), job.deadline).map_err(fail)?;
    s.write_all(&request_bytes(job))
        .and_then(|()| s.flush())
        .map_err(|e| fail(io_err(e)))?;
    let mut r = BufReader::new(s);
    let (status, headers, close) = loop {
        let head = read_head(&mut r)?;
        let mut hs = [httparse::EMPTY_HEADER; 128];
        let mut resp = httparse::Response::new(&mut hs);
        match resp.parse(&head) {
            Ok(httparse::Status::Complete(_)) => {}
            _ => return Err(("malformed response".into(), true)),
        }
        let status = resp.code.unwrap_or(0);
        let minor = resp.version.unwrap_or(1);
        let headers: Vec<(String, Vec<u8>)> = resp
            .headers
            .iter()
            .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
            .collect();
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        let conn_tok = |t: &str| {
            headers.iter().any(|(n, v)| {
                n == "connection"
                    && v.split(|&b| b == b',')
                        .any(|x| x.trim_ascii().eq_ignore_ascii_case(t.as_bytes()))
            })
        };
        let close = if minor == 0 {
            !conn_tok("keep-alive")
        } else {
            conn_tok("close")
        };
        break (status, headers, close);
    };
    let find = |n: &str| headers.iter().find(|(h, _)| h == n).map(|(_, v)| v.clone());
    let answered = |e: String| (e, true);
    let no_body = job.method == "HEAD" || status == 204 || status == 304 || status < 200;
    let mut reusable = !close;
    let body = if no_body {
        Vec::new()
    } else if find("transfer-encoding")
        .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"chunked"))
    {
        read_chunked(&mut r, job.max_body)?
    } else if let Some(cl) = find("content-length") {
        let n: usize = std::str::from_utf8(cl.trim_ascii())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| answered("bad content-length in response".into()))?;
        if n > job.max_body {
            return Err(answered(format!(
                "response body larger than max_body ({} bytes)",
                job.max_body
            )));
        }
        let mut b = vec![0; n];
        r.read_exact(&mut b).map_err(|e| answered(io_err(e)))?;
        b
    } else {
        reusable = false;
        let mut b = Vec::new();
        (&mut r)
            .take(job.max_body as u64 + 1)
            .read_to_end(&mut b)
            .map_err(|e| answered(io_err(e)))?;
        if b.len() > job.max_body {
            return Err(answered(format!(
                "response body larger than max_body ({} bytes)",
                job.max_body
            )));
        }
        b
    };
    // Bytes already buffered past the response mean a confused server: do not reuse.
    let s = if reusable && r.buffer().is_empty() {
        Some(r.into_inner())
    } else {
        None
    };
    Ok((
        Response {
            status,
            headers,
            body,
        },
        s,
    ))
}

fn read_head(r: &mut BufReader<ClientStream>) -> Result<Vec<u8>, Failure> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = (&mut *r)
            .take((MAX_HEAD + 1 - head.len()) as u64)
            .read_until(b'\n', &mut head)
            .map_err(|e| (io_err(e), before > 0))?;
        if n == 0 {
            return Err(("connection closed".into(), before > 0));
        }
        if head.len() > MAX_HEAD {
            return Err(("response head too large".into(), true));
        }
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(head);
        }
    }
}

fn read_line(r: &mut BufReader<ClientStream>, max: usize) -> Result<Vec<u8>, Failure> {
    let mut line = Vec::new();
    (&mut *r)
        .take(max as u64)
        .read_until(b'\n', &mut line)
        .map_err(|e| (io_err(e), true))?;
    if !line.ends_with(b"\n") {
        return Err(("malformed chunked response".into(), true));
    }
    Ok(line)
}

fn read_chunked(r: &mut BufReader<ClientStream>, max: usize) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        let line = read_line(r, 1024)?;
        let size = match httparse::parse_chunk_size(&line) {
            Ok(httparse::Status::Complete((_, n))) => n,
            _ => return Err(("malformed chunked response".into(), true)),
        };
        if size == 0 {
            // Trailers, up to the empty line.
            let mut seen = 0;
            loop {
                let l = read_line(r, MAX_HEAD)?;
                seen += l.len();
                if seen > MAX_HEAD {
                    return Err(("response trailers too large".into(), true));
                }
                if l == b"\r\n" || l == b"\n" {
                    return Ok(body);
                }
            }
        }
        if size > (max - body.len()) as u64 {
            return Err((
                format!("response body larger than max_body ({max} bytes)"),
                true,
            ));
        }
        let start = body.len();
        body.resize(start + size as usize, 0);
        r.read_exact(&mut body[start..])
            .map_err(|e| (io_err(e), true))?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf).map_err(|e| (io_err(e), true))?;
        if &crlf != b"\r\n" {
            return Err(("malformed chunked response".into(), true));
        }
    }
}

fn job_from<'n>(cx: &mut Cx<'n>, t: TableRef<'n>) -> HostResult<'n, Result<Job, String>> {
    let url = match cx.get_field(t, "url") {
        Val::Str(s) => s.to_str_lossy().into_owned(),
        _ => return Err(cx.arg_error(1, "'url' must be a string")),
    };
    let method = match cx.get_field(t, "method") {
        Val::Str(s) => s.to_str_lossy().to_ascii_uppercase(),
        _ => "GET".to_string(),
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') {
        return Err(cx.arg_error(1, "'method' must be a word like \"GET\""));
    }
    let headers = match cx.get_field(t, "headers") {
        Val::Table(h) => crate::response::headers_from_lua(cx, h)?,
        _ => Vec::new(),
    };
    let body = match cx.get_field(t, "body") {
        Val::Str(s) => s.as_bytes().to_vec(),
        _ => Vec::new(),
    };
    let timeout = cx.get_field(t, "timeout").as_num().unwrap_or(30.0);
    let max_body = cx
        .get_field(t, "max_body")
        .as_num()
        .map_or(DEFAULT_MAX_BODY, |n| n.clamp(0.0, 1e12) as usize);
    // The body becomes a Lua string in this heap: never fetch more than it can hold.
    let max_body = cx.max_heap().map_or(max_body, |limit| max_body.min(limit));
    let (tls, host, port, target) = match parse_url(&url) {
        Ok(u) => u,
        Err(e) => return Ok(Err(e)),
    };
    let ca = match cx.get_field(t, "ca") {
        Val::Str(s) => Some(s.to_str_lossy().into_owned()),
        _ => None,
    };
    Ok(Ok(Job {
        tls,
        ca,
        method,
        host,
        port,
        target,
        headers,
        body,
        deadline: Instant::now() + Duration::from_secs_f64(timeout.clamp(0.001, 1e7)),
        max_body,
    }))
}

fn push_result<'n>(cx: &mut Cx<'n>, r: Result<Response, String>) -> HostResult<'n, Ret> {
    match r {
        Ok(resp) => {
            cx.reserve(resp.body.len() + 64 * resp.headers.len())?;
            let t = cx.new_table();
            cx.set_field(t, "status", Val::Num(resp.status as f64));
            let h = cx.new_table();
            for (n, v) in &resp.headers {
                let k = cx.new_str(n.as_bytes());
                let joined = match cx.raw_get(h, k) {
                    Val::Str(prev) => {
                        let mut j = prev.as_bytes().to_vec();
                        j.extend_from_slice(b", ");
                        j.extend_from_slice(v);
                        j
                    }
                    _ => v.clone(),
                };
                let v = cx.new_string(joined);
                let _ = cx.raw_set(h, k, v);
            }
            cx.set_field(t, "headers", Val::Table(h));
            let b = cx.new_string(resp.body);
            cx.set_field(t, "body", b);
            cx.push(Val::Table(t));
            Ok(Ret::Values(1))
        }
        Err(e) => {
            cx.push(Val::Nil);
            cx.push_str(e.as_bytes());
            Ok(Ret::Values(2))
        }
    }
}

/// The native behind `http.request` (its options were checked by http.lua).
pub(crate) fn request<'n>(cx: &mut Cx<'n>, a: Args, shared: &Arc<Shared>) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    let t = cx.check_table(a, 1)?;
    let key = cx.new_str(PENDING_KEY.as_bytes());
    let slot = match (retry, cx.raw_get(t, key)) {
        (Some(_), v) => cx.userdata_get::<Pending>(v).map(|p| p.0.clone()),
        _ => None,
    };
    let slot = match slot {
        Some(s) => s,
        None => {
            let job = match job_from(cx, t)? {
                Ok(j) => j,
                Err(e) => return push_result(cx, Err(e)),
            };
            let slot = Arc::new(Mutex::new(Slot::default()));
            let s2 = slot.clone();
            let sh = shared.clone();
            let spawned = std::thread::Builder::new()
                .name("cube-http-client".into())
                .spawn(move || {
                    let r = run(job, &sh.pool);
                    let w = {
                        let mut s = s2.lock().expect("slot lock");
                        s.result = Some(r);
                        s.waker.take()
                    };
                    if let Some(w) = w {
                        w.wake();
                    }
                });
            if let Err(e) = spawned {
                return push_result(cx, Err(format!("cannot start an I/O thread: {e}")));
            }
            let ud = cx.new_userdata(Pending(slot.clone()), None);
            let _ = cx.raw_set(t, key, ud);
            slot
        }
    };
    let done = slot.lock().expect("slot lock").result.take();
    if let Some(r) = done {
        let _ = cx.raw_set(t, key, Val::Nil);
        return push_result(cx, r);
    }
    let Some(w) = io_wait::block(cx, None) else {
        // Not a process (a plain state): wait on this thread.
        loop {
            if let Some(r) = slot.lock().expect("slot lock").result.take() {
                let _ = cx.raw_set(t, key, Val::Nil);
                return push_result(cx, r);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    let ready = {
        let mut s = slot.lock().expect("slot lock");
        s.waker = Some(w.clone());
        s.result.is_some()
    };
    if ready {
        w.wake();
    }
    Ok(Ret::Block)
}
