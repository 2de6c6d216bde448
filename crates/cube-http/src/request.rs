//! Reading requests off a connection: a state machine fed with the bytes the socket
//! gives, that parses the head with `httparse`, frames the body (Content-Length or
//! chunked, chunk sizes by `httparse::parse_chunk_size`) and enforces the limits
//! before anything a client chooses is allocated. It does no I/O, so the fuzz target
//! (`fuzz/fuzz_targets/http_request.rs`) drives it with any bytes split anywhere.
//!
//! Bodies arrive whole ([`Progress::Done`]) unless [`Limits::stream`] is set: then a
//! request with a body stops at its head ([`Progress::Head`]) and the body comes out
//! piece by piece, decoded, from [`Reader::next_piece`], against its own total limit
//! ([`Limits::max_stream_bytes`]). The same framing code serves both, so a streamed
//! body is delimited exactly as a whole one would be.

use std::time::Duration;

/// The most header lines a request may have (more: 431).
pub const MAX_HEADERS: usize = 100;

/// How a server reads requests; every field has a default and a `http.server` option.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Bytes of request line and headers (more: 431).
    pub max_header_bytes: usize,
    /// Bytes of a body, after chunked decoding (more: 413).
    pub max_body_bytes: usize,
    /// From the first byte of a request to the end of its head (then 408 and close):
    /// a client that trickles its headers (slowloris) holds a connection no longer.
    pub header_timeout: Duration,
    /// From the end of the head to the end of the body (then 408 and close).
    pub body_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request, and a response
    /// for the client to take its bytes (then the connection closes quietly).
    pub idle_timeout: Duration,
    /// Bytes of one WebSocket message, also of each of its frames (more: close 1009).
    pub max_message_bytes: usize,
    /// WebSocket keep-alive: a ping after this long without input from the peer, and
    /// the end of the connection when `ping_timeout` more pass in silence (`None`:
    /// no pings).
    pub ping_interval: Option<Duration>,
    pub ping_timeout: Duration,
    /// Requests with a body stop at their head ([`Progress::Head`]); the body is
    /// taken with [`Reader::next_piece`] (a server with streaming routes).
    pub stream: bool,
    /// Bytes of a streamed body, after chunked decoding (more: 413, mid-stream for a
    /// chunked body, at the head for a Content-Length).
    pub max_stream_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_header_bytes: 16 * 1024,
            max_body_bytes: 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_message_bytes: 1024 * 1024,
            ping_interval: None,
            ping_timeout: Duration::from_secs(30),
            stream: false,
            max_stream_bytes: 1 << 30,
        }
    }
}

/// A request's line and headers, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub method: String,
    /// The request target as sent (path and query, still percent-encoded).
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// Names in lower case, in the order sent.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// Whether the client wants the connection kept after this request: HTTP/1.1
    /// unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let tokens = |want: &str| {
            self.headers.iter().any(|(n, v)| {
                n == "connection"
                    && v.split(|&b| b == b',')
                        .any(|t| t.trim_ascii().eq_ignore_ascii_case(want.as_bytes()))
            })
        };
        if self.minor >= 1 {
            !tokens("close")
        } else {
            tokens("keep-alive")
        }
    }

    /// Whether the client waits for `100 Continue` before it sends the body.
    pub fn expects_continue(&self) -> bool {
        self.minor >= 1
            && self
                .header("expect")
                .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"100-continue"))
    }
}

/// A whole request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub head: Head,
    pub body: Vec<u8>,
}

/// Why a request is refused; the connection closes after the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// Malformed: 400.
    Bad(&'static str),
    /// Head over the limit or too many header lines: 431.
    HeadTooLarge,
    /// Body over the limit: 413.
    BodyTooLarge,
    /// A transfer coding other than chunked: 501.
    NotImplemented,
    /// Not HTTP/1.x: 505.
    Version,
}

impl Reject {
    pub fn status(self) -> u16 {
        match self {
            Reject::Bad(_) => 400,
            Reject::HeadTooLarge => 431,
            Reject::BodyTooLarge => 413,
            Reject::NotImplemented => 501,
            Reject::Version => 505,
        }
    }
}

/// What [`Reader::next`] found in the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress {
    /// More bytes are needed.
    NeedMore,
    /// The head is in and announces a body after `Expect: 100-continue`: the server
    /// should say `100 Continue` (reported once per request), then feed more.
    Continue,
    /// A request is complete; bytes after it stay for the next one (pipelining).
    Done(Request),
    /// Only with [`Limits::stream`]: the head of a request whose body follows, to be
    /// taken with [`Reader::next_piece`] (no `100 Continue` was reported for it).
    Head(Head),
}

/// What [`Reader::next_piece`] found of a streamed body.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// More bytes are needed.
    NeedMore,
    /// The next decoded bytes of the body (never empty).
    Data(Vec<u8>),
    /// The body is over (or there was none to stream); the reader is back at a head.
    End,
}

#[derive(Debug)]
enum Chunk {
    /// Expecting a chunk-size line.
    Size,
    /// In a chunk's data, this many bytes to go.
    Data(usize),
    /// After a chunk's data, expecting CRLF.
    DataEnd,
    /// After the last chunk, trailer lines up to an empty one (bytes seen so far).
    Trailers(usize),
}

#[derive(Debug)]
enum Body {
    Length(usize),
    Chunked(Chunk),
}

#[derive(Debug)]
enum State {
    Head,
    Body {
        head: Head,
        body: Vec<u8>,
        framing: Body,
        continued: bool,
    },
    /// A streamed body after its head was handed out: `got` decoded bytes so far,
    /// `expect` while a `100 Continue` the client waits for is still owed.
    Stream {
        framing: Body,
        got: usize,
        expect: bool,
    },
}

/// The request reader of one connection.
#[derive(Debug)]
pub struct Reader {
    buf: Vec<u8>,
    state: State,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

impl Reader {
    pub fn new() -> Reader {
        Reader {
            buf: Vec::new(),
            state: State::Head,
        }
    }

    /// Appends bytes read from the socket. The caller reads only while
    /// [`Reader::next`] says `NeedMore`, in bounded pieces, so the buffer stays within
    /// the limits plus one read.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The bytes read past the last complete request (after an upgrade to WebSocket,
    /// the first frames a client sent without waiting for the 101).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// Whether no byte of a next request has arrived (the connection is idle).
    pub fn idle(&self) -> bool {
        self.buf.is_empty() && matches!(self.state, State::Head)
    }

    /// Bytes read from the socket and not yet taken (a bound on the next piece).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Whether the head of the current request is in (its body is being read).
    pub fn in_body(&self) -> bool {
        matches!(self.state, State::Body { .. } | State::Stream { .. })
    }

    /// Whether a streamed body is not yet over (its pieces come from
    /// [`Reader::next_piece`], and [`Reader::next`] is not to be called).
    pub fn streaming(&self) -> bool {
        matches!(self.state, State::Stream { .. })
    }

    /// Takes the `100 Continue` a streamed body's client waits for: true once, if it
    /// asked and it is owed.
    pub fn take_continue(&mut self) -> bool {
        match &mut self.state {
            State::Stream { expect, .. } => std::mem::take(expect),
            _ => false,
        }
    }

    /// Whether a `100 Continue` the client waits for was never sent: such a client
    /// may never send its body, so the connection cannot be reused.
    pub fn continue_owed(&self) -> bool {
        matches!(self.state, State::Stream { expect: true, .. })
    }

    /// Bytes of a streamed body still to come, if its length is known (Content-Length);
    /// `Some(0)` when no body is streaming.
    pub fn body_left(&self) -> Option<usize> {
        match &self.state {
            State::Stream {
                framing: Body::Length(n),
                got,
                ..
            } => Some(n - got),
            State::Stream { .. } => None,
            _ => Some(0),
        }
    }

    /// The next piece of a streamed body, at most `max` bytes (at least 1) of what is
    /// buffered; [`Piece::End`] once it is over, or if no body is streaming.
    pub fn next_piece(&mut self, max: usize, limits: &Limits) -> Result<Piece, Reject> {
        let State::Stream { framing, got, .. } = &mut self.state else {
            return Ok(Piece::End);
        };
        let max = max.max(1);
        let mut out = Vec::new();
        let done = match framing {
            Body::Length(n) => {
                let take = (*n - *got).min(self.buf.len()).min(max);
                out.extend_from_slice(&self.buf[..take]);
                self.buf.drain(..take);
                *got += take;
                *got == *n
            }
            Body::Chunked(c) => {
                let done = dechunk(
                    &mut self.buf,
                    c,
                    &mut out,
                    Room {
                        before: *got,
                        limit: limits.max_stream_bytes,
                        max,
                    },
                    limits,
                )?;
                *got += out.len();
                done
            }
        };
        if !out.is_empty() {
            // The end, if reached, is reported by the next call.
            if done {
                self.state = State::Stream {
                    framing: Body::Length(0),
                    got: 0,
                    expect: false,
                };
            }
            return Ok(Piece::Data(out));
        }
        if done {
            self.state = State::Head;
            return Ok(Piece::End);
        }
        Ok(Piece::NeedMore)
    }

    /// Makes what progress the buffered bytes allow.
    pub fn next(&mut self, limits: &Limits) -> Result<Progress, Reject> {
        loop {
            match &mut self.state {
                State::Head => {
                    // Blank lines before a request line are allowed (RFC 9112 2.2).
                    let skip = self
                        .buf
                        .iter()
                        .take_while(|&&b| b == b'\r' || b == b'\n')
                        .count();
                    self.buf.drain(..skip);
                    let Some((head, used)) = parse_head(&self.buf, limits)? else {
                        return Ok(Progress::NeedMore);
                    };
                    self.buf.drain(..used);
                    let framing = framing(&head, limits)?;
                    match framing {
                        Body::Length(0) => {
                            return Ok(Progress::Done(Request {
                                head,
                                body: Vec::new(),
                            }))
                        }
                        _ if limits.stream => {
                            self.state = State::Stream {
                                framing,
                                got: 0,
                                expect: head.expects_continue(),
                            };
                            return Ok(Progress::Head(head));
                        }
                        Body::Length(n) => {
                            let want = n.min(self.buf.len());
                            let body = Vec::with_capacity(want);
                            self.state = State::Body {
                                head,
                                body,
                                framing,
                                continued: false,
                            };
                        }
                        Body::Chunked(_) => {
                            self.state = State::Body {
                                head,
                                body: Vec::new(),
                                framing,
                                continued: false,
                            };
                        }
                    }
                }
                State::Body {
                    head,
                    body,
                    framing,
                    continued,
                } => {
                    let done = match framing {
                        Body::Length(n) => {
                            let take = (*n - body.len()).min(self.buf.len());
                            body.extend_from_slice(&self.buf[..take]);
                            self.buf.drain(..take);
                            body.len() == *n
                        }
                        Body::Chunked(c) => dechunk(
                            &mut self.buf,
                            c,
                            body,
                            Room {
                                before: 0,
                                limit: limits.max_body_bytes,
                                max: usize::MAX,
                            },
                            limits,
                        )?,
                    };
                    if done {
                        let State::Body { head, body, .. } =
                            std::mem::replace(&mut self.state, State::Head)
                        else {
                            unreachable!("in the body state")
                        };
                        return Ok(Progress::Done(Request { head, body }));
                    }
                    if !*continued && head.expects_continue() {
                        *continued = true;
                        if self.buf.is_empty() {
                            return Ok(Progress::Continue);
                        }
                    }
                    return Ok(Progress::NeedMore);
                }
                State::Stream { .. } => {
                    // The caller drains a streamed body with next_piece first.
                    return Err(Reject::Bad("request body not read"));
                }
            }
        }
    }
}

/// The head at the start of `buf` and its length, `None` if incomplete.
fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(Head, usize)>, Reject> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Partial) => {
            if buf.len() > limits.max_header_bytes {
                return Err(Reject::HeadTooLarge);
            }
            Ok(None)
        }
        Ok(httparse::Status::Complete(used)) => {
            if used > limits.max_header_bytes {
                return Err(Reject::HeadTooLarge);
            }
            let minor = match req.version {
                Some(v @ (0 | 1)) => v,
                _ => return Err(Reject::Version),
            };
            let method = req.method.unwrap_or_default().to_string();
            let target = req.path.unwrap_or_default().to_string();
            if !(target.starts_with('/') || target == "*" || method == "CONNECT") {
                // Absolute-form targets are for proxies; this is an origin server.
                return Err(Reject::Bad("unsupported request target"));
            }
            let headers = req
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                .collect();
            Ok(Some((
                Head {
                    method,
                    target,
                    minor,
                    headers,
                },
                used,
            )))
        }
        Err(httparse::Error::TooManyHeaders) => Err(Reject::HeadTooLarge),
        Err(httparse::Error::Version) => Err(Reject::Version),
        Err(_) => Err(Reject::Bad("malformed request")),
    }
}

/// How the body of a request with this head is delimited (RFC 9112 6.3).
fn framing(head: &Head, limits: &Limits) -> Result<Body, Reject> {
    let te: Vec<&[u8]> = head
        .headers
        .iter()
        .filter(|(n, _)| n == "transfer-encoding")
        .map(|(_, v)| v.as_slice())
        .collect();
    let cl: Vec<&[u8]> = head
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .map(|(_, v)| v.as_slice())
        .collect();
    if !te.is_empty() {
        // Both framings at once is how requests are smuggled: refuse.
        if !cl.is_empty() || head.minor == 0 {
            return Err(Reject::Bad("transfer-encoding with content-length"));
        }
        let codings: Vec<&[u8]> = te
            .iter()
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|t| t.trim_ascii())
            .collect();
        if codings.len() == 1 && codings[0].eq_ignore_ascii_case(b"chunked") {
            return Ok(Body::Chunked(Chunk::Size));
        }
        return Err(Reject::NotImplemented);
    }
    let Some(first) = cl.first() else {
        return Ok(Body::Length(0));
    };
    if cl.iter().any(|v| v != first) {
        return Err(Reject::Bad("conflicting content-length"));
    }
    let s =
        std::str::from_utf8(first.trim_ascii()).map_err(|_| Reject::Bad("bad content-length"))?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reject::Bad("bad content-length"));
    }
    // Too many digits for a usize is too large for any limit.
    let n: usize = s.parse().map_err(|_| Reject::BodyTooLarge)?;
    let limit = if limits.stream {
        limits.max_stream_bytes
    } else {
        limits.max_body_bytes
    };
    if n > limit {
        return Err(Reject::BodyTooLarge);
    }
    Ok(Body::Length(n))
}

/// Where decoded chunk data goes: `before` body bytes were decoded earlier (a
/// streamed body's previous pieces), the body may have `limit` in all, and this call
/// appends at most `max`.
struct Room {
    before: usize,
    limit: usize,
    max: usize,
}

/// Decodes what `buf` holds of a chunked body into `body`; true once the last chunk
/// and the trailers are in.
fn dechunk(
    buf: &mut Vec<u8>,
    c: &mut Chunk,
    body: &mut Vec<u8>,
    room: Room,
    limits: &Limits,
) -> Result<bool, Reject> {
    loop {
        match c {
            Chunk::Size => match httparse::parse_chunk_size(buf) {
                Ok(httparse::Status::Complete((used, size))) => {
                    buf.drain(..used);
                    let size = usize::try_from(size).map_err(|_| Reject::BodyTooLarge)?;
                    // The announced size alone is refused: nothing is read for it.
                    let total = room.before + body.len();
                    if size > room.limit.saturating_sub(total) {
                        return Err(Reject::BodyTooLarge);
                    }
                    *c = if size == 0 {
                        Chunk::Trailers(0)
                    } else {
                        Chunk::Data(size)
                    };
                }
                Ok(httparse::Status::Partial) => {
                    // A size line is short; extensions may not make it huge.
                    if buf.len() > 1024 {
                        return Err(Reject::Bad("chunk size line too long"));
                    }
                    return Ok(false);
                }
                Err(_) => return Err(Reject::Bad("bad chunk size")),
            },
            Chunk::Data(left) => {
                let take = (*left).min(buf.len()).min(room.max - body.len());
                body.extend_from_slice(&buf[..take]);
                buf.drain(..take);
                *left -= take;
                if *left > 0 {
                    return Ok(false);
                }
                *c = Chunk::DataEnd;
            }
            Chunk::DataEnd => {
                if buf.len() < 2 {
                    return Ok(false);
                }
                if &buf[..2] != b"\r\n" {
                    return Err(Reject::Bad("chunk data not followed by CRLF"));
                }
                buf.drain(..2);
                *c = Chunk::Size;
            }
            Chunk::Trailers(seen) => {
                // Trailer fields are read and dropped; they count against the head limit.
                let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
                    if *seen + buf.len() > limits.max_header_bytes {
                        return Err(Reject::HeadTooLarge);
                    }
                    return Ok(false);
                };
                *seen += eol + 2;
                if *seen > limits.max_header_bytes {
                    return Err(Reject::HeadTooLarge);
                }
                buf.drain(..eol + 2);
                if eol == 0 {
                    return Ok(true);
                }
            }
        }
    }
}

/// Percent-decodes `s` (and `+` as space when `plus`); a `%` not followed by two hex
/// digits is kept as it is.
pub fn percent_decode(s: &[u8], plus: bool) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The query string of a target split into decoded `(name, value)` pairs.
pub fn query_pairs(query: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    query
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(eq) => (
                percent_decode(&p[..eq], true),
                percent_decode(&p[eq + 1..], true),
            ),
            None => (percent_decode(p, true), Vec::new()),
        })
        .collect()
}
