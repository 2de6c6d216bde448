//! WebSocket connections (RFC 6455): the upgrade of an HTTP connection, and a socket
//! whose frames arrive as messages to the process that owns it.
//!
//! The protocol itself (frame parsing, masking, fragments, control frames, the close
//! handshake, UTF-8 checks) is `tungstenite`'s, driven over cube's own non-blocking
//! socket; the handshake's accept key is its `derive_accept_key`. What is ours:
//!
//! - **Reading is done by the reactor thread** (DESIGN.md decision 5: I/O threads
//!   turn readiness into messages). When the socket is readable the reactor reads
//!   frames and sends each complete message to the owner as
//!   `{websocket = id, type = "text"|"binary", data = "..."}`; the end of the
//!   connection arrives once as `{websocket = id, type = "close", code = n,
//!   reason = "..."}`. Pings are answered by tungstenite as it reads.
//! - **Flow control**: at most [`WINDOW`] messages are in flight (sent, not yet
//!   received by the process). The data of each is a foreign value whose conversion
//!   into the receiver's Lua string gives its credit back; a reader out of credit
//!   stops reading (TCP then pushes back on the client) until the process catches up.
//!   So a client that floods costs a bounded mailbox, and each message is bounded by
//!   `max_message_bytes` (tungstenite checks frame and message sizes before it
//!   buffers them).
//! - **Bad input closes with the right code**: a protocol violation (unmasked or
//!   reserved bits, bad opcode, bad control frame...) 1002, a message or frame over
//!   the limit 1009, text that is not UTF-8 1007; the process gets the close message
//!   with that code. A peer that drops the connection without a close frame: 1006.
//! - **Writing is done by the process** (`ws:send`, `ws:close`): it writes without
//!   blocking, and if the socket is full it suspends until it drains (a second,
//!   duplicated descriptor is armed for writability, so reads and writes wait apart).

use crate::reactor::{Interest, Reactor, Ready};
use crate::request::Head;
use crate::tls::ServerStream;
use cube_lua::host::{Cx, HostResult, Val};
use cube_lua::{Args, Ret};
use cube_term::foreign::{Foreign, ForeignValue};
use cube_term::term::{TableGraph, TableTerm};
use cube_term::Term;
use cube_vm::io_wait::{self, ProcessRef};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role, WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message};

/// Messages delivered to the process and not yet received by it.
pub const WINDOW: usize = 64;
/// Messages read per readiness event before the reactor turns to other sockets.
const PER_WAKE: usize = 32;
/// How long `ws:send`/`ws:close` wait for a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// What an upgrade request asks for: `None` if it is no WebSocket upgrade (no
/// `Upgrade: websocket`), else the `Sec-WebSocket-Accept` value or the status that
/// refuses it (400 malformed, 426 another protocol version).
pub fn check_upgrade(head: &Head) -> Option<Result<String, (u16, &'static str)>> {
    let has_token = |name: &str, want: &str| {
        head.headers.iter().any(|(n, v)| {
            n == name
                && v.split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(want.as_bytes()))
        })
    };
    if !has_token("upgrade", "websocket") {
        return None;
    }
    Some(if head.method != "GET" || head.minor < 1 {
        Err((400, "a WebSocket upgrade is a GET over HTTP/1.1"))
    } else if !has_token("connection", "upgrade") {
        Err((400, "Connection: Upgrade is missing"))
    } else if head.header("sec-websocket-version") != Some(b"13") {
        Err((426, "only WebSocket version 13 is spoken"))
    } else {
        match head.header("sec-websocket-key") {
            // 16 random bytes in base64 (RFC 6455 4.1).
            Some(k) if k.trim_ascii().len() == 24 => {
                Ok(tungstenite::handshake::derive_accept_key(k.trim_ascii()))
            }
            _ => Err((400, "Sec-WebSocket-Key is missing or malformed")),
        }
    })
}

/// The 101 response that completes a handshake, naming the subprotocol chosen.
pub(crate) fn switching_protocols(accept: &str, protocol: Option<&str>) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n"
    );
    if let Some(p) = protocol {
        r.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// Whether `p` can name a subprotocol: an HTTP token (RFC 6455 4.1), not too long.
pub(crate) fn valid_protocol(p: &[u8]) -> bool {
    !p.is_empty()
        && p.len() <= 256
        && p.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// The protocol settings for a server socket with messages up to `max_message`.
pub fn config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
        // Allocated per socket up front (tungstenite's default is 128 KiB): the size
        // of the HTTP side's reads, so 10,000 idle sockets hold 160 MiB, not 1.3 GiB.
        .read_buffer_size(16 * 1024)
        // Every send is flushed at once: no batching buffer (tungstenite requires the
        // write buffer limit above this size).
        .write_buffer_size(0)
        // Room for one message being sent and the pongs and close queued behind it.
        .max_write_buffer_size(max_message.saturating_mul(2).saturating_add(64 * 1024))
}

/// What one read of a socket brought.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    /// The connection is over: the peer's close code (1005 if it gave none), or ours
    /// when its input was bad (1002, 1007, 1009), or 1006 for a connection dropped
    /// without a close frame. No event follows.
    Closed {
        code: u16,
        reason: String,
    },
    /// Nothing more until the socket is readable again.
    Pending,
    /// Many control frames in a row (a ping flood): more may be buffered, read on
    /// after other work.
    Yield,
}

/// Control frames (pings, pongs) read in one [`next_event`] before it yields.
const CONTROL_PER_CALL: usize = 64;

/// Reads the next message (answering pings and a close as it goes), mapping every
/// failure to the close it causes. Never panics, whatever bytes the stream holds.
pub fn next_event<S: Read + Write>(ws: &mut WebSocket<S>) -> Event {
    for _ in 0..CONTROL_PER_CALL {
        match ws.read() {
            Ok(Message::Text(t)) => return Event::Text(t.as_str().as_bytes().to_vec()),
            Ok(Message::Binary(b)) => return Event::Binary(b.to_vec()),
            // tungstenite queued the pong; the next read (this loop) sends it.
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
            Ok(Message::Close(f)) => {
                // Our echo of the close is queued: send what the socket takes now.
                let _ = ws.flush();
                let (code, reason) = match f {
                    Some(f) => (u16::from(f.code), f.reason.as_str().to_owned()),
                    None => (1005, String::new()),
                };
                return Event::Closed { code, reason };
            }
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                return Event::Pending
            }
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                return Event::Closed {
                    code: 1000,
                    reason: String::new(),
                }
            }
            Err(WsError::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )) => {
                return Event::Closed {
                    code: 1006,
                    reason: "connection dropped without a close frame".into(),
                }
            }
            Err(WsError::Protocol(p)) => return fail(ws, CloseCode::Protocol, &p.to_string()),
            Err(WsError::Capacity(c)) => return fail(ws, CloseCode::Size, &c.to_string()),
            Err(WsError::Utf8(_)) => return fail(ws, CloseCode::Invalid, "text is not UTF-8"),
            Err(WsError::AttackAttempt) => return fail(ws, CloseCode::Policy, "attack attempt"),
            Err(WsError::Io(e)) => {
                return Event::Closed {
                    code: 1006,
                    reason: e.to_string(),
                }
            }
            Err(e) => return fail(ws, CloseCode::Error, &e.to_string()),
        }
    }
    Event::Yield
}

/// Closes after bad input with `code`, and says so.
fn fail<S: Read + Write>(ws: &mut WebSocket<S>, code: CloseCode, why: &str) -> Event {
    let reason = truncate(why, 123);
    let _ = ws.close(Some(CloseFrame {
        code,
        reason: reason.clone().into(),
    }));
    Event::Closed {
        code: code.into(),
        reason,
    }
}

/// At most `max` bytes of `s`, cut at a character boundary (a close reason must fit
/// a control frame: 125 bytes with the code).
fn truncate(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The socket as the reactor thread and the owner share it.
struct Inner {
    ws: Option<WebSocket<ServerStream>>,
    /// A duplicate of the socket's descriptor, armed for writability alone.
    writer: Option<TcpStream>,
    /// The close message went to the process: nothing more is read.
    done: bool,
}

pub(crate) struct Shared {
    id: u64,
    owner: ProcessRef,
    reactor: Weak<Reactor>,
    read_token: u64,
    write_token: u64,
    inner: Mutex<Inner>,
    in_flight: AtomicUsize,
    /// The reader stopped for lack of credit; whoever gives credit back re-arms it.
    paused: AtomicBool,
    /// When the peer last sent anything (for the ping timeout).
    last_seen: Mutex<Instant>,
    ping: Option<Ping>,
}

/// Keep-alive pings (server options `ping_interval`, `ping_timeout`): a timer
/// descriptor the reactor watches; a peer silent for interval + timeout is gone.
struct Ping {
    timer: std::os::fd::OwnedFd,
    token: u64,
    interval: Duration,
    timeout: Duration,
}

impl Shared {
    /// Reads what the socket holds, within the credit and [`PER_WAKE`], then arms
    /// the reactor for more (or leaves it to the credit's return).
    fn pump(self: &Arc<Self>, reactor: &Reactor) {
        let mut g = self.inner.lock().expect("ws lock");
        // Called on readiness (or for bytes already buffered): the peer is alive.
        *self.last_seen.lock().expect("ws lock") = Instant::now();
        let mut pending = false;
        for _ in 0..PER_WAKE {
            if g.done {
                return;
            }
            let Some(ws) = g.ws.as_mut() else { return };
            if self.in_flight.load(Ordering::Acquire) >= WINDOW {
                self.paused.store(true, Ordering::Release);
                // A receive may have given credit back before the flag was set.
                if self.in_flight.load(Ordering::Acquire) < WINDOW
                    && self.paused.swap(false, Ordering::AcqRel)
                {
                    continue;
                }
                return;
            }
            let (kind, data) = match next_event(ws) {
                Event::Pending => {
                    pending = true;
                    break;
                }
                Event::Yield => break,
                Event::Text(d) => ("text", d),
                Event::Binary(d) => ("binary", d),
                Event::Closed { code, reason } => {
                    g.done = true;
                    if let Some(ws) = g.ws.as_mut() {
                        // Nothing more to read; what we owed the peer is sent. The
                        // server closes the TCP connection first (RFC 6455 7.1.1).
                        ws.get_mut().shutdown();
                    }
                    self.owner.send(self.close_msg(code, &reason));
                    return;
                }
            };
            self.in_flight.fetch_add(1, Ordering::AcqRel);
            let msg = self.data_msg(kind, data);
            if !self.owner.send(msg) {
                // The owner is gone; its handle's drop closes the socket.
                g.done = true;
                return;
            }
        }
        if !pending {
            // Out of turns, not of input: go on after the reactor's other work.
            reactor.call_soon(self.clone());
            return;
        }
        if let Some(ws) = g.ws.as_ref() {
            let fd = ws.get_ref().tcp().as_raw_fd();
            let me: Arc<dyn Ready> = self.clone();
            if reactor
                .arm_call(fd, self.read_token, Interest::Read, me)
                .is_err()
            {
                g.done = true;
                self.owner
                    .send(self.close_msg(1006, "cannot watch the socket"));
            }
        }
    }

    fn data_msg(self: &Arc<Self>, kind: &str, data: Vec<u8>) -> Term {
        let frame = Frame {
            data,
            credit: Arc::downgrade(self),
            taken: AtomicBool::new(false),
        };
        self.msg(vec![
            (Term::binary(b"type"), Term::binary(kind.as_bytes())),
            (Term::binary(b"data"), Term::Foreign(Foreign::new(frame))),
        ])
    }

    fn close_msg(&self, code: u16, reason: &str) -> Term {
        self.msg(vec![
            (Term::binary(b"type"), Term::binary(b"close")),
            (Term::binary(b"code"), Term::Int(code as i64)),
            (Term::binary(b"reason"), Term::binary(reason.as_bytes())),
        ])
    }

    fn msg(&self, mut fields: Vec<(Term, Term)>) -> Term {
        fields.insert(0, (Term::binary(b"websocket"), Term::Int(self.id as i64)));
        let g = TableGraph {
            tables: vec![TableTerm {
                array: Vec::new(),
                hash: fields,
            }],
            marks: Vec::new(),
        };
        Term::Tables(Arc::new(g))
    }

    /// A message was received: its credit comes back, and a reader that stopped for
    /// lack of it reads again.
    fn give_credit(self: &Arc<Self>) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        if self.paused.swap(false, Ordering::AcqRel) {
            // Frames may wait in tungstenite's buffer with the socket drained: read on
            // without waiting for readiness.
            if let Some(r) = self.reactor.upgrade() {
                r.call_soon(self.clone());
            }
        }
    }

    /// Forgets the socket in the reactor and closes it.
    fn shut(&self) {
        let mut g = self.inner.lock().expect("ws lock");
        g.done = true;
        let r = self.reactor.upgrade();
        if let Some(mut ws) = g.ws.take() {
            if let Some(r) = &r {
                r.deregister(ws.get_ref().tcp().as_raw_fd(), self.read_token);
            }
            ws.get_mut().shutdown();
        }
        if let Some(w) = g.writer.take() {
            if let Some(r) = &r {
                r.deregister(w.as_raw_fd(), self.write_token);
            }
        }
        if let (Some(p), Some(r)) = (&self.ping, &r) {
            r.deregister(p.timer.as_raw_fd(), p.token);
        }
    }

    /// The ping timer fired: ping a quiet peer, or end the connection of one that
    /// stayed silent past the timeout.
    fn tick(self: &Arc<Self>, reactor: &Reactor) {
        let Some(p) = &self.ping else { return };
        let mut count = 0u64;
        // SAFETY: reads 8 bytes into a live u64 from our timer descriptor (clearing
        // its expirations; non-blocking).
        unsafe {
            libc::read(
                p.timer.as_raw_fd(),
                &mut count as *mut u64 as *mut libc::c_void,
                8,
            )
        };
        let mut g = self.inner.lock().expect("ws lock");
        if g.done {
            return;
        }
        let Some(ws) = g.ws.as_mut() else { return };
        let quiet = self.last_seen.lock().expect("ws lock").elapsed();
        if quiet >= p.interval + p.timeout {
            ws.get_mut().shutdown();
            g.done = true;
            self.owner.send(self.close_msg(1006, "ping timeout"));
            return;
        }
        if quiet >= p.interval {
            // Best effort: a full socket keeps it queued, the next write sends it.
            let _ = ws.write(Message::Ping(Default::default()));
            let _ = ws.flush();
        }
        let me: Arc<dyn Ready> = Arc::new(Tick(Arc::downgrade(self)));
        if reactor
            .arm_call(p.timer.as_raw_fd(), p.token, Interest::Read, me)
            .is_err()
        {
            g.done = true;
            self.owner
                .send(self.close_msg(1006, "cannot watch the timer"));
        }
    }
}

/// The ping timer's callback (weak: a timer never keeps a socket alive).
struct Tick(Weak<Shared>);

impl Ready for Tick {
    fn ready(self: Arc<Self>, reactor: &Arc<Reactor>) {
        if let Some(s) = self.0.upgrade() {
            s.tick(reactor);
        }
    }
}

/// A periodic timer descriptor firing every `every`.
fn periodic_timer(every: Duration) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain system calls; the descriptor is owned by the OwnedFd at once.
    let fd = unsafe {
        libc::timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and nothing else owns it.
    let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    let ts = libc::timespec {
        tv_sec: every.as_secs() as libc::time_t,
        tv_nsec: every.subsec_nanos() as libc::c_long,
    };
    let spec = libc::itimerspec {
        it_interval: ts,
        it_value: ts,
    };
    // SAFETY: `spec` lives across the call; the old value is not asked for.
    if unsafe { libc::timerfd_settime(fd, 0, &spec, std::ptr::null_mut()) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(owned)
}

impl Ready for Shared {
    fn ready(self: Arc<Self>, reactor: &Arc<Reactor>) {
        self.pump(reactor);
    }
}

/// The data of a received message: becomes a Lua string in the receiver, and gives
/// its socket's credit back then (once, however often the message is copied).
struct Frame {
    data: Vec<u8>,
    credit: Weak<Shared>,
    taken: AtomicBool,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "websocket data ({} bytes)", self.data.len())
    }
}

impl ForeignValue for Frame {
    fn type_name(&self) -> &'static str {
        "websocket data"
    }

    fn byte_size(&self) -> usize {
        self.data.len()
    }

    fn to_lua<'n>(&self, cx: &mut Cx<'n>) -> Val<'n> {
        if !self.taken.swap(true, Ordering::AcqRel) {
            if let Some(s) = self.credit.upgrade() {
                s.give_credit();
            }
        }
        cx.new_str(&self.data)
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        // A message dropped unreceived (its process died) gives its credit back too.
        if !self.taken.swap(true, Ordering::AcqRel) {
            if let Some(s) = self.credit.upgrade() {
                s.give_credit();
            }
        }
    }
}

/// The owner's handle (a userdata in its heap): its drop closes the socket.
pub(crate) struct Handle {
    shared: Arc<Shared>,
    /// A message `ws:send` could not hand to tungstenite yet (its buffer was full).
    pending: Option<Message>,
    write_deadline: Option<Instant>,
    max_message: usize,
    protocol: Option<String>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        {
            let mut g = self.shared.inner.lock().expect("ws lock");
            if let (false, Some(ws)) = (g.done, g.ws.as_mut()) {
                // The process ended without closing: say it is going away.
                let _ = ws.close(Some(CloseFrame {
                    code: CloseCode::Away,
                    reason: "".into(),
                }));
            }
        }
        self.shared.shut();
    }
}

/// Turns an upgraded connection's socket into a WebSocket owned by the calling
/// process; `early` holds bytes the client sent after its request. Reading starts
/// at once (frames that came early are delivered).
pub(crate) fn start(
    cx: &mut Cx<'_>,
    stream: ServerStream,
    early: Vec<u8>,
    reactor: &Arc<Reactor>,
    id: u64,
    limits: &crate::request::Limits,
    protocol: Option<String>,
) -> std::io::Result<Handle> {
    let max_message = limits.max_message_bytes;
    let ping = limits.ping_interval.map(|i| (i, limits.ping_timeout));
    let owner = ProcessRef::current(cx)
        .ok_or_else(|| std::io::Error::other("a WebSocket is owned by a process"))?;
    let writer = stream.tcp().try_clone()?;
    let read_token = reactor.register(stream.tcp().as_raw_fd())?;
    let write_token = match reactor.register(writer.as_raw_fd()) {
        Ok(t) => t,
        Err(e) => {
            reactor.deregister(stream.tcp().as_raw_fd(), read_token);
            return Err(e);
        }
    };
    let ping = match ping {
        Some((interval, timeout)) => {
            let timer = periodic_timer(interval)?;
            let token = reactor.register(timer.as_raw_fd())?;
            Some(Ping {
                timer,
                token,
                interval,
                timeout,
            })
        }
        None => None,
    };
    let ws = WebSocket::from_partially_read(stream, early, Role::Server, Some(config(max_message)));
    let shared = Arc::new(Shared {
        id,
        owner,
        reactor: Arc::downgrade(reactor),
        read_token,
        write_token,
        inner: Mutex::new(Inner {
            ws: Some(ws),
            writer: Some(writer),
            done: false,
        }),
        in_flight: AtomicUsize::new(0),
        paused: AtomicBool::new(false),
        last_seen: Mutex::new(Instant::now()),
        ping,
    });
    if let Some(p) = &shared.ping {
        let me: Arc<dyn Ready> = Arc::new(Tick(Arc::downgrade(&shared)));
        reactor.arm_call(p.timer.as_raw_fd(), p.token, Interest::Read, me)?;
    }
    shared.pump(reactor);
    Ok(Handle {
        shared,
        pending: None,
        write_deadline: None,
        max_message,
        protocol,
    })
}

pub(crate) fn with_ws<'n, R>(
    cx: &mut Cx<'n>,
    a: Args,
    f: impl FnOnce(&mut Cx<'n>, &mut Handle) -> HostResult<'n, R>,
) -> HostResult<'n, R> {
    let v = cx.arg(a, 1);
    match cx.with_userdata::<Handle, _>(v, f) {
        Some(r) => r,
        None => Err(cx.arg_type_error(a, 1, "websocket")),
    }
}

fn nil_err<'n>(cx: &mut Cx<'n>, msg: &str) -> HostResult<'n, Ret> {
    cx.push(Val::Nil);
    cx.push_str(msg.as_bytes());
    Ok(Ret::Values(2))
}

/// Hands the pending message to tungstenite and flushes; blocks the process while
/// the socket is full. True once all is written, `nil, why` if the socket is gone.
fn drain<'n>(cx: &mut Cx<'n>, h: &mut Handle) -> HostResult<'n, Ret> {
    let shared = h.shared.clone();
    let mut g = shared.inner.lock().expect("ws lock");
    let Some(ws) = g.ws.as_mut() else {
        h.pending = None;
        return nil_err(cx, "closed");
    };
    let mut full = false;
    if let Some(m) = h.pending.take() {
        match ws.write(m) {
            Ok(()) => {}
            Err(WsError::WriteBufferFull(m)) => {
                h.pending = Some(*m);
                full = true;
            }
            // The frame is in tungstenite's buffer; the flush below goes on with it.
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => {
                return nil_err(cx, "closed")
            }
            Err(WsError::Protocol(tungstenite::error::ProtocolError::SendAfterClosing)) => {
                return nil_err(cx, "closed")
            }
            Err(e) => return nil_err(cx, &e.to_string()),
        }
    }
    let blocked = match ws.flush() {
        Ok(()) => full,
        Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => true,
        Err(WsError::ConnectionClosed) => {
            h.pending = None;
            return done(cx);
        }
        Err(e) => {
            h.pending = None;
            return nil_err(cx, &e.to_string());
        }
    };
    if !blocked {
        h.write_deadline = None;
        return done(cx);
    }
    let now = Instant::now();
    let deadline = *h.write_deadline.get_or_insert(now + WRITE_TIMEOUT);
    if now >= deadline {
        h.pending = None;
        drop(g);
        shared.shut();
        return nil_err(cx, "timeout");
    }
    let Some(w) = io_wait::block(cx, Some(deadline)) else {
        return Err(cx.rt_error("http: WebSockets are served by processes"));
    };
    let armed = match (g.writer.as_ref(), shared.reactor.upgrade()) {
        (Some(wr), Some(r)) => r.arm(wr.as_raw_fd(), shared.write_token, Interest::Write, w),
        _ => Err(std::io::Error::other("closed")),
    };
    if let Err(e) = armed {
        return nil_err(cx, &e.to_string());
    }
    Ok(Ret::Block)
}

fn done<'n>(cx: &mut Cx<'n>) -> HostResult<'n, Ret> {
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

/// `ws:send(data [, binary])`: sends a text message (a binary one if `binary` is
/// true). True, or `nil, why` ("closed", "timeout"). Blocks the process while the
/// client does not take the bytes.
pub(crate) fn send<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    if retry.is_none() {
        let data = match cx.arg(a, 2) {
            v @ (Val::Str(_) | Val::Num(_)) => cx.to_str_coerce(v).expect("string or number"),
            _ => return Err(cx.arg_type_error(a, 2, "string")),
        };
        let binary = cx.arg(a, 3).truthy();
        let bytes = data.as_bytes();
        let max = with_ws(cx, a, |_cx, h| Ok(h.max_message))?;
        if bytes.len() > max {
            return Err(cx.arg_error(
                2,
                &format!(
                    "message of {} bytes is over max_message_bytes ({max})",
                    bytes.len()
                ),
            ));
        }
        cx.charge_bytes(bytes.len())?;
        let msg = if binary {
            Message::Binary(bytes.to_vec().into())
        } else {
            match std::str::from_utf8(bytes) {
                Ok(s) => Message::Text(s.into()),
                Err(_) => return Err(cx.arg_error(2, "text must be UTF-8 (send it as binary)")),
            }
        };
        with_ws(cx, a, |_cx, h| {
            h.pending = Some(msg);
            Ok(())
        })?;
    }
    with_ws(cx, a, drain)
}

/// `ws:close([code [, reason]])`: starts the closing handshake (code 1000 unless
/// given; the reason at most 123 bytes). The process later gets the close message
/// when the client answers. True, or `nil, why`.
pub(crate) fn close<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    if retry.is_none() {
        let code = match cx.arg(a, 2) {
            Val::Nil => 1000,
            _ => cx.check_integer(a, 2)?,
        };
        // Codes an endpoint may send (RFC 6455 7.4): 1000-1003, 1007-1011, 3000-4999.
        if !matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999) {
            return Err(cx.arg_error(2, "not a close code an endpoint may send"));
        }
        let reason = match cx.arg(a, 3) {
            Val::Nil => String::new(),
            _ => cx.check_str(a, 3)?.to_str_lossy().into_owned(),
        };
        if reason.len() > 123 {
            return Err(cx.arg_error(3, "a close reason is at most 123 bytes"));
        }
        let frame = CloseFrame {
            code: CloseCode::from(code as u16),
            reason: reason.into(),
        };
        with_ws(cx, a, |_cx, h| {
            let g = h.shared.inner.lock().expect("ws lock");
            let active = !g.done && g.ws.as_ref().is_some_and(|w| w.can_write());
            drop(g);
            h.pending = active.then_some(Message::Close(Some(frame)));
            Ok(())
        })?;
    }
    with_ws(cx, a, drain)
}

/// `ws:id()`: the number in this socket's messages (`msg.websocket`).
pub(crate) fn id<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_ws(cx, a, |cx, h| {
        cx.push(Val::Num(h.shared.id as f64));
        Ok(Ret::Values(1))
    })
}

/// `ws:protocol()`: the subprotocol chosen in the handshake, or nil.
pub(crate) fn protocol<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_ws(cx, a, |cx, h| {
        match &h.protocol {
            Some(p) => cx.push_str(p.as_bytes()),
            None => cx.push(Val::Nil),
        }
        Ok(Ret::Values(1))
    })
}

/// `ws:peer()`: the client's address as "ip:port" (nil once closed).
pub(crate) fn peer<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_ws(cx, a, |cx, h| {
        let p = {
            let g = h.shared.inner.lock().expect("ws lock");
            g.ws.as_ref()
                .and_then(|w| w.get_ref().tcp().peer_addr().ok())
        };
        match p {
            Some(p) => cx.push_str(p.to_string().as_bytes()),
            None => cx.push(Val::Nil),
        }
        Ok(Ret::Values(1))
    })
}

/// An in-memory server-side WebSocket for tests and the `ws_frames` fuzz target:
/// bytes fed in as a client would send them, [`Decoder::read`] reads them through
/// the same [`next_event`] the reactor uses, and [`Decoder::take_output`] gives
/// what the server answered (pongs, closes).
pub struct Decoder {
    ws: WebSocket<Mem>,
    /// How the connection ended: nothing is read after it (as the reactor stops).
    over: Option<(u16, String)>,
}

/// The stream under a [`Decoder`]: reads what was fed (then `WouldBlock`), keeps
/// what is written.
struct Mem {
    input: Vec<u8>,
    pos: usize,
    output: Vec<u8>,
}

impl Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.input[self.pos..];
        if rest.is_empty() {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        if self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
        }
        Ok(n)
    }
}

impl Write for Mem {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Decoder {
    /// A server socket that accepts messages up to `max_message` bytes.
    pub fn new(max_message: usize) -> Decoder {
        let mem = Mem {
            input: Vec::new(),
            pos: 0,
            output: Vec::new(),
        };
        Decoder {
            ws: WebSocket::from_raw_socket(mem, Role::Server, Some(config(max_message))),
            over: None,
        }
    }

    /// Bytes as they arrive from the client.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.ws.get_mut().input.extend_from_slice(bytes);
    }

    /// The next event the fed bytes make.
    pub fn read(&mut self) -> Event {
        if let Some((code, reason)) = &self.over {
            return Event::Closed {
                code: *code,
                reason: reason.clone(),
            };
        }
        let e = next_event(&mut self.ws);
        if let Event::Closed { code, reason } = &e {
            self.over = Some((*code, reason.clone()));
        }
        e
    }

    /// What the server wrote since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.ws.get_mut().output)
    }
}
