//! A socket of a process: the `Sock` userdata and its Lua methods (bind, connect,
//! send, recv, options, monitor, close), and how an operation that would block
//! suspends the process (see the crate documentation).

use crate::options::{self, Access, Kind, Opt};
use crate::{errno, strerror, Shared};
use cube_lua::host::{Cx, HostResult, Val};
use cube_lua::{Args, Ret};
use cube_vm::io_wait::{self, Retry};
use std::ffi::{c_int, c_void, CString};
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zmq_sys as z;

const EAGAIN: i32 = libc::EAGAIN;
const DONTWAIT: c_int = z::ZMQ_DONTWAIT as c_int;
const SNDMORE: c_int = z::ZMQ_SNDMORE as c_int;
pub(crate) const POLLIN: i16 = z::ZMQ_POLLIN as i16;
pub(crate) const POLLOUT: i16 = z::ZMQ_POLLOUT as i16;

/// A reusable `zmq_msg_t` (libzmq wants it 8-byte aligned).
#[repr(C, align(8))]
struct Msg(z::zmq_msg_t);

impl Msg {
    fn new() -> Box<Msg> {
        let mut m = Box::new(Msg(z::zmq_msg_t { __: [0; 64] }));
        // SAFETY: initialises an empty message in place.
        unsafe { z::zmq_msg_init(&mut m.0) };
        m
    }

    fn bytes(&mut self) -> &[u8] {
        // SAFETY: data and size describe the message's buffer while it is not changed.
        unsafe {
            let n = z::zmq_msg_size(&self.0);
            if n == 0 {
                return &[];
            }
            std::slice::from_raw_parts(z::zmq_msg_data(&mut self.0) as *const u8, n)
        }
    }

    /// Frees a big message's buffer now rather than at the next receive.
    fn release_if_large(&mut self) {
        // SAFETY: closing and re-initialising an initialised message.
        unsafe {
            if z::zmq_msg_size(&self.0) > 64 * 1024 {
                z::zmq_msg_close(&mut self.0);
                z::zmq_msg_init(&mut self.0);
            }
        }
    }

    fn more(&self) -> bool {
        // SAFETY: reads a flag of an initialised message.
        unsafe { z::zmq_msg_more(&self.0) != 0 }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: the message was initialised in `new`.
        unsafe { z::zmq_msg_close(&mut self.0) };
    }
}

/// The userdata behind a Lua socket.
pub(crate) struct Sock {
    socket: Option<zmq::Socket>,
    /// The libzmq socket (null once closed).
    raw: *mut c_void,
    fd: RawFd,
    token: u64,
    pub(crate) shared: Arc<Shared>,
    kind: i32,
    pub(crate) id: u64,
    msg: Box<Msg>,
    /// Receive and send timeouts in ms (-1: none), applied by the process wait.
    rcvtimeo: i32,
    sndtimeo: i32,
    /// Parts of a multipart message read before a wait.
    partial: Vec<Vec<u8>>,
    /// Parts of a multipart message sent before a wait.
    sent: usize,
    /// Whether the last part received had more parts after it.
    more: bool,
    /// `ZMQ_MAXMSGSIZE` set for a process with a heap limit (`limit_message_size`).
    max_msg_size: Option<i64>,
    /// A part was received into `msg` but the heap had no room for it yet: the
    /// receive's re-call after the collection that brings (`check_heap_room`) takes it
    /// from here instead of receiving another, so no part is lost.
    held: bool,
}

// SAFETY: the raw pointer is the libzmq socket owned by `socket`; a socket may move
// between threads with a full memory barrier, which the process hand-off between
// schedulers provides (the mailbox lock), and it is only used by the thread running
// its process.
unsafe impl Send for Sock {}

impl Drop for Sock {
    fn drop(&mut self) {
        self.close();
    }
}

impl Sock {
    /// A new socket of type `kind` in the runtime's context.
    pub(crate) fn new(shared: Arc<Shared>, kind: i32) -> Result<Sock, String> {
        let mut socket = shared
            .ctx()
            .socket(kind as u32)
            .map_err(|e| format!("cannot create a {} socket: {e}", options::type_name(kind)))?;
        let raw = socket.as_mut_ptr();
        let mut fd: RawFd = -1;
        let mut len = std::mem::size_of::<RawFd>();
        // SAFETY: ZMQ_FD writes an int into `fd`.
        let rc = unsafe {
            z::zmq_getsockopt(
                raw,
                z::ZMQ_FD as c_int,
                &mut fd as *mut RawFd as *mut c_void,
                &mut len,
            )
        };
        if rc != 0 {
            return Err(format!("ZMQ_FD: {}", strerror(errno())));
        }
        let token = shared
            .reactor
            .register(fd)
            .map_err(|e| format!("cannot watch the socket: {e}"))?;
        let id = shared.next_id();
        Ok(Sock {
            socket: Some(socket),
            raw,
            fd,
            token,
            shared,
            kind,
            id,
            msg: Msg::new(),
            rcvtimeo: -1,
            sndtimeo: -1,
            partial: Vec::new(),
            sent: 0,
            more: false,
            max_msg_size: None,
            held: false,
        })
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.socket.is_none()
    }

    pub(crate) fn kind(&self) -> i32 {
        self.kind
    }

    /// Closes the socket (libzmq keeps unsent messages for the socket's linger).
    pub(crate) fn close(&mut self) {
        if let Some(s) = self.socket.take() {
            self.shared.reactor.deregister(self.fd, self.token);
            self.raw = std::ptr::null_mut();
            drop(s);
        }
    }

    /// The socket's pending events (`ZMQ_EVENTS`); see [`Handle::events`].
    pub(crate) fn events(&self) -> i16 {
        events_of(self.raw)
    }

    /// What waiting on this open socket needs, copied out of it (see [`Handle`]).
    pub(crate) fn handle(&self) -> Handle {
        Handle {
            raw: self.raw,
            fd: self.fd,
            token: self.token,
            shared: self.shared.clone(),
        }
    }

    pub(crate) fn raw(&self) -> *mut c_void {
        self.raw
    }
}

/// The pending events (`ZMQ_EVENTS`) of the libzmq socket `raw` (0 if it cannot be
/// read, e.g. for the null pointer of a closed socket).
fn events_of(raw: *mut c_void) -> i16 {
    let mut ev: c_int = 0;
    let mut len = std::mem::size_of::<c_int>();
    // SAFETY: ZMQ_EVENTS writes an int; `raw` is an open socket or null (libzmq then
    // fails with ENOTSOCK).
    let rc = unsafe {
        z::zmq_getsockopt(
            raw,
            z::ZMQ_EVENTS as c_int,
            &mut ev as *mut c_int as *mut c_void,
            &mut len,
        )
    };
    if rc != 0 {
        return 0;
    }
    ev as i16
}

/// What waiting on a socket needs (its libzmq handle, descriptor and reactor
/// registration), copied out of the socket's userdata so that a native can wait on
/// several sockets at once (`zmq.poll`) without holding their payloads. A handle is
/// made from an open socket and used only within the native call that made it: no
/// Lua code runs during a native, so nothing closes the socket meanwhile (`close` and
/// `__gc` are natives of their own, and nothing is collected while a context lives).
pub(crate) struct Handle {
    raw: *mut c_void,
    fd: RawFd,
    token: u64,
    shared: Arc<Shared>,
}

impl Handle {
    /// The socket's pending events (`ZMQ_EVENTS`); reading them also processes
    /// libzmq's pending commands, which is what re-arms the notification descriptor.
    pub(crate) fn events(&self) -> i16 {
        events_of(self.raw)
    }

    /// Arms the socket's descriptor so `waker` fires when libzmq signals it.
    pub(crate) fn arm(&self, waker: io_wait::Waker) -> Result<(), String> {
        self.shared
            .reactor
            .arm(self.fd, self.token, waker)
            .map_err(|e| format!("cannot wait on the socket: {e}"))
    }
}

/// What a would-block operation does next.
pub(crate) enum Next {
    /// The socket is ready now: try again.
    Again,
    /// The process was suspended: return `Ret::Block`.
    Block,
    /// The timeout passed.
    TimedOut,
}

/// A deadline `ms` from now (none for a negative `ms`, or one past what the clock can
/// represent: both wait for ever).
pub(crate) fn deadline_after(ms: i64) -> Option<Instant> {
    if ms < 0 {
        return None;
    }
    Instant::now().checked_add(Duration::from_millis(ms as u64))
}

/// Timeouts of this many ms or more (about 31,700 years) mean "for ever" (-1).
const FOREVER_MS: f64 = 1e15;

/// A timeout in ms from a Lua number, libzmq's way: a negative number (-1) waits for
/// ever, and so does a huge one (`math.huge`, as Erlang's `infinity`); a fraction is
/// truncated. NaN is refused (`None`): it is no duration.
pub(crate) fn timeout_from_f64(ms: f64) -> Option<i64> {
    if ms.is_nan() {
        None
    } else if !(0.0..FOREVER_MS).contains(&ms) {
        Some(-1)
    } else {
        Some(ms as i64)
    }
}

/// An optional timeout argument (nil: for ever); NaN is an argument error.
pub(crate) fn timeout_arg<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, i64> {
    if cx.arg(a, n).is_nil() {
        return Ok(-1);
    }
    let ms = cx.check_number(a, n)?;
    match timeout_from_f64(ms) {
        Some(t) => Ok(t),
        None => Err(cx.arg_error(n, "timeout must be a number, not NaN")),
    }
}

/// For a process with a heap limit: libzmq refuses (and disconnects the peer of) any
/// message larger than the limit, so a peer cannot make it buffer one that the process
/// could never receive.
pub(crate) fn limit_message_size(s: &mut Sock, max_heap: usize) {
    let cap = max_heap.min(i64::MAX as usize) as i64;
    if set_raw(
        s,
        z::ZMQ_MAXMSGSIZE as c_int,
        &cap as *const i64 as *const c_void,
        8,
    )
    .is_ok()
    {
        s.max_msg_size = Some(cap);
    }
}

/// Reserves `len` bytes of the running process's heap for a received part
/// (`Cx::reserve`) before it is copied in. A failure ends the native: the driver
/// collects and calls it again (the part waits in `msg`, `Sock::held`), or, if the
/// bytes still do not fit, ends the process with "heap limit exceeded".
fn check_heap_room<'n>(cx: &mut Cx<'n>, s: &mut Sock, len: usize) -> HostResult<'n, ()> {
    match cx.reserve(len) {
        Ok(()) => {
            s.held = false;
            Ok(())
        }
        Err(e) => {
            s.held = true;
            Err(e)
        }
    }
}

/// Charges the running slice for a part of `len` bytes copied in or out.
fn spend(cx: &mut Cx<'_>, len: usize) {
    let b = cx.budget();
    cx.set_budget(b - (1 + (len as i64 >> 10)));
}

/// Called when an operation on `socks` would block: suspends the process until one of
/// them has one of the `want` events, or the deadline passes (see the crate doc).
/// Outside a process (a plain state, e.g. the REPL) it waits on this thread instead.
pub(crate) fn wait_ready<'n>(
    cx: &mut Cx<'n>,
    socks: &[(Handle, i16)],
    retry: Option<Retry>,
    timeout_ms: i64,
) -> HostResult<'n, Next> {
    for (s, want) in socks {
        if s.events() & want != 0 {
            return Ok(Next::Again);
        }
    }
    let deadline = match retry {
        Some(r) => r.deadline,
        None => deadline_after(timeout_ms),
    };
    if deadline.is_some_and(|d| Instant::now() >= d) {
        return Ok(Next::TimedOut);
    }
    match io_wait::block(cx, deadline) {
        Some(waker) => {
            for (s, _) in socks {
                if let Err(m) = s.arm(waker.clone()) {
                    return Err(cx.rt_error(&m));
                }
            }
            Ok(Next::Block)
        }
        None => {
            // Not a process: block this thread in zmq_poll.
            let mut items: Vec<z::zmq_pollitem_t> = socks
                .iter()
                .map(|(s, want)| z::zmq_pollitem_t {
                    socket: s.raw,
                    fd: 0,
                    events: *want,
                    revents: 0,
                })
                .collect();
            let ms = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).as_millis() as i64,
                None => -1,
            };
            // SAFETY: `items` is a live array of poll items of open sockets (handles
            // are used within the native call that made them, see `Handle`).
            let n = unsafe { z::zmq_poll(items.as_mut_ptr(), items.len() as c_int, ms as _) };
            if n == 0 && deadline.is_some() {
                return Ok(Next::TimedOut);
            }
            Ok(Next::Again)
        }
    }
}

/// Suspends the process on `s` without looking at its events first (used when the
/// events keep saying "ready" and the operation keeps failing).
fn block_now<'n>(
    cx: &mut Cx<'n>,
    s: &Handle,
    retry: Option<Retry>,
    timeout_ms: i64,
) -> HostResult<'n, Next> {
    let deadline = match retry {
        Some(r) => r.deadline,
        None => deadline_after(timeout_ms),
    };
    if deadline.is_some_and(|d| Instant::now() >= d) {
        return Ok(Next::TimedOut);
    }
    match io_wait::block(cx, deadline) {
        Some(w) => match s.arm(w) {
            Ok(()) => Ok(Next::Block),
            Err(m) => Err(cx.rt_error(&m)),
        },
        None => {
            std::thread::sleep(Duration::from_millis(1));
            Ok(Next::Again)
        }
    }
}

/// Runs `f` with the context and the open socket at argument `n` (its payload is lent
/// by `Cx::with_userdata` for the call). Errors: not a socket, or a closed one.
pub(crate) fn with_sock<'n, R>(
    cx: &mut Cx<'n>,
    a: Args,
    n: usize,
    f: impl FnOnce(&mut Cx<'n>, &mut Sock) -> HostResult<'n, R>,
) -> HostResult<'n, R> {
    let v = cx.arg(a, n);
    let r = cx.with_userdata::<Sock, _>(v, |cx, s| {
        if s.is_closed() {
            return Err(cx.rt_error("attempt to use a closed socket"));
        }
        f(cx, s)
    });
    match r {
        Some(r) => r,
        None => Err(cx.arg_type_error(a, n, "zmq socket")),
    }
}

/// Raises the last libzmq error as a Lua error: "zmq OP: libzmq's text".
pub(crate) fn zmq_error<'n>(cx: &mut Cx<'n>, what: &str, e: i32) -> Val<'n> {
    cx.rt_error(&format!("zmq {what}: {}", strerror(e)))
}

/// Returns `nil, "EAGAIN"`: a non-blocking operation found nothing to do, or a
/// timeout passed (lzmq returns an error object there; cube returns its name).
fn eagain<'n>(cx: &mut Cx<'n>) -> HostResult<'n, Ret> {
    cx.push(Val::Nil);
    cx.push_str(b"EAGAIN");
    Ok(Ret::Values(2))
}

fn endpoint_arg<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, CString> {
    let s = cx.check_str(a, n)?;
    CString::new(s.as_bytes().to_vec())
        .map_err(|_| cx.arg_error(n, "endpoint contains a zero byte"))
}

type EndpointFn = unsafe extern "C" fn(*mut c_void, *const std::ffi::c_char) -> c_int;

fn endpoint_op<'n>(
    cx: &mut Cx<'n>,
    s: &Sock,
    a: Args,
    what: &str,
    f: EndpointFn,
) -> HostResult<'n, ()> {
    let ep = endpoint_arg(cx, a, 2)?;
    // SAFETY: an open socket and a NUL-terminated endpoint.
    if unsafe { f(s.raw, ep.as_ptr()) } != 0 {
        let e = errno();
        let text = format!("{what} '{}'", ep.to_string_lossy());
        return Err(zmq_error(cx, &text, e));
    }
    Ok(())
}

/// `sock:bind(endpoint)`: returns the endpoint bound (with the port chosen for `*`).
pub(crate) fn bind<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_sock(cx, a, 1, |cx, s| {
        endpoint_op(cx, s, a, "bind", z::zmq_bind)?;
        match get_bytes(s, z::ZMQ_LAST_ENDPOINT as c_int) {
            Ok(mut ep) => {
                if ep.last() == Some(&0) {
                    ep.pop();
                }
                cx.push_str(&ep);
            }
            Err(_) => cx.push(Val::Bool(true)),
        }
        Ok(Ret::Values(1))
    })
}

fn endpoint_native<'n>(cx: &mut Cx<'n>, a: Args, what: &str, f: EndpointFn) -> HostResult<'n, Ret> {
    with_sock(cx, a, 1, |cx, s| endpoint_op(cx, s, a, what, f))?;
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

pub(crate) fn connect<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    endpoint_native(cx, a, "connect", z::zmq_connect)
}

pub(crate) fn unbind<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    endpoint_native(cx, a, "unbind", z::zmq_unbind)
}

pub(crate) fn disconnect<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    endpoint_native(cx, a, "disconnect", z::zmq_disconnect)
}

/// Flags argument: a number (zmq.SNDMORE, zmq.DONTWAIT), or a boolean meaning "more".
fn flags_arg<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, c_int> {
    match cx.arg(a, n) {
        Val::Nil | Val::Bool(false) => Ok(0),
        Val::Bool(true) => Ok(SNDMORE),
        _ => Ok(cx.check_integer(a, n)? as c_int),
    }
}

/// A non-blocking send or receive that did not go through.
struct Attempt {
    op: &'static str,
    /// The readiness it waits for (POLLOUT or POLLIN).
    event: i16,
    /// The socket's send or receive timeout (-1: none).
    timeout_ms: i64,
    flags: c_int,
}

/// After a non-blocking attempt failed (errno tells why): `Ok(None)` to try again once
/// the socket is ready, `Ok(Some(ret))` for the caller to return (suspended, or
/// `nil, "EAGAIN"`), or libzmq's error. The first few waits poll this thread's way
/// (`wait_ready`); after that the process blocks on the reactor.
fn after_failed_attempt<'n>(
    cx: &mut Cx<'n>,
    s: &Sock,
    retry: Option<Retry>,
    attempt: &Attempt,
    spins: &mut u32,
) -> HostResult<'n, Option<Ret>> {
    let e = errno();
    if e != EAGAIN {
        return Err(zmq_error(cx, attempt.op, e));
    }
    if attempt.flags & DONTWAIT != 0 || attempt.timeout_ms == 0 {
        return eagain(cx).map(Some);
    }
    *spins += 1;
    let next = if *spins > 3 {
        block_now(cx, &s.handle(), retry, attempt.timeout_ms)?
    } else {
        wait_ready(
            cx,
            &[(s.handle(), attempt.event)],
            retry,
            attempt.timeout_ms,
        )?
    };
    match next {
        Next::Again => Ok(None),
        Next::Block => Ok(Some(Ret::Block)),
        Next::TimedOut => eagain(cx).map(Some),
    }
}

/// Sends one part; `Ok(None)` when it was sent, `Ok(Some(ret))` when the caller must
/// return `ret` (suspended, or `nil, "EAGAIN"`).
fn send_part<'n>(
    cx: &mut Cx<'n>,
    s: &Sock,
    data: &[u8],
    flags: c_int,
    retry: Option<Retry>,
) -> HostResult<'n, Option<Ret>> {
    let mut spins = 0;
    loop {
        // SAFETY: an open socket; libzmq copies `data` before returning.
        let rc = unsafe {
            z::zmq_send(
                s.raw,
                data.as_ptr() as *const c_void,
                data.len(),
                flags | DONTWAIT,
            )
        };
        if rc >= 0 {
            return Ok(None);
        }
        let attempt = Attempt {
            op: "send",
            event: POLLOUT,
            timeout_ms: s.sndtimeo as i64,
            flags,
        };
        if let Some(ret) = after_failed_attempt(cx, s, retry, &attempt, &mut spins)? {
            return Ok(Some(ret));
        }
    }
}

/// `sock:send(msg [, flags | more])`: true once queued; blocks the process at the
/// high-water mark (up to `sndtimeo`); `nil, "EAGAIN"` with zmq.DONTWAIT or after the
/// timeout.
pub(crate) fn send<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    with_sock(cx, a, 1, |cx, s| {
        let data = cx.check_str(a, 2)?.as_bytes();
        let flags = flags_arg(cx, a, 3)?;
        spend(cx, data.len());
        if let Some(r) = send_part(cx, s, data, flags, retry)? {
            return Ok(r);
        }
        cx.push(Val::Bool(true));
        Ok(Ret::Values(1))
    })
}

/// `sock:send_more(msg [, flags])`: a part with more to follow.
pub(crate) fn send_more<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    with_sock(cx, a, 1, |cx, s| {
        let data = cx.check_str(a, 2)?.as_bytes();
        let flags = flags_arg(cx, a, 3)? | SNDMORE;
        if let Some(r) = send_part(cx, s, data, flags, retry)? {
            return Ok(r);
        }
        cx.push(Val::Bool(true));
        Ok(Ret::Values(1))
    })
}

/// `sock:send_multipart{part1, part2, ...}` (also `send_all`): sends every part as one
/// message.
pub(crate) fn send_multipart<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    with_sock(cx, a, 1, |cx, s| {
        let t = cx.check_table(a, 2)?;
        let flags = flags_arg(cx, a, 3)? & !SNDMORE;
        let n = cx.raw_len(t);
        if n == 0 {
            return Err(cx.arg_error(2, "at least one message part expected"));
        }
        if retry.is_none() {
            s.sent = 0;
        }
        while s.sent < n {
            let i = s.sent;
            let v = cx.raw_get_int(t, i as i64 + 1);
            let Some(part) = cx.to_str_coerce(v) else {
                let msg = format!(
                    "message part {} is a {}, not a string",
                    i + 1,
                    v.type_name()
                );
                return Err(cx.arg_error(2, &msg));
            };
            let part = part.as_bytes();
            let more = if i + 1 < n { SNDMORE } else { 0 };
            spend(cx, part.len());
            if let Some(r) = send_part(cx, s, part, flags | more, retry)? {
                if !matches!(r, Ret::Block) {
                    s.sent = 0;
                }
                return Ok(r);
            }
            s.sent += 1;
        }
        s.sent = 0;
        cx.push(Val::Bool(true));
        Ok(Ret::Values(1))
    })
}

/// Receives one part into `s.msg`; `Ok(None)` when it arrived.
fn recv_part<'n>(
    cx: &mut Cx<'n>,
    s: &mut Sock,
    flags: c_int,
    retry: Option<Retry>,
) -> HostResult<'n, Option<Ret>> {
    let mut spins = 0;
    loop {
        // SAFETY: an open socket and an initialised message.
        let rc = unsafe { z::zmq_msg_recv(&mut s.msg.0, s.raw, flags | DONTWAIT) };
        if rc >= 0 {
            s.more = s.msg.more();
            return Ok(None);
        }
        let attempt = Attempt {
            op: "recv",
            event: POLLIN,
            timeout_ms: s.rcvtimeo as i64,
            flags,
        };
        if let Some(ret) = after_failed_attempt(cx, s, retry, &attempt, &mut spins)? {
            return Ok(Some(ret));
        }
    }
}

/// `sock:recv([flags])`: the next message part and whether more parts follow; blocks
/// the process (up to `rcvtimeo`); `nil, "EAGAIN"` with zmq.DONTWAIT or after the
/// timeout.
pub(crate) fn recv<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    with_sock(cx, a, 1, |cx, s| {
        let flags = flags_arg(cx, a, 2)?;
        if !s.held {
            if let Some(r) = recv_part(cx, s, flags, retry)? {
                return Ok(r);
            }
        }
        let len = s.msg.bytes().len();
        check_heap_room(cx, s, len)?;
        let bytes = s.msg.bytes();
        spend(cx, bytes.len());
        let v = cx.new_str(bytes);
        s.msg.release_if_large();
        cx.push(v);
        cx.push(Val::Bool(s.more));
        Ok(Ret::Values(2))
    })
}

/// `sock:recv_multipart([flags])` (also `recv_all`): every part of the next message,
/// as a list.
pub(crate) fn recv_multipart<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    with_sock(cx, a, 1, |cx, s| {
        let flags = flags_arg(cx, a, 2)?;
        if retry.is_none() && !s.held {
            s.partial.clear();
        }
        loop {
            if !s.held {
                if let Some(r) = recv_part(cx, s, flags, retry)? {
                    if !matches!(r, Ret::Block) {
                        // libzmq delivers a message's parts together, so a non-blocking
                        // call cannot stop inside one; the parts read so far are dropped.
                        s.partial.clear();
                    }
                    return Ok(r);
                }
            }
            // The parts wait outside the heap until the last one: check their total as
            // they come, so a long message cannot pile up past the heap limit.
            let so_far: usize = s.partial.iter().map(|p| p.len()).sum();
            let total = so_far + s.msg.bytes().len();
            check_heap_room(cx, s, total)?;
            let bytes = s.msg.bytes().to_vec();
            s.msg.release_if_large();
            spend(cx, bytes.len());
            s.partial.push(bytes);
            if !s.more {
                break;
            }
        }
        let parts = std::mem::take(&mut s.partial);
        let t = cx.new_table_with(parts.len(), 0);
        for (i, p) in parts.iter().enumerate() {
            let v = cx.new_str(p);
            cx.raw_set_int(t, i as i64 + 1, v);
        }
        cx.push(Val::Table(t));
        Ok(Ret::Values(1))
    })
}

/// `sock:more()` (also `rcvmore`): whether the last part received has more after it.
pub(crate) fn more<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let more = with_sock(cx, a, 1, |_, s| Ok(s.more))?;
    cx.push(Val::Bool(more));
    Ok(Ret::Values(1))
}

/// `sock:close([linger_ms])`.
pub(crate) fn close<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let linger = cx.arg(a, 2);
    let r = cx.with_userdata::<Sock, _>(v, |cx, s| {
        if !s.is_closed() {
            if let Val::Num(ms) = linger {
                // Same rule as the linger option: NaN is no duration, huge is for ever.
                let Some(ms) = timeout_from_f64(ms) else {
                    return Err(cx.arg_error(2, "linger must be a number, not NaN"));
                };
                let ms = ms.min(c_int::MAX as i64) as c_int;
                let _ = set_int(s, z::ZMQ_LINGER as c_int, ms);
                s.shared.note_linger(ms);
            }
            s.close();
        }
        Ok(())
    });
    match r {
        Some(r) => r?,
        None => return Err(cx.arg_type_error(a, 1, "zmq socket")),
    }
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

pub(crate) fn closed<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let Some(s) = cx.userdata_get::<Sock>(v) else {
        return Err(cx.arg_type_error(a, 1, "zmq socket"));
    };
    let c = s.is_closed();
    cx.push(Val::Bool(c));
    Ok(Ret::Values(1))
}

/// `sock:type()`: the type's name ("PUB", ...).
pub(crate) fn type_<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = with_sock(cx, a, 1, |_, s| Ok(options::type_name(s.kind())))?;
    cx.push_str(name.as_bytes());
    Ok(Ret::Values(1))
}

/// `sock:poll(timeout_ms [, events])`: whether the socket has `events` (default
/// zmq.POLLIN) within the timeout; blocks the process only.
pub(crate) fn poll<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    with_sock(cx, a, 1, |cx, s| {
        let timeout = timeout_arg(cx, a, 2)?;
        let want = cx.opt_integer(a, 3, POLLIN as i64)? as i16;
        let list = [(s.handle(), want)];
        loop {
            if s.events() & want != 0 {
                cx.push(Val::Bool(true));
                return Ok(Ret::Values(1));
            }
            if timeout == 0 {
                cx.push(Val::Bool(false));
                return Ok(Ret::Values(1));
            }
            match wait_ready(cx, &list, retry, timeout)? {
                Next::Again => continue,
                Next::Block => return Ok(Ret::Block),
                Next::TimedOut => {
                    cx.push(Val::Bool(false));
                    return Ok(Ret::Values(1));
                }
            }
        }
    })
}

fn set_raw(s: &Sock, id: c_int, p: *const c_void, len: usize) -> Result<(), i32> {
    // SAFETY: an open socket; `p` points to `len` readable bytes.
    if unsafe { z::zmq_setsockopt(s.raw, id, p, len) } != 0 {
        return Err(errno());
    }
    Ok(())
}

fn set_int(s: &Sock, id: c_int, v: c_int) -> Result<(), i32> {
    set_raw(
        s,
        id,
        &v as *const c_int as *const c_void,
        std::mem::size_of::<c_int>(),
    )
}

fn get_bytes(s: &Sock, id: c_int) -> Result<Vec<u8>, i32> {
    let mut buf = vec![0u8; 256];
    let mut len = buf.len();
    // SAFETY: an open socket; `buf` has room for `len` bytes.
    if unsafe { z::zmq_getsockopt(s.raw, id, buf.as_mut_ptr() as *mut c_void, &mut len) } != 0 {
        return Err(errno());
    }
    buf.truncate(len);
    Ok(buf)
}

fn get_num<T: Default + Copy>(s: &Sock, id: c_int) -> Result<T, i32> {
    let mut v = T::default();
    let mut len = std::mem::size_of::<T>();
    // SAFETY: an open socket; `v` has room for `len` bytes.
    if unsafe { z::zmq_getsockopt(s.raw, id, &mut v as *mut T as *mut c_void, &mut len) } != 0 {
        return Err(errno());
    }
    Ok(v)
}

/// Sets option `o` from Lua value `v`; errors are messages for the caller to raise.
pub(crate) fn set_option<'n>(
    cx: &mut Cx<'n>,
    s: &mut Sock,
    o: &Opt,
    v: Val<'n>,
) -> Result<(), String> {
    if o.access == Access::Get {
        return Err(format!("socket option '{}' is read-only", o.name));
    }
    let num = || -> Result<f64, String> {
        match v {
            Val::Num(n) => Ok(n),
            Val::Bool(b) if o.kind == Kind::Bool => Ok(b as i32 as f64),
            _ => Err(format!(
                "socket option '{}' expects a {}, got {}",
                o.name,
                if o.kind == Kind::Bool {
                    "boolean"
                } else {
                    "number"
                },
                v.type_name()
            )),
        }
    };
    let fail = |e: i32| format!("zmq setsockopt '{}': {}", o.name, strerror(e));
    let nan = || format!("socket option '{}' expects a number, got NaN", o.name);
    match o.kind {
        Kind::Int | Kind::Bool => {
            let x = num()?;
            let is_timeout = matches!(
                o.id as u32,
                z::ZMQ_RCVTIMEO | z::ZMQ_SNDTIMEO | z::ZMQ_LINGER
            );
            let n = if is_timeout {
                // Timeouts follow `timeout_from_f64`; past a c_int, for ever.
                match timeout_from_f64(x) {
                    Some(t) if t <= c_int::MAX as i64 => t as c_int,
                    Some(_) => -1,
                    None => return Err(nan()),
                }
            } else if x.is_nan() {
                return Err(nan());
            } else if x < c_int::MIN as f64 || x > c_int::MAX as f64 {
                return Err(format!("socket option '{}': value out of range", o.name));
            } else {
                x as c_int
            };
            set_int(s, o.id, n).map_err(fail)?;
            match o.id as u32 {
                z::ZMQ_RCVTIMEO => s.rcvtimeo = n,
                z::ZMQ_SNDTIMEO => s.sndtimeo = n,
                z::ZMQ_LINGER => s.shared.note_linger(n),
                _ => {}
            }
        }
        Kind::Int64 => {
            let x = num()?;
            if x.is_nan() {
                return Err(nan());
            }
            let mut n = x as i64;
            if o.id as u32 == z::ZMQ_MAXMSGSIZE {
                // A limited process cannot lift the bound set at creation (see
                // `limit_message_size`).
                if let Some(cap) = s.max_msg_size {
                    n = if n < 0 { cap } else { n.min(cap) };
                }
            }
            set_raw(s, o.id, &n as *const i64 as *const c_void, 8).map_err(fail)?;
        }
        Kind::Uint64 => {
            let x = num()?;
            if x.is_nan() {
                return Err(nan());
            }
            let n = x as u64;
            set_raw(s, o.id, &n as *const u64 as *const c_void, 8).map_err(fail)?;
        }
        Kind::Bytes | Kind::Key => {
            let Some(b) = cx.to_str_coerce(v) else {
                return Err(format!(
                    "socket option '{}' expects a string, got {}",
                    o.name,
                    v.type_name()
                ));
            };
            let mut bytes = b.as_bytes().to_vec();
            if o.kind == Kind::Key && bytes.len() == 40 {
                bytes.push(0); // Z85 text is passed with its terminating NUL
            }
            set_raw(s, o.id, bytes.as_ptr() as *const c_void, bytes.len()).map_err(fail)?;
        }
    }
    Ok(())
}

/// Reads option `o` as a Lua value.
pub(crate) fn get_option<'n>(cx: &mut Cx<'n>, s: &Sock, o: &Opt) -> Result<Val<'n>, String> {
    if o.access == Access::Set {
        return Err(format!("socket option '{}' is write-only", o.name));
    }
    let fail = |e: i32| format!("zmq getsockopt '{}': {}", o.name, strerror(e));
    Ok(match o.kind {
        Kind::Int => Val::Num(get_num::<c_int>(s, o.id).map_err(fail)? as f64),
        Kind::Bool => Val::Bool(get_num::<c_int>(s, o.id).map_err(fail)? != 0),
        Kind::Int64 => Val::Num(get_num::<i64>(s, o.id).map_err(fail)? as f64),
        Kind::Uint64 => Val::Num(get_num::<u64>(s, o.id).map_err(fail)? as f64),
        Kind::Bytes => {
            let mut b = get_bytes(s, o.id).map_err(fail)?;
            if o.id as u32 == z::ZMQ_LAST_ENDPOINT && b.last() == Some(&0) {
                b.pop();
            }
            cx.new_str(&b)
        }
        Kind::Key => {
            // Read as Z85 (41 bytes with the NUL).
            let mut buf = vec![0u8; 41];
            let mut len = buf.len();
            // SAFETY: an open socket; `buf` has room for `len` bytes.
            let rc = unsafe {
                z::zmq_getsockopt(s.raw, o.id, buf.as_mut_ptr() as *mut c_void, &mut len)
            };
            if rc != 0 {
                return Err(fail(errno()));
            }
            buf.truncate(len.saturating_sub(1));
            cx.new_str(&buf)
        }
    })
}

fn option_name_arg<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, &'static Opt> {
    let name = cx.check_str(a, n)?;
    match options::find(name.as_bytes()) {
        Some(o) => Ok(o),
        None => {
            let msg = format!("unknown socket option '{}'", name.to_str_lossy());
            Err(cx.rt_error(&msg))
        }
    }
}

/// Sets option `o` of `s` to argument `n`, and returns true.
fn set_option_arg<'n>(
    cx: &mut Cx<'n>,
    s: &mut Sock,
    o: &Opt,
    a: Args,
    n: usize,
) -> HostResult<'n, Ret> {
    let v = cx.arg(a, n);
    if let Err(m) = set_option(cx, s, o, v) {
        return Err(cx.rt_error(&m));
    }
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

/// Pushes option `o` of `s`.
fn push_option<'n>(cx: &mut Cx<'n>, s: &Sock, o: &Opt) -> HostResult<'n, Ret> {
    match get_option(cx, s, o) {
        Ok(v) => {
            cx.push(v);
            Ok(Ret::Values(1))
        }
        Err(m) => Err(cx.rt_error(&m)),
    }
}

/// `sock:setopt(name, value)` (also `set_option`, `setsockopt`).
pub(crate) fn setopt<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_sock(cx, a, 1, |cx, s| {
        let o = option_name_arg(cx, a, 2)?;
        set_option_arg(cx, s, o, a, 3)
    })
}

/// `sock:getopt(name)` (also `get_option`, `getsockopt`).
pub(crate) fn getopt<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_sock(cx, a, 1, |cx, s| {
        let o = option_name_arg(cx, a, 2)?;
        push_option(cx, s, o)
    })
}

/// The option of a `set_NAME` or `get_NAME` accessor: the native's upvalue (its
/// index).
fn accessor_option<'n>(cx: &mut Cx<'n>) -> HostResult<'n, &'static Opt> {
    let Val::Num(i) = cx.upvalue(0) else {
        return Err(cx.rt_error("bad option accessor"));
    };
    Ok(&options::OPTIONS[i as usize])
}

/// `sock:set_NAME(value)`: the option is the native's upvalue (its index).
pub(crate) fn set_named<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_sock(cx, a, 1, |cx, s| {
        let o = accessor_option(cx)?;
        set_option_arg(cx, s, o, a, 2)
    })
}

/// `sock:get_NAME()`.
pub(crate) fn get_named<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    with_sock(cx, a, 1, |cx, s| {
        let o = accessor_option(cx)?;
        push_option(cx, s, o)
    })
}

/// `sock:subscribe(prefix)` and `sock:unsubscribe(prefix)` (SUB, XSUB).
pub(crate) fn subscribe<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    sub_op(cx, a, z::ZMQ_SUBSCRIBE)
}

pub(crate) fn unsubscribe<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    sub_op(cx, a, z::ZMQ_UNSUBSCRIBE)
}

fn sub_op<'n>(cx: &mut Cx<'n>, a: Args, id: u32) -> HostResult<'n, Ret> {
    with_sock(cx, a, 1, |cx, s| {
        let prefix = match cx.arg(a, 2) {
            Val::Nil => &[][..],
            _ => cx.check_str(a, 2)?.as_bytes(),
        };
        if let Err(e) = set_raw(
            s,
            id as c_int,
            prefix.as_ptr() as *const c_void,
            prefix.len(),
        ) {
            let what = if id == z::ZMQ_SUBSCRIBE {
                "subscribe"
            } else {
                "unsubscribe"
            };
            return Err(zmq_error(cx, what, e));
        }
        cx.push(Val::Bool(true));
        Ok(Ret::Values(1))
    })
}

/// `sock:monitor([events])`: socket events arrive as messages
/// `{tag="zmq_event", monitor=ID, event=NAME, value=N, endpoint=EP}`; returns ID.
pub(crate) fn monitor<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = with_sock(cx, a, 1, |cx, s| {
        let events = cx.opt_integer(a, 2, crate::monitor::ALL_EVENTS as i64)? as c_int;
        let Some(me) = io_wait::ProcessRef::current(cx) else {
            return Err(cx.rt_error("zmq monitor: only a process can receive monitor events"));
        };
        let id = s.shared.next_id();
        let ep = format!("inproc://cube-zmq-monitor-{id}");
        let cep = CString::new(ep.clone()).expect("no NUL");
        // SAFETY: an open socket and a NUL-terminated endpoint.
        if unsafe { z::zmq_socket_monitor(s.raw, cep.as_ptr(), events) } != 0 {
            let e = errno();
            return Err(zmq_error(cx, "monitor", e));
        }
        let pair = match s.shared.ctx().socket(z::ZMQ_PAIR) {
            Ok(p) => p,
            Err(e) => return Err(cx.rt_error(&format!("zmq monitor: {e}"))),
        };
        if let Err(e) = pair.connect(&ep) {
            return Err(cx.rt_error(&format!("zmq monitor: {e}")));
        }
        let m = crate::monitor::Monitor::new(pair, me, id);
        if let Err(e) = s.shared.reactor.add_monitor(m) {
            return Err(cx.rt_error(&format!("zmq monitor: {e}")));
        }
        Ok(id)
    })?;
    cx.push(Val::Num(id as f64));
    Ok(Ret::Values(1))
}

pub(crate) fn tostring<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let text = match cx.userdata_get::<Sock>(v) {
        Some(s) if s.is_closed() => format!("zmq socket {} (closed)", s.id),
        Some(s) => format!("zmq socket {} ({})", s.id, options::type_name(s.kind)),
        None => "zmq socket".to_string(),
    };
    cx.push_str(text.as_bytes());
    Ok(Ret::Values(1))
}
