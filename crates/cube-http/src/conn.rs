//! One accepted connection, owned by the process that serves it (a userdata in its
//! heap: closed by `conn:close()`, by the collector, or when the process ends). Its
//! natives block only that process: reads and writes are non-blocking, and on
//! `EAGAIN` the process arms the socket in the reactor and suspends until it is
//! ready or a timeout of [`Limits`] passes.
//!
//! A streamed request body (`Limits::stream`) is read by the handler through
//! `conn:piece` (or whole through `conn:body` for a route that does not stream); the
//! `100 Continue` a client waits for goes out at the first of those calls. What a
//! handler leaves unread is drained by the next `conn:read`, up to [`DRAIN_MAX`]
//! bytes; a response that knows it cannot be followed by a reusable connection (a
//! `100 Continue` never sent, or more than [`DRAIN_MAX`] announced still to come)
//! says `Connection: close`.

use crate::reactor::{Interest, Reactor};
use crate::request::{Head, Limits, Piece, Progress, Reader, Reject};
use crate::response;
use crate::tls::{ServerStream, Stream};
use cube_lua::host::{Cx, HostResult, TableRef, Val};
use cube_lua::{Args, Ret};
use cube_vm::io_wait;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Instant;

/// Bytes read from the socket at a time: what the reader may hold beyond its limits.
const READ_CHUNK: usize = 16 * 1024;

/// Bytes of a streamed body the handler left unread that are read and dropped to keep
/// the connection (as Go's server does, 256 KiB); beyond them it closes.
pub(crate) const DRAIN_MAX: usize = 256 * 1024;

/// `conn:piece()`'s default and largest `max` (a piece is also never more than what
/// one read brought in).
const PIECE_DEFAULT: usize = 64 * 1024;
const PIECE_MAX: usize = 16 * 1024 * 1024;

pub(crate) struct Conn {
    stream: Option<ServerStream>,
    token: u64,
    reactor: Arc<Reactor>,
    reader: Reader,
    pub(crate) limits: Limits,
    /// Since when the connection waits for a next request.
    idle_since: Instant,
    /// When the first byte of the current request's head came.
    head_started: Option<Instant>,
    /// When the current request's head was complete.
    body_started: Option<Instant>,
    /// Response bytes not yet taken by the socket.
    out: Vec<u8>,
    out_pos: usize,
    write_deadline: Option<Instant>,
    /// Whether the connection continues after the current response.
    keep: bool,
    /// HTTP/1.0 client (no chunked responses), HEAD request (no body).
    minor: u8,
    head_only: bool,
    /// The current response is chunked (else a streamed body runs to the close).
    chunked: bool,
    /// The current request's WebSocket upgrade: its accept key, or the status that
    /// refuses it; `None` if it asked for none.
    ws_accept: Option<Result<String, (u16, &'static str)>>,
    /// A response to the current request has begun (a `100 Continue` may no longer
    /// go out).
    responded: bool,
    /// Dropping the rest of a streamed body: a timeout is a quiet close, as the
    /// response went out already; `drained` bytes so far.
    draining: bool,
    drained: usize,
    /// `conn:body()`'s bytes so far (it may block between pieces).
    whole: Vec<u8>,
}

impl Conn {
    pub(crate) fn new(
        stream: TcpStream,
        reactor: Arc<Reactor>,
        limits: Limits,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Conn> {
        stream.set_nonblocking(true)?;
        let _ = stream.set_nodelay(true);
        let stream = match tls {
            None => Stream::Plain(stream),
            Some(cfg) => {
                let sc = rustls::ServerConnection::new(cfg).map_err(std::io::Error::other)?;
                Stream::Tls(Box::new(rustls::StreamOwned::new(sc, stream)))
            }
        };
        let token = reactor.register(stream.tcp().as_raw_fd())?;
        Ok(Conn {
            stream: Some(stream),
            token,
            reactor,
            reader: Reader::new(),
            limits,
            idle_since: Instant::now(),
            head_started: None,
            body_started: None,
            out: Vec::new(),
            out_pos: 0,
            write_deadline: None,
            keep: false,
            minor: 1,
            head_only: false,
            chunked: false,
            ws_accept: None,
            responded: false,
            draining: false,
            drained: 0,
            whole: Vec::new(),
        })
    }

    fn close(&mut self) {
        if let Some(mut s) = self.stream.take() {
            self.reactor.deregister(s.tcp().as_raw_fd(), self.token);
            s.shutdown();
        }
    }

    /// Writes a refusal without waiting (it is small, the socket buffer takes it; a
    /// client that does not read loses it) and closes.
    fn refuse(&mut self, status: u16) {
        if let Some(s) = &mut self.stream {
            let _ = s.write(&response::error_response(status));
        }
        self.close();
    }

    /// A new request's head is in: what its response depends on.
    fn begin(&mut self, head: &Head) {
        self.head_started = None;
        self.body_started = None;
        self.keep = head.keep_alive();
        self.minor = head.minor;
        self.head_only = head.method == "HEAD";
        self.ws_accept = crate::ws::check_upgrade(head);
        self.responded = false;
        self.draining = false;
    }

    /// Says `100 Continue` if the client of a streamed body waits for it (before any
    /// response, else the interim answer would follow the final one).
    fn send_continue(&mut self) {
        if !self.responded && self.reader.take_continue() {
            if let Some(s) = &mut self.stream {
                let _ = s.write(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
        }
    }

    fn arm(&self, what: Interest, waker: io_wait::Waker) -> std::io::Result<()> {
        match &self.stream {
            Some(s) => self
                .reactor
                .arm(s.tcp().as_raw_fd(), self.token, what, waker),
            None => Ok(()),
        }
    }

    /// The deadline of the read in progress, and whether passing it is quiet (an idle
    /// keep-alive connection) rather than a 408.
    fn read_deadline(&mut self, now: Instant) -> (Instant, bool) {
        if self.reader.idle() {
            (self.idle_since + self.limits.idle_timeout, true)
        } else if !self.reader.in_body() {
            let t = *self.head_started.get_or_insert(now);
            (t + self.limits.header_timeout, false)
        } else {
            let t = *self.body_started.get_or_insert(now);
            (t + self.limits.body_timeout, self.draining)
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.close();
    }
}

pub(crate) fn with_conn<'n, R>(
    cx: &mut Cx<'n>,
    a: Args,
    f: impl FnOnce(&mut Cx<'n>, &mut Conn) -> HostResult<'n, R>,
) -> HostResult<'n, R> {
    let v = cx.arg(a, 1);
    match cx.with_userdata::<Conn, _>(v, f) {
        Some(r) => r,
        None => Err(cx.arg_type_error(a, 1, "http connection")),
    }
}

fn nil_err<'n>(cx: &mut Cx<'n>, msg: &str) -> HostResult<'n, Ret> {
    cx.push(Val::Nil);
    cx.push_str(msg.as_bytes());
    Ok(Ret::Values(2))
}

/// `conn:read()`: the next request as a table, or `nil, why` ("closed", "timeout",
/// or "rejected NNN" after answering a bad request with that status and closing). With
/// `Limits::stream`, a request with a body comes without `body`: its pieces follow
/// through `conn:piece`.
pub(crate) fn read<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let _retry = io_wait::take_retry(cx);
    with_conn(cx, a, |cx, c| loop {
        if c.reader.streaming() {
            // The last handler left its streamed body (partly) unread: drop the rest,
            // within DRAIN_MAX, to reach the next request.
            if !c.draining {
                c.draining = true;
                c.drained = 0;
                c.body_started = None;
            }
            match c.reader.next_piece(READ_CHUNK, &c.limits) {
                Ok(Piece::Data(d)) => {
                    c.drained += d.len();
                    if c.drained > DRAIN_MAX {
                        c.close();
                        return nil_err(cx, "closed");
                    }
                    continue;
                }
                Ok(Piece::End) => continue,
                Ok(Piece::NeedMore) => {}
                Err(_) => {
                    // The response went out already: no second one, just the end.
                    c.close();
                    return nil_err(cx, "closed");
                }
            }
        } else {
            match c.reader.next(&c.limits) {
                Ok(Progress::Done(req)) => {
                    c.begin(&req.head);
                    return push_request(cx, c, &req.head, Some(&req.body));
                }
                Ok(Progress::Head(head)) => {
                    c.begin(&head);
                    return push_request(cx, c, &head, None);
                }
                Ok(Progress::Continue) => {
                    if let Some(s) = &mut c.stream {
                        let _ = s.write(b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                    continue;
                }
                Ok(Progress::NeedMore) => {}
                Err(rej) => return rejected(cx, c, rej),
            }
        }
        if let Some(r) = fill(cx, c)? {
            return Ok(r);
        }
    })
}

fn push_request<'n>(
    cx: &mut Cx<'n>,
    c: &Conn,
    head: &Head,
    body: Option<&[u8]>,
) -> HostResult<'n, Ret> {
    let t = request_table(cx, head, body)?;
    if c.ws_accept.is_some() {
        cx.set_field(t, "websocket", Val::Bool(true));
    }
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

/// Answers a refused request (or body) with its status, closes, and returns
/// `nil, "rejected NNN[: why]"`.
fn rejected<'n>(cx: &mut Cx<'n>, c: &mut Conn, rej: Reject) -> HostResult<'n, Ret> {
    let status = rej.status();
    c.refuse(status);
    let why = match rej {
        Reject::Bad(m) => format!("rejected {status}: {m}"),
        _ => format!("rejected {status}"),
    };
    nil_err(cx, &why)
}

/// Reads once from the socket into the reader: `None` when bytes came (make progress
/// again), `Some(ret)` when the call is over: the client left (`nil, "closed"`), a
/// deadline passed (408 and close, or a quiet close; `nil, "timeout"`), or the
/// process blocks until the socket is readable.
fn fill<'n>(cx: &mut Cx<'n>, c: &mut Conn) -> HostResult<'n, Option<Ret>> {
    let mut chunk = [0u8; READ_CHUNK];
    loop {
        let Some(s) = &mut c.stream else {
            return nil_err(cx, "closed").map(Some);
        };
        match s.read(&mut chunk) {
            Ok(0) => {
                c.close();
                return nil_err(cx, "closed").map(Some);
            }
            Ok(n) => {
                cx.charge_bytes(n)?;
                c.reader.feed(&chunk[..n]);
                return Ok(None);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let now = Instant::now();
                let (deadline, quiet) = c.read_deadline(now);
                if now >= deadline {
                    if quiet {
                        c.close();
                    } else {
                        c.refuse(408);
                    }
                    return nil_err(cx, "timeout").map(Some);
                }
                let Some(w) = io_wait::block(cx, Some(deadline)) else {
                    return Err(cx.rt_error("http: connections are served by processes"));
                };
                if let Err(e) = c.arm(Interest::Read, w) {
                    c.close();
                    return nil_err(cx, &e.to_string()).map(Some);
                }
                return Ok(Some(Ret::Block));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                c.close();
                return nil_err(cx, &e.to_string()).map(Some);
            }
        }
    }
}

/// `conn:piece([max])`: the next piece of the current request's streamed body (a
/// string of at most `max` bytes, default 64 KiB), `nil` at its end (or when no body
/// streams), or `nil, why` when it cannot go on: "rejected 413" (over
/// `max_stream_bytes`) or "rejected 400: ..." (bad chunk framing), answered and
/// closed; "timeout" (no byte for `body_timeout`: 408 and closed); "closed" (the
/// client left). The body timeout runs per call, from when it starts waiting.
pub(crate) fn piece<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    let max = match cx.arg(a, 2) {
        Val::Nil => PIECE_DEFAULT,
        _ => cx.check_integer(a, 2)?.clamp(1, PIECE_MAX as i64) as usize,
    };
    with_conn(cx, a, |cx, c| {
        if retry.is_none() {
            c.body_started = None;
        }
        loop {
            if c.responded && c.reader.continue_owed() {
                return nil_err(cx, "closed: the body was not asked for before responding");
            }
            c.send_continue();
            cx.reserve(max.min(c.reader.buffered()))?;
            match c.reader.next_piece(max, &c.limits) {
                Ok(Piece::Data(d)) => {
                    let v = cx.new_string(d);
                    cx.push(v);
                    return Ok(Ret::Values(1));
                }
                Ok(Piece::End) => {
                    cx.push(Val::Nil);
                    return Ok(Ret::Values(1));
                }
                Ok(Piece::NeedMore) => {}
                Err(rej) => return rejected(cx, c, rej),
            }
            if let Some(r) = fill(cx, c)? {
                return Ok(r);
            }
        }
    })
}

/// `conn:body()`: the rest of a streamed body as one string, within `max_body_bytes`
/// (for a route that does not stream on a server that has some); `nil, why` as
/// `conn:piece`. The body timeout runs from the first wait to the end of the body.
pub(crate) fn body<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let _retry = io_wait::take_retry(cx);
    with_conn(cx, a, |cx, c| {
        let max = c.limits.max_body_bytes;
        // An announced length over the limit is refused before the 100 asks for it.
        if c.reader
            .body_left()
            .is_some_and(|n| n > max - c.whole.len().min(max))
        {
            c.whole = Vec::new();
            return rejected(cx, c, Reject::BodyTooLarge);
        }
        c.send_continue();
        loop {
            cx.reserve(c.whole.len() + c.reader.buffered())?;
            match c.reader.next_piece(READ_CHUNK, &c.limits) {
                Ok(Piece::Data(d)) => {
                    if d.len() > max - c.whole.len() {
                        c.whole = Vec::new();
                        return rejected(cx, c, Reject::BodyTooLarge);
                    }
                    c.whole.extend_from_slice(&d);
                    continue;
                }
                Ok(Piece::End) => {
                    let v = cx.new_string(std::mem::take(&mut c.whole));
                    cx.push(v);
                    return Ok(Ret::Values(1));
                }
                Ok(Piece::NeedMore) => {}
                Err(rej) => {
                    c.whole = Vec::new();
                    return rejected(cx, c, rej);
                }
            }
            if let Some(r) = fill(cx, c)? {
                return Ok(r);
            }
        }
    })
}

/// The Lua view of a request: method, path (decoded), query (decoded table), headers
/// (lower-case names; repeated ones joined with ", "), body (absent while it streams),
/// version, params (empty, filled by the router), raw target.
fn request_table<'n>(
    cx: &mut Cx<'n>,
    h: &Head,
    body: Option<&[u8]>,
) -> HostResult<'n, TableRef<'n>> {
    cx.reserve(body.map_or(0, |b| b.len()) + h.target.len() * 3 + 256)?;
    let t = cx.new_table();
    let v = cx.new_str(h.method.as_bytes());
    cx.set_field(t, "method", v);
    let v = cx.new_str(h.target.as_bytes());
    cx.set_field(t, "target", v);
    let raw = h.target.as_bytes();
    let (path, query) = match raw.iter().position(|&b| b == b'?') {
        Some(q) => (&raw[..q], &raw[q + 1..]),
        None => (raw, &b""[..]),
    };
    let v = cx.new_string(crate::request::percent_decode(path, false));
    cx.set_field(t, "path", v);
    let qt = cx.new_table();
    for (k, val) in crate::request::query_pairs(query) {
        let k = cx.new_string(k);
        let val = cx.new_string(val);
        // Repeated names: the first value wins, as a table would keep one.
        if cx.raw_get(qt, k).is_nil() {
            let _ = cx.raw_set(qt, k, val);
        }
    }
    cx.set_field(t, "query", Val::Table(qt));
    let v = cx.new_str(query);
    cx.set_field(t, "query_string", v);
    let ht = cx.new_table();
    for (name, value) in &h.headers {
        let k = cx.new_str(name.as_bytes());
        let joined = match cx.raw_get(ht, k) {
            Val::Str(prev) => {
                let mut j = prev.as_bytes().to_vec();
                j.extend_from_slice(b", ");
                j.extend_from_slice(value);
                j
            }
            _ => value.clone(),
        };
        let v = cx.new_string(joined);
        let _ = cx.raw_set(ht, k, v);
    }
    cx.set_field(t, "headers", Val::Table(ht));
    if let Some(body) = body {
        let v = cx.new_str(body);
        cx.set_field(t, "body", v);
    }
    let v = cx.new_str(if h.minor == 0 {
        b"HTTP/1.0"
    } else {
        b"HTTP/1.1"
    });
    cx.set_field(t, "version", v);
    let params = cx.new_table();
    cx.set_field(t, "params", Val::Table(params));
    Ok(t)
}

/// Writes what is queued; `Some(ret)` when the call is over (sent, failed or blocked).
fn flush<'n>(cx: &mut Cx<'n>, c: &mut Conn) -> HostResult<'n, Option<Ret>> {
    loop {
        let all_out = c.out_pos >= c.out.len();
        if all_out {
            c.out.clear();
            c.out_pos = 0;
        }
        let res = match &mut c.stream {
            None if all_out => {
                c.write_deadline = None;
                return Ok(None);
            }
            None => {
                c.out.clear();
                c.out_pos = 0;
                return nil_err(cx, "closed").map(Some);
            }
            // Over TLS, what rustls still holds must reach the socket too.
            Some(s) if all_out => match s.flush() {
                Ok(()) => {
                    c.write_deadline = None;
                    return Ok(None);
                }
                Err(e) => Err(e),
            },
            Some(s) => s.write(&c.out[c.out_pos..]),
        };
        match res {
            Ok(0) => {
                c.close();
                return nil_err(cx, "closed").map(Some);
            }
            Ok(n) => {
                cx.charge_bytes(n)?;
                c.out_pos += n;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let now = Instant::now();
                let deadline = *c.write_deadline.get_or_insert(now + c.limits.idle_timeout);
                if now >= deadline {
                    c.close();
                    c.out.clear();
                    c.out_pos = 0;
                    return nil_err(cx, "timeout").map(Some);
                }
                let Some(w) = io_wait::block(cx, Some(deadline)) else {
                    return Err(cx.rt_error("http: connections are served by processes"));
                };
                if let Err(e) = c.arm(Interest::Write, w) {
                    c.close();
                    return nil_err(cx, &e.to_string()).map(Some);
                }
                return Ok(Some(Ret::Block));
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                c.close();
                c.out.clear();
                c.out_pos = 0;
                return nil_err(cx, &e.to_string()).map(Some);
            }
        }
    }
}

fn done<'n>(cx: &mut Cx<'n>) -> HostResult<'n, Ret> {
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

/// `conn:respond(status, headers, body)`: sends a response; `body` a string (sent
/// with Content-Length) or nil (a chunked body follows through `conn:chunk`). True, or
/// `nil, why` if the client is gone. Blocks the process while the client is slow.
pub(crate) fn respond<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    if retry.is_none() {
        let status = cx.check_integer(a, 2)?;
        if !(100..=999).contains(&status) {
            return Err(cx.arg_error(2, "status must be between 100 and 999"));
        }
        let headers = match cx.arg(a, 3) {
            Val::Table(t) => Some(t),
            Val::Nil => None,
            _ => return Err(cx.arg_type_error(a, 3, "table")),
        };
        let body = match cx.arg(a, 4) {
            Val::Nil => None,
            v => match cx.to_str_coerce(v) {
                Some(s) => Some(s),
                None => return Err(cx.arg_type_error(a, 4, "string")),
            },
        };
        let hdrs = match headers {
            Some(t) => response::headers_from_lua(cx, t)?,
            None => Vec::new(),
        };
        let v = cx.arg(a, 1);
        let r = cx.with_userdata::<Conn, _>(v, |cx, c| -> HostResult<'n, ()> {
            let mut keep = c.keep;
            if hdrs.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case(b"close")
            }) {
                keep = false;
            }
            // A streamed body left unread: a client still owed its 100 may never send
            // it, and more than DRAIN_MAX is not worth reading to keep the connection.
            if c.reader.streaming()
                && (c.reader.continue_owed() || c.reader.body_left().is_none_or(|n| n > DRAIN_MAX))
            {
                keep = false;
            }
            c.responded = true;
            let no_body = status < 200 || status == 204 || status == 304;
            let framing = match body {
                Some(b) => response::Framing::Length(if no_body { 0 } else { b.as_bytes().len() }),
                None if no_body => response::Framing::Length(0),
                None if c.minor >= 1 => response::Framing::Chunked,
                None => {
                    // An HTTP/1.0 client: the body ends with the connection.
                    keep = false;
                    response::Framing::Close
                }
            };
            c.keep = keep;
            c.chunked = framing == response::Framing::Chunked;
            let head = response::head(status as u16, &hdrs, framing, keep, c.minor);
            cx.reserve(head.len() + body.map_or(0, |b| b.as_bytes().len()))?;
            c.out.extend_from_slice(&head);
            if let Some(b) = body {
                if !c.head_only && !no_body {
                    c.out.extend_from_slice(b.as_bytes());
                }
            }
            Ok(())
        });
        match r {
            Some(r) => r?,
            None => return Err(cx.arg_type_error(a, 1, "http connection")),
        }
    }
    with_conn(cx, a, |cx, c| match flush(cx, c)? {
        Some(r) => Ok(r),
        None => done(cx),
    })
}

/// `conn:chunk(data)` sends one piece of a streamed body; `conn:chunk()` ends it.
pub(crate) fn chunk<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    if retry.is_none() {
        let data = match cx.arg(a, 2) {
            Val::Nil => None,
            v => match cx.to_str_coerce(v) {
                Some(s) => Some(s),
                None => return Err(cx.arg_type_error(a, 2, "string")),
            },
        };
        let v = cx.arg(a, 1);
        let r = cx.with_userdata::<Conn, _>(v, |cx, c| -> HostResult<'n, ()> {
            if c.head_only {
                return Ok(());
            }
            let bytes = data.map_or(&b""[..], |d| d.as_bytes());
            cx.reserve(bytes.len() + 16)?;
            if !c.chunked {
                c.out.extend_from_slice(bytes);
            } else if data.is_none() {
                c.out.extend_from_slice(b"0\r\n\r\n");
            } else if !bytes.is_empty() {
                // An empty chunk would end the body: skip it.
                c.out
                    .extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
                c.out.extend_from_slice(bytes);
                c.out.extend_from_slice(b"\r\n");
            }
            Ok(())
        });
        match r {
            Some(r) => r?,
            None => return Err(cx.arg_type_error(a, 1, "http connection")),
        }
    }
    with_conn(cx, a, |cx, c| match flush(cx, c)? {
        Some(r) => Ok(r),
        None => done(cx),
    })
}

/// `conn:keep_alive()`: whether the connection serves another request.
pub(crate) fn keep_alive<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_conn(cx, a, |cx, c| {
        let k = c.keep && c.stream.is_some();
        cx.push(Val::Bool(k));
        Ok(Ret::Values(1))
    })
}

/// `conn:close()`.
pub(crate) fn close<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_conn(cx, a, |_cx, c| {
        c.close();
        Ok(Ret::Values(0))
    })
}

/// `conn:peer()`: the client's address as "ip:port".
pub(crate) fn peer<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_conn(cx, a, |cx, c| {
        match c.stream.as_ref().and_then(|s| s.tcp().peer_addr().ok()) {
            Some(p) => cx.push_str(p.to_string().as_bytes()),
            None => cx.push(Val::Nil),
        }
        Ok(Ret::Values(1))
    })
}

/// Refuses a WebSocket upgrade with `status` (426 names the version spoken) and
/// closes.
fn refuse_upgrade(c: &mut Conn, status: u16) {
    if status != 426 {
        return c.refuse(status);
    }
    let body = b"426 Upgrade Required: WebSocket version 13\n";
    let mut r = response::head(
        426,
        &[
            ("Sec-WebSocket-Version".into(), b"13".to_vec()),
            ("Upgrade".into(), b"websocket".to_vec()),
            ("Content-Type".into(), b"text/plain; charset=utf-8".to_vec()),
        ],
        response::Framing::Length(body.len()),
        false,
        1,
    );
    r.extend_from_slice(body);
    if let Some(s) = &mut c.stream {
        let _ = s.write(&r);
    }
    c.close();
}

/// `conn:upgrade()`: completes the WebSocket handshake of the request just read
/// (101 Switching Protocols) and turns the connection into a WebSocket owned by this
/// process, whose frames arrive as messages. `nil, why` if the request asked for no
/// upgrade, or asked wrongly (then it was answered with 400 or 426 and closed).
pub(crate) fn upgrade<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    let protocol = match cx.arg(a, 2) {
        Val::Nil => None,
        _ => {
            let p = cx.check_str(a, 2)?;
            if !crate::ws::valid_protocol(p.as_bytes()) {
                return Err(cx.arg_error(2, "a subprotocol is a token like \"chat.v1\""));
            }
            Some(p.to_str_lossy().into_owned())
        }
    };
    if retry.is_none() {
        let r = with_conn(cx, a, |_cx, c| {
            if c.reader.streaming() {
                // Body bytes would be taken for frames.
                c.refuse(400);
                return Ok(Err("rejected 400: a body with an upgrade".to_string()));
            }
            Ok(match c.ws_accept.take() {
                None => Err("not a WebSocket upgrade request".to_string()),
                Some(Err((status, why))) => {
                    refuse_upgrade(c, status);
                    Err(format!("rejected {status}: {why}"))
                }
                Some(Ok(accept)) => {
                    c.out.extend_from_slice(&crate::ws::switching_protocols(
                        &accept,
                        protocol.as_deref(),
                    ));
                    c.keep = false;
                    Ok(())
                }
            })
        })?;
        if let Err(why) = r {
            return nil_err(cx, &why);
        }
    }
    static NEXT_WS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let handle = with_conn(cx, a, |cx, c| {
        if let Some(r) = flush(cx, c)? {
            return Ok(Err(r));
        }
        let Some(stream) = c.stream.take() else {
            return nil_err(cx, "closed").map(Err);
        };
        c.reactor.deregister(stream.tcp().as_raw_fd(), c.token);
        let early = c.reader.take_buffered();
        let id = NEXT_WS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match crate::ws::start(
            cx,
            stream,
            early,
            &c.reactor,
            id,
            &c.limits,
            protocol.clone(),
        ) {
            Ok(h) => Ok(Ok(h)),
            Err(e) => nil_err(cx, &e.to_string()).map(Err),
        }
    })?;
    match handle {
        Ok(h) => {
            let mt = crate::library::ws_meta(cx);
            let v = cx.new_userdata(h, Some(mt));
            cx.push(v);
            Ok(Ret::Values(1))
        }
        Err(r) => Ok(r),
    }
}
