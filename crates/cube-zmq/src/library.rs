//! The Lua `zmq` library table: constants, `zmq.context()`, `zmq.socket()`,
//! `zmq.poll()`, `zmq.poller()`, `zmq.device()`, CURVE helpers; and the socket
//! metatable whose methods live in `socket.rs`. Everything is made when the library is
//! opened, which a node does once, into its shared image.

use crate::options::{self, Access};
use crate::socket::{self, Handle, Next, Sock, POLLIN, POLLOUT};
use crate::Shared;
use cube_lua::host::{Cx, HostFn, HostResult, TableRef, Val};
use cube_lua::{Args, Ret, State};
use cube_vm::io_wait;
use std::sync::Arc;

/// The runtime, kept as a userdata upvalue of the library's natives.
struct Runtime(Arc<Shared>);

/// `zmq.context()`: a handle to the node's one context.
struct Ctx(Arc<Shared>);

/// A device started from Lua; stopped when the handle is stopped or collected.
struct DeviceBox(Option<crate::Device>);

const SOCKET_META: &str = "cube.zmq.socket";
const CONTEXT_META: &str = "cube.zmq.context";
const DEVICE_META: &str = "cube.zmq.device";

/// Builds a metatable into the table it is given.
type BuildMeta = for<'n> fn(&mut Cx<'n>, TableRef<'n>);

/// Installs the `zmq` module (also reachable as `require "lzmq"`) and the metatables of
/// its objects. In a node this runs once, into the image every process starts from
/// (`cube_lua::image`), so the library costs a process nothing until it uses it.
pub(crate) fn install(st: &mut State, shared: Arc<Shared>) {
    st.cx(|cx| install_in(cx, shared))
}

fn install_in(cx: &mut Cx<'_>, shared: Arc<Shared>) {
    let module = cx.new_table();
    let rt = cx.new_shared_userdata(Runtime(shared), None);
    fill(cx, module, rt);
    registry_meta(cx, SOCKET_META, build_socket_meta);
    registry_meta(cx, CONTEXT_META, build_context_meta);
    registry_meta(cx, DEVICE_META, build_device_meta);
    registry_meta(cx, STOPWATCH_META, build_stopwatch_meta);
    cx.set_global("zmq", Val::Table(module));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "zmq", Val::Table(module));
    cx.set_field(loaded, "lzmq", Val::Table(module));
}

fn shared_of<'n>(cx: &mut Cx<'n>, v: Val<'n>) -> HostResult<'n, Arc<Shared>> {
    if let Some(r) = cx.userdata_get::<Runtime>(v) {
        return Ok(r.0.clone());
    }
    if let Some(c) = cx.userdata_get::<Ctx>(v) {
        return Ok(c.0.clone());
    }
    Err(cx.rt_error("zmq: no runtime"))
}

fn fill<'n>(cx: &mut Cx<'n>, m: TableRef<'n>, rt: Val<'n>) {
    let funcs: &[(&'static str, HostFn)] = &[
        ("context", context),
        ("socket", zsocket),
        ("poll", zpoll),
        ("poller", poller),
        ("device", device),
        ("curve_keypair", curve_keypair),
        ("curve_public", curve_public),
        ("z85_encode", z85_encode),
        ("z85_decode", z85_decode),
        ("load_curve_keys", load_curve_keys),
        ("has", has),
        ("version", version),
        ("strerror", strerror),
    ];
    for &(name, f) in funcs {
        let v = cx.new_function(name, f, &[rt, Val::Table(m)]);
        cx.set_field(m, name, v);
    }
    for (name, n) in options::SOCKET_TYPES {
        cx.set_field(m, name, Val::Num(*n as f64));
    }
    let consts: &[(&str, u32)] = &[
        ("DONTWAIT", zmq_sys::ZMQ_DONTWAIT),
        ("NOBLOCK", zmq_sys::ZMQ_DONTWAIT),
        ("SNDMORE", zmq_sys::ZMQ_SNDMORE),
        ("POLLIN", zmq_sys::ZMQ_POLLIN),
        ("POLLOUT", zmq_sys::ZMQ_POLLOUT),
        ("POLLERR", zmq_sys::ZMQ_POLLERR),
    ];
    for (name, n) in consts {
        cx.set_field(m, name, Val::Num(*n as f64));
    }
    for (name, code) in crate::monitor::EVENTS {
        let key = format!("EVENT_{name}");
        let k = cx.new_str(key.as_bytes());
        let _ = cx.raw_set(m, k, Val::Num(*code as f64));
    }
    cx.set_field(m, "EVENT_ALL", Val::Num(crate::monitor::ALL_EVENTS as f64));
    let errors = cx.new_table();
    for (name, n) in [
        ("EAGAIN", libc::EAGAIN),
        ("EINTR", libc::EINTR),
        ("EINVAL", libc::EINVAL),
        ("EADDRINUSE", libc::EADDRINUSE),
        ("EHOSTUNREACH", libc::EHOSTUNREACH),
        ("ENOTSUP", libc::ENOTSUP),
        ("EPROTONOSUPPORT", libc::EPROTONOSUPPORT),
        ("EFSM", zmq_sys::errno::EFSM),
        ("ETERM", zmq_sys::errno::ETERM),
    ] {
        cx.set_field(errors, name, Val::Num(n as f64));
    }
    cx.set_field(m, "errors", Val::Table(errors));
    let utils = cx.new_table();
    let sw = cx.new_function("stopwatch", stopwatch, &[]);
    cx.set_field(utils, "stopwatch", sw);
    cx.set_field(m, "utils", Val::Table(utils));
}

/// `zmq.utils.stopwatch()` (as lzmq's): `sw:start()`, then `sw:stop()` returns the
/// elapsed wall-clock time in microseconds.
struct Stopwatch(Option<std::time::Instant>);

const STOPWATCH_META: &str = "cube.zmq.stopwatch";

fn stopwatch<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let mt = registry_meta(cx, STOPWATCH_META, build_stopwatch_meta);
    let v = cx.new_userdata(Stopwatch(None), Some(mt));
    cx.push(v);
    Ok(Ret::Values(1))
}

fn stopwatch_start<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let Some(sw) = cx.userdata_mut::<Stopwatch>(v) else {
        return Err(cx.arg_type_error(a, 1, "stopwatch"));
    };
    sw.0 = Some(std::time::Instant::now());
    cx.push(v);
    Ok(Ret::Values(1))
}

fn stopwatch_stop<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let Some(sw) = cx.userdata_get::<Stopwatch>(v) else {
        return Err(cx.arg_type_error(a, 1, "stopwatch"));
    };
    let Some(t0) = sw.0 else {
        return Err(cx.rt_error("stopwatch was not started"));
    };
    cx.push(Val::Num(t0.elapsed().as_micros() as f64));
    Ok(Ret::Values(1))
}

/// The metatable kept in the registry under `key` (made by `install`; made here only
/// for a state whose registry lacks it: writing it into the registry takes the
/// state's own copy of a shared image's registry, as every write does).
fn registry_meta<'n>(cx: &mut Cx<'n>, key: &str, build: BuildMeta) -> TableRef<'n> {
    let reg = cx.registry();
    if let Val::Table(t) = cx.get_field(reg, key) {
        return t;
    }
    let t = cx.new_table();
    build(cx, t);
    let reg = cx.registry();
    cx.set_field(reg, key, Val::Table(t));
    t
}

fn build_context_meta<'n>(cx: &mut Cx<'n>, mt: TableRef<'n>) {
    let methods = cx.new_table();
    cx.register(
        methods,
        &[
            ("socket", ctx_socket),
            ("term", ctx_noop),
            ("destroy", ctx_noop),
            ("shutdown", ctx_noop),
        ],
    );
    cx.set_field(mt, "__index", Val::Table(methods));
}

fn build_device_meta<'n>(cx: &mut Cx<'n>, mt: TableRef<'n>) {
    let methods = cx.new_table();
    cx.register(
        methods,
        &[("stop", device_stop), ("endpoints", device_endpoints)],
    );
    cx.set_field(mt, "__index", Val::Table(methods));
    let gc = cx.new_function("__gc", device_stop, &[]);
    cx.set_field(mt, "__gc", gc);
}

fn build_stopwatch_meta<'n>(cx: &mut Cx<'n>, mt: TableRef<'n>) {
    let methods = cx.new_table();
    cx.register(
        methods,
        &[("start", stopwatch_start), ("stop", stopwatch_stop)],
    );
    cx.set_field(mt, "__index", Val::Table(methods));
}

fn build_socket_meta<'n>(cx: &mut Cx<'n>, mt: TableRef<'n>) {
    let methods = cx.new_table();
    let funcs: &[(&'static str, HostFn)] = &[
        ("bind", socket::bind),
        ("connect", socket::connect),
        ("unbind", socket::unbind),
        ("disconnect", socket::disconnect),
        ("send", socket::send),
        ("send_more", socket::send_more),
        ("send_multipart", socket::send_multipart),
        ("send_all", socket::send_multipart),
        ("recv", socket::recv),
        ("recv_multipart", socket::recv_multipart),
        ("recv_all", socket::recv_multipart),
        ("more", socket::more),
        ("rcvmore", socket::more),
        ("close", socket::close),
        ("closed", socket::closed),
        ("type", socket::type_),
        ("poll", socket::poll),
        ("monitor", socket::monitor),
        ("setopt", socket::setopt),
        ("getopt", socket::getopt),
        ("set_option", socket::setopt),
        ("get_option", socket::getopt),
        ("setsockopt", socket::setopt),
        ("getsockopt", socket::getopt),
        ("subscribe", socket::subscribe),
        ("unsubscribe", socket::unsubscribe),
    ];
    cx.register(methods, funcs);
    for (i, o) in options::OPTIONS.iter().enumerate() {
        let idx = Val::Num(i as f64);
        if o.access != Access::Get {
            let name = accessor_name("set", o.name);
            let f = cx.new_function(name, socket::set_named, &[idx]);
            cx.set_field(methods, name, f);
        }
        if o.access != Access::Set {
            let name = accessor_name("get", o.name);
            let f = cx.new_function(name, socket::get_named, &[idx]);
            cx.set_field(methods, name, f);
        }
    }
    cx.set_field(mt, "__index", Val::Table(methods));
    let gc = cx.new_function("__gc", socket::close, &[]);
    cx.set_field(mt, "__gc", gc);
    let ts = cx.new_function("__tostring", socket::tostring, &[]);
    cx.set_field(mt, "__tostring", ts);
}

/// `set_NAME` or `get_NAME` with a 'static name (the table of options is static, so are
/// these).
fn accessor_name(prefix: &'static str, name: &'static str) -> &'static str {
    static NAMES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        options::OPTIONS
            .iter()
            .map(|o| (format!("set_{}", o.name), format!("get_{}", o.name)))
            .collect()
    });
    let i = options::OPTIONS
        .iter()
        .position(|o| o.name == name)
        .expect("known option");
    let (set, get) = &names[i];
    if prefix == "set" {
        set
    } else {
        get
    }
}

fn context<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let rt = cx.upvalue(0);
    let shared = shared_of(cx, rt)?;
    let mt = registry_meta(cx, CONTEXT_META, build_context_meta);
    let v = cx.new_userdata(Ctx(shared), Some(mt));
    cx.push(v);
    Ok(Ret::Values(1))
}

/// `ctx:term()`: the context is the node's and outlives the process; its sockets
/// close with their processes. Returns true.
fn ctx_noop<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

/// `zmq.socket(type [, opts])`.
fn zsocket<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let rt = cx.upvalue(0);
    let shared = shared_of(cx, rt)?;
    new_socket(cx, shared, a, 1)
}

/// `ctx:socket(type [, opts])` or `ctx:socket{type, opt = value, ...}`.
fn ctx_socket<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let Some(c) = cx.userdata_get::<Ctx>(v) else {
        return Err(cx.arg_type_error(a, 1, "zmq context"));
    };
    let shared = c.0.clone();
    new_socket(cx, shared, a, 2)
}

fn type_of_value<'n>(cx: &mut Cx<'n>, v: Val<'n>, argn: usize) -> HostResult<'n, i32> {
    match v {
        Val::Num(n) => {
            let t = n as i32;
            if options::SOCKET_TYPES.iter().any(|(_, k)| *k == t) && t as f64 == n {
                Ok(t)
            } else {
                let msg = format!(
                    "unknown socket type {}",
                    cube_lua::text::number::fmt_number(n)
                );
                Err(cx.arg_error(argn, &msg))
            }
        }
        Val::Str(s) => {
            let name = s.to_str_lossy().into_owned();
            match options::type_by_name(&name) {
                Some(t) => Ok(t),
                None => {
                    let known: Vec<&str> = options::SOCKET_TYPES.iter().map(|(n, _)| *n).collect();
                    let msg = format!("unknown socket type '{name}' (known: {})", known.join(", "));
                    Err(cx.arg_error(argn, &msg))
                }
            }
        }
        other => {
            let msg = format!("socket type expected, got {}", other.type_name());
            Err(cx.arg_error(argn, &msg))
        }
    }
}

/// Makes a socket from arguments at `n` (type, options) or a table `{type, ...}`.
fn new_socket<'n>(cx: &mut Cx<'n>, shared: Arc<Shared>, a: Args, n: usize) -> HostResult<'n, Ret> {
    let (kind, opts) = match cx.arg(a, n) {
        Val::Table(t) => {
            let tv = cx.raw_get_int(t, 1);
            (type_of_value(cx, tv, n)?, Some(t))
        }
        v => {
            let kind = type_of_value(cx, v, n)?;
            let opts = match cx.arg(a, n + 1) {
                Val::Nil => None,
                Val::Table(t) => Some(t),
                _ => return Err(cx.arg_type_error(a, n + 1, "table")),
            };
            (kind, opts)
        }
    };
    let mut sock = match Sock::new(shared, kind) {
        Ok(s) => s,
        Err(m) => return Err(cx.rt_error(&m)),
    };
    if let Some(max) = cube_vm::current_limits(cx).and_then(|l| l.max_heap) {
        socket::limit_message_size(&mut sock, max);
    }
    let mt = registry_meta(cx, SOCKET_META, build_socket_meta);
    let v = cx.new_userdata(sock, Some(mt));
    if let Some(t) = opts {
        cx.with_userdata::<Sock, _>(v, |cx, s| apply_options(cx, s, t))
            .expect("a new socket")?;
    }
    cx.push(v);
    Ok(Ret::Values(1))
}

/// Applies a table of options to the new socket `s`, then its `bind` and `connect`
/// entries (a string or a list of strings).
fn apply_options<'n>(cx: &mut Cx<'n>, s: &mut Sock, t: TableRef<'n>) -> HostResult<'n, ()> {
    let mut key = Val::Nil;
    let mut endpoints: Vec<(bool, &'n [u8])> = Vec::new();
    // Nothing here writes to `t`, so its traversal cannot meet a removed key.
    while let Some((k, v)) = cx.next(t, key) {
        key = k;
        let name = match k {
            Val::Num(1.0) => continue,
            Val::Str(s) => s.as_bytes(),
            other => {
                let msg = format!("socket option names are strings, got {}", other.type_name());
                return Err(cx.rt_error(&msg));
            }
        };
        if name == b"bind" || name == b"connect" {
            let is_bind = name == b"bind";
            let list: Vec<Val<'n>> = match v {
                Val::Table(l) => (1..=cx.raw_len(l))
                    .map(|i| cx.raw_get_int(l, i as i64))
                    .collect(),
                other => vec![other],
            };
            for e in list {
                match e {
                    Val::Str(s) => endpoints.push((is_bind, s.as_bytes())),
                    other => {
                        let msg = format!("endpoint expected, got {}", other.type_name());
                        return Err(cx.rt_error(&msg));
                    }
                }
            }
            continue;
        }
        let Some(o) = options::find(name) else {
            let msg = format!("unknown socket option '{}'", String::from_utf8_lossy(name));
            return Err(cx.rt_error(&msg));
        };
        if let Err(m) = socket::set_option(cx, s, o, v) {
            return Err(cx.rt_error(&m));
        }
    }
    for (is_bind, ep) in endpoints {
        let Ok(c) = std::ffi::CString::new(ep) else {
            return Err(cx.rt_error("endpoint contains a zero byte"));
        };
        // SAFETY: an open socket and a NUL-terminated endpoint.
        let rc = unsafe {
            if is_bind {
                zmq_sys::zmq_bind(s.raw(), c.as_ptr())
            } else {
                zmq_sys::zmq_connect(s.raw(), c.as_ptr())
            }
        };
        if rc != 0 {
            let e = crate::errno();
            let what = format!(
                "{} '{}'",
                if is_bind { "bind" } else { "connect" },
                String::from_utf8_lossy(ep)
            );
            return Err(socket::zmq_error(cx, &what, e));
        }
    }
    Ok(())
}

/// `zmq.poll(items, timeout_ms)`: items are sockets (waiting to receive) or
/// `{socket, events}` pairs; returns the list of sockets that are ready, in the order
/// given (empty after the timeout; nil or a negative timeout waits for ever), and a
/// table from each ready socket to its events (zmq.POLLIN, zmq.POLLOUT). Blocks the
/// process only.
fn zpoll<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let retry = io_wait::take_retry(cx);
    let items = cx.check_table(a, 1)?;
    let timeout = socket::timeout_arg(cx, a, 2)?;
    // The sockets' values, and what waiting on them needs (copied out of them: a
    // native cannot hold several payloads at once).
    let mut vals: Vec<Val<'n>> = Vec::new();
    let mut socks: Vec<(Handle, i16)> = Vec::new();
    for i in 1..=cx.raw_len(items) {
        let item = cx.raw_get_int(items, i as i64);
        let (sv, want) = match item {
            Val::Table(p) => {
                let w = match cx.raw_get_int(p, 2) {
                    Val::Num(n) => n as i16,
                    Val::Nil => POLLIN,
                    _ => return Err(cx.arg_error(1, "events must be a number")),
                };
                (cx.raw_get_int(p, 1), w)
            }
            other => (other, POLLIN),
        };
        match cx.userdata_get::<Sock>(sv) {
            Some(s) if !s.is_closed() => {
                vals.push(sv);
                socks.push((s.handle(), want));
            }
            Some(_) => return Err(cx.rt_error("attempt to poll a closed socket")),
            None => {
                let msg = format!("item {i} is not a zmq socket");
                return Err(cx.arg_error(1, &msg));
            }
        }
    }
    if socks.is_empty() {
        return Err(cx.arg_error(1, "no sockets to poll"));
    }
    loop {
        let ready: Vec<(Val<'n>, i16)> = vals
            .iter()
            .zip(&socks)
            .map(|(v, (s, want))| (*v, s.events() & want & (POLLIN | POLLOUT)))
            .filter(|(_, ev)| *ev != 0)
            .collect();
        if !ready.is_empty() || timeout == 0 {
            let t = cx.new_table_with(ready.len(), 0);
            let revents = cx.new_table();
            for (i, (v, ev)) in ready.into_iter().enumerate() {
                cx.raw_set_int(t, i as i64 + 1, v);
                let _ = cx.raw_set(revents, v, Val::Num(ev as f64));
            }
            cx.push(Val::Table(t));
            cx.push(Val::Table(revents));
            return Ok(Ret::Values(2));
        }
        match socket::wait_ready(cx, &socks, retry, timeout)? {
            Next::Again => continue,
            Next::Block => return Ok(Ret::Block),
            Next::TimedOut => {
                let t = cx.new_table();
                let revents = cx.new_table();
                cx.push(Val::Table(t));
                cx.push(Val::Table(revents));
                return Ok(Ret::Values(2));
            }
        }
    }
}

/// The compiled `poller.lua`, shared by every process (prototypes are immutable).
fn poller_proto() -> Arc<cube_lua::proto::Proto> {
    static PROTO: std::sync::OnceLock<Arc<cube_lua::proto::Proto>> = std::sync::OnceLock::new();
    PROTO
        .get_or_init(|| {
            cube_lua::load::compile(include_str!("poller.lua").as_bytes(), "=zmq.poller")
                .unwrap_or_else(|e| panic!("poller.lua does not compile: {}", e.message))
        })
        .clone()
}

/// `zmq.poller([size])`: runs `poller.lua` with the module (a tail call, so the
/// chunk runs as Lua, without Rust recursion) and returns the poller it makes.
fn poller<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let module = cx.upvalue(1);
    let env = Val::Table(cx.globals());
    let chunk = cx.closure_of(poller_proto(), env);
    cx.set_top(a.base + a.len);
    cx.push(chunk);
    cx.push(module);
    Ok(Ret::TailCall { nargs: 1 })
}

fn string_field<'n>(
    cx: &mut Cx<'n>,
    t: TableRef<'n>,
    name: &str,
) -> HostResult<'n, Option<String>> {
    match cx.get_field(t, name) {
        Val::Nil => Ok(None),
        Val::Str(s) => Ok(Some(s.to_str_lossy().into_owned())),
        other => {
            let msg = format!(
                "device field '{name}' must be a string, got {}",
                other.type_name()
            );
            Err(cx.rt_error(&msg))
        }
    }
}

/// `zmq.device(kind, frontend, backend [, capture])` or
/// `zmq.device{kind=, frontend=, backend=, capture=}`: starts a forwarder, streamer or
/// queue on a thread of its own; returns a handle with `:stop()`. The device stops
/// when the handle is stopped or collected, or when the process that started it ends.
fn device<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let rt = cx.upvalue(0);
    let shared = shared_of(cx, rt)?;
    let (kind, frontend, backend, capture) = match cx.arg(a, 1) {
        Val::Table(t) => {
            let kind = string_field(cx, t, "kind")?.or(string_field(cx, t, "type")?);
            (
                kind,
                string_field(cx, t, "frontend")?,
                string_field(cx, t, "backend")?,
                string_field(cx, t, "capture")?,
            )
        }
        _ => {
            let k = cx.check_str(a, 1)?.to_str_lossy().into_owned();
            let f = cx.check_str(a, 2)?.to_str_lossy().into_owned();
            let b = cx.check_str(a, 3)?.to_str_lossy().into_owned();
            let c = cx.opt_str(a, 4)?.map(|s| s.to_str_lossy().into_owned());
            (Some(k), Some(f), Some(b), c)
        }
    };
    let (Some(kind), Some(frontend), Some(backend)) = (kind, frontend, backend) else {
        return Err(cx.rt_error("zmq.device needs a kind, a frontend and a backend"));
    };
    let kind = match crate::DeviceKind::parse(&kind) {
        Some(k) => k,
        None => {
            let msg = format!("unknown device '{kind}' (known: forwarder, streamer, queue)");
            return Err(cx.rt_error(&msg));
        }
    };
    let spec = crate::DeviceSpec {
        kind,
        frontend: vec![frontend],
        backend: vec![backend],
        capture,
        curve: None,
    };
    let dev = match crate::Device::start(shared.ctx(), spec) {
        Ok(d) => d,
        Err(m) => return Err(cx.rt_error(&m)),
    };
    let mt = registry_meta(cx, DEVICE_META, build_device_meta);
    let v = cx.new_userdata(DeviceBox(Some(dev)), Some(mt));
    cx.push(v);
    Ok(Ret::Values(1))
}

fn device_stop<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let Some(d) = cx.userdata_mut::<DeviceBox>(v) else {
        return Err(cx.arg_type_error(a, 1, "zmq device"));
    };
    if let Some(dev) = d.0.take() {
        let _ = dev.stop();
    }
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}

/// `dev:endpoints()`: the frontend and backend endpoints bound (ports resolved).
fn device_endpoints<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let Some(d) = cx.userdata_get::<DeviceBox>(v) else {
        return Err(cx.arg_type_error(a, 1, "zmq device"));
    };
    let Some(dev) = d.0.as_ref() else {
        return Err(cx.rt_error("the device is stopped"));
    };
    let (f, b) = (
        dev.frontend_endpoint().to_string(),
        dev.backend_endpoint().to_string(),
    );
    cx.push_str(f.as_bytes());
    cx.push_str(b.as_bytes());
    Ok(Ret::Values(2))
}

fn curve_missing() -> String {
    "CURVE is not available: the linked libzmq was built without it (the bundled libzmq \
     has no libsodium; link Debian's libzmq3-dev, see the README)"
        .to_string()
}

/// `zmq.curve_keypair()`: a new public and secret key, Z85-encoded.
fn curve_keypair<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    if !crate::has("curve") {
        return Err(cx.rt_error(&curve_missing()));
    }
    let mut public = [0 as std::ffi::c_char; 41];
    let mut secret = [0 as std::ffi::c_char; 41];
    // SAFETY: both buffers hold 41 bytes, as zmq_curve_keypair requires.
    if unsafe { zmq_sys::zmq_curve_keypair(public.as_mut_ptr(), secret.as_mut_ptr()) } != 0 {
        let e = crate::errno();
        return Err(socket::zmq_error(cx, "curve_keypair", e));
    }
    for k in [&public, &secret] {
        let bytes: Vec<u8> = k[..40].iter().map(|&c| c as u8).collect();
        cx.push_str(&bytes);
    }
    Ok(Ret::Values(2))
}

extern "C" {
    // In libzmq since 4.2 (zmq-sys declares it but does not re-export it).
    fn zmq_curve_public(public: *mut std::ffi::c_char, secret: *const std::ffi::c_char) -> i32;
}

/// `zmq.curve_public(secret_z85)`: the public key of a secret key.
fn curve_public<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let secret = cx.check_str(a, 1)?.as_bytes().to_vec();
    if !crate::has("curve") {
        return Err(cx.rt_error(&curve_missing()));
    }
    if secret.len() != 40 {
        return Err(cx.arg_error(1, "a 40-character Z85 secret key expected"));
    }
    let Ok(c) = std::ffi::CString::new(secret) else {
        return Err(cx.arg_error(1, "a 40-character Z85 secret key expected"));
    };
    let mut public = [0 as std::ffi::c_char; 41];
    // SAFETY: 41-byte output buffer and a NUL-terminated 40-character input.
    if unsafe { zmq_curve_public(public.as_mut_ptr(), c.as_ptr()) } != 0 {
        let e = crate::errno();
        return Err(socket::zmq_error(cx, "curve_public", e));
    }
    let bytes: Vec<u8> = public[..40].iter().map(|&c| c as u8).collect();
    cx.push_str(&bytes);
    Ok(Ret::Values(1))
}

fn z85_encode<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let data = cx.check_str(a, 1)?.as_bytes();
    match zmq::z85_encode(data) {
        Ok(s) => {
            cx.push_str(s.as_bytes());
            Ok(Ret::Values(1))
        }
        Err(e) => Err(cx.rt_error(&format!("z85_encode: {e}"))),
    }
}

fn z85_decode<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let text = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    match zmq::z85_decode(&text) {
        Ok(b) => {
            cx.push_str(&b);
            Ok(Ret::Values(1))
        }
        Err(e) => Err(cx.rt_error(&format!("z85_decode: {e}"))),
    }
}

/// `zmq.load_curve_keys(path)`: public and secret key from a key file (see
/// `crate::device::read_key_file` for the formats); the secret may be nil.
fn load_curve_keys<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let path = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    match crate::device::read_key_file(&path) {
        Ok(k) => {
            cx.push_str(k.public.as_bytes());
            match k.secret {
                Some(s) => cx.push_str(s.as_bytes()),
                None => cx.push(Val::Nil),
            }
            Ok(Ret::Values(2))
        }
        Err(m) => Err(cx.rt_error(&m)),
    }
}

fn has<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let cap = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    cx.push(Val::Bool(crate::has(&cap)));
    Ok(Ret::Values(1))
}

/// `zmq.version()`: major, minor, patch of the linked libzmq.
fn version<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let (x, y, z) = zmq::version();
    for n in [x, y, z] {
        cx.push(Val::Num(n as f64));
    }
    Ok(Ret::Values(3))
}

fn strerror<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let n = cx.check_integer(a, 1)? as i32;
    let s = crate::strerror(n);
    cx.push_str(s.as_bytes());
    Ok(Ret::Values(1))
}
