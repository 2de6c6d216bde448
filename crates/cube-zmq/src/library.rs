//! The Lua `zmq` library table: constants, `zmq.context()`, `zmq.socket()`,
//! `zmq.poll()`, `zmq.poller()`, `zmq.device()`, CURVE helpers; and the socket
//! metatable whose methods live in `socket.rs`. Everything is made when the library is
//! opened, which a node does once, into its shared image.

use crate::options::{self, Access};
use crate::socket::{self, Next, Sock, POLLIN, POLLOUT};
use crate::Shared;
use cube_lua::gc::Gc;
use cube_lua::table::Table;
use cube_lua::{Args, LResult, Ret, State, Value};
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

/// Installs the `zmq` module (also reachable as `require "lzmq"`) and the metatables of
/// its objects. In a node this runs once, into the image every process starts from
/// (`cube_lua::image`), so the library costs a process nothing until it uses it.
pub(crate) fn install(st: &mut State, shared: Arc<Shared>) {
    let module = st.new_table();
    let rt = st.new_shared_userdata(Runtime(shared), None);
    fill(st, module, rt);
    registry_meta(st, SOCKET_META, build_socket_meta);
    registry_meta(st, CONTEXT_META, build_context_meta);
    registry_meta(st, DEVICE_META, build_device_meta);
    registry_meta(st, STOPWATCH_META, build_stopwatch_meta);
    st.set_global("zmq", Value::Table(module));
    let loaded = st.loaded_table();
    st.set_field(loaded, "zmq", Value::Table(module));
    st.set_field(loaded, "lzmq", Value::Table(module));
}

fn shared_of(st: &mut State, v: Value) -> LResult<Arc<Shared>> {
    if let Some(r) = st.userdata_get::<Runtime>(&v) {
        return Ok(r.0.clone());
    }
    if let Some(c) = st.userdata_get::<Ctx>(&v) {
        return Ok(c.0.clone());
    }
    Err(st.rt_error("zmq: no runtime"))
}

fn fill(st: &mut State, m: Gc<Table>, rt: Value) {
    let funcs: &[(&'static str, cube_lua::value::NativeFn)] = &[
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
        let v = st.new_native(name, f, vec![rt, Value::Table(m)]);
        st.set_field(m, name, v);
    }
    for (name, n) in options::SOCKET_TYPES {
        st.set_field(m, name, Value::Num(*n as f64));
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
        st.set_field(m, name, Value::Num(*n as f64));
    }
    for (name, code) in crate::monitor::EVENTS {
        let key = format!("EVENT_{name}");
        let k = st.new_str(key.as_bytes());
        let _ = st.raw_set(m, k, Value::Num(*code as f64));
    }
    st.set_field(
        m,
        "EVENT_ALL",
        Value::Num(crate::monitor::ALL_EVENTS as f64),
    );
    let errors = st.new_table();
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
        st.set_field(errors, name, Value::Num(n as f64));
    }
    st.set_field(m, "errors", Value::Table(errors));
    let utils = st.new_table();
    let sw = st.new_native("stopwatch", stopwatch, vec![]);
    st.set_field(utils, "stopwatch", sw);
    st.set_field(m, "utils", Value::Table(utils));
}

/// `zmq.utils.stopwatch()` (as lzmq's): `sw:start()`, then `sw:stop()` returns the
/// elapsed wall-clock time in microseconds.
struct Stopwatch(Option<std::time::Instant>);

const STOPWATCH_META: &str = "cube.zmq.stopwatch";

fn stopwatch(st: &mut State, _a: Args) -> LResult<Ret> {
    let mt = registry_meta(st, STOPWATCH_META, build_stopwatch_meta);
    let v = st.new_userdata(Stopwatch(None), Some(mt));
    st.push(v);
    Ok(Ret::Values(1))
}

fn stopwatch_start(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.arg(a, 1);
    let Some(sw) = st.userdata_mut::<Stopwatch>(&v) else {
        return Err(st.arg_type_error(a, 1, "stopwatch"));
    };
    sw.0 = Some(std::time::Instant::now());
    st.push(v);
    Ok(Ret::Values(1))
}

fn stopwatch_stop(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.arg(a, 1);
    let Some(sw) = st.userdata_get::<Stopwatch>(&v) else {
        return Err(st.arg_type_error(a, 1, "stopwatch"));
    };
    let Some(t0) = sw.0 else {
        return Err(st.rt_error("stopwatch was not started"));
    };
    st.push(Value::Num(t0.elapsed().as_micros() as f64));
    Ok(Ret::Values(1))
}

/// The metatable kept in the registry under `key` (made by `install`; made here only
/// for a state whose registry lacks it, after taking its own copy of a shared image).
fn registry_meta(st: &mut State, key: &str, build: fn(&mut State, Gc<Table>)) -> Gc<Table> {
    let reg = st.registry();
    if let Value::Table(t) = st.get_field(reg, key) {
        return t;
    }
    st.own_image();
    let reg = st.registry();
    let t = st.new_table();
    build(st, t);
    st.set_field(reg, key, Value::Table(t));
    t
}

fn build_context_meta(st: &mut State, mt: Gc<Table>) {
    let methods = st.new_table();
    st.register(
        methods,
        &[
            ("socket", ctx_socket),
            ("term", ctx_noop),
            ("destroy", ctx_noop),
            ("shutdown", ctx_noop),
        ],
    );
    st.set_field(mt, "__index", Value::Table(methods));
}

fn build_device_meta(st: &mut State, mt: Gc<Table>) {
    let methods = st.new_table();
    st.register(
        methods,
        &[("stop", device_stop), ("endpoints", device_endpoints)],
    );
    st.set_field(mt, "__index", Value::Table(methods));
    let gc = st.new_native("__gc", device_stop, vec![]);
    st.set_field(mt, "__gc", gc);
}

fn build_stopwatch_meta(st: &mut State, mt: Gc<Table>) {
    let methods = st.new_table();
    st.register(
        methods,
        &[("start", stopwatch_start), ("stop", stopwatch_stop)],
    );
    st.set_field(mt, "__index", Value::Table(methods));
}

fn build_socket_meta(st: &mut State, mt: Gc<Table>) {
    let methods = st.new_table();
    let funcs: &[(&'static str, cube_lua::value::NativeFn)] = &[
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
    st.register(methods, funcs);
    for (i, o) in options::OPTIONS.iter().enumerate() {
        let idx = Value::Num(i as f64);
        if o.access != Access::Get {
            let name = accessor_name("set", o.name);
            let f = st.new_native(name, socket::set_named, vec![idx]);
            st.set_field(methods, name, f);
        }
        if o.access != Access::Set {
            let name = accessor_name("get", o.name);
            let f = st.new_native(name, socket::get_named, vec![idx]);
            st.set_field(methods, name, f);
        }
    }
    st.set_field(mt, "__index", Value::Table(methods));
    let gc = st.new_native("__gc", socket::close, vec![]);
    st.set_field(mt, "__gc", gc);
    let ts = st.new_native("__tostring", socket::tostring, vec![]);
    st.set_field(mt, "__tostring", ts);
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

fn context(st: &mut State, _a: Args) -> LResult<Ret> {
    let rt = st.upvalue(0);
    let shared = shared_of(st, rt)?;
    let mt = registry_meta(st, CONTEXT_META, build_context_meta);
    let v = st.new_userdata(Ctx(shared), Some(mt));
    st.push(v);
    Ok(Ret::Values(1))
}

/// `ctx:term()`: the context is the node's and outlives the process; its sockets
/// close with their processes. Returns true.
fn ctx_noop(st: &mut State, _a: Args) -> LResult<Ret> {
    st.push(Value::Bool(true));
    Ok(Ret::Values(1))
}

/// `zmq.socket(type [, opts])`.
fn zsocket(st: &mut State, a: Args) -> LResult<Ret> {
    let rt = st.upvalue(0);
    let shared = shared_of(st, rt)?;
    new_socket(st, shared, a, 1)
}

/// `ctx:socket(type [, opts])` or `ctx:socket{type, opt = value, ...}`.
fn ctx_socket(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.arg(a, 1);
    let Some(c) = st.userdata_get::<Ctx>(&v) else {
        return Err(st.arg_type_error(a, 1, "zmq context"));
    };
    let shared = c.0.clone();
    new_socket(st, shared, a, 2)
}

fn type_of_value(st: &mut State, v: Value, argn: usize) -> LResult<i32> {
    match v {
        Value::Num(n) => {
            let t = n as i32;
            if options::SOCKET_TYPES.iter().any(|(_, k)| *k == t) && t as f64 == n {
                Ok(t)
            } else {
                let msg = format!(
                    "unknown socket type {}",
                    cube_lua::text::number::fmt_number(n)
                );
                Err(st.arg_error(argn, &msg))
            }
        }
        Value::Str(s) => {
            let name = s.to_str_lossy().into_owned();
            match options::type_by_name(&name) {
                Some(t) => Ok(t),
                None => {
                    let known: Vec<&str> = options::SOCKET_TYPES.iter().map(|(n, _)| *n).collect();
                    let msg = format!("unknown socket type '{name}' (known: {})", known.join(", "));
                    Err(st.arg_error(argn, &msg))
                }
            }
        }
        other => {
            let msg = format!("socket type expected, got {}", other.type_name());
            Err(st.arg_error(argn, &msg))
        }
    }
}

/// Makes a socket from arguments at `n` (type, options) or a table `{type, ...}`.
fn new_socket(st: &mut State, shared: Arc<Shared>, a: Args, n: usize) -> LResult<Ret> {
    let (kind, opts) = match st.arg(a, n) {
        Value::Table(t) => {
            let tv = t.get_int(1);
            (type_of_value(st, tv, n)?, Some(t))
        }
        v => {
            let kind = type_of_value(st, v, n)?;
            let opts = match st.arg(a, n + 1) {
                Value::Nil => None,
                Value::Table(t) => Some(t),
                _ => return Err(st.arg_type_error(a, n + 1, "table")),
            };
            (kind, opts)
        }
    };
    let mut sock = match Sock::new(shared, kind) {
        Ok(s) => s,
        Err(m) => return Err(st.rt_error(&m)),
    };
    if let Some(max) = cube_vm::current_limits(st).and_then(|l| l.max_heap) {
        socket::limit_message_size(&mut sock, max);
    }
    let mt = registry_meta(st, SOCKET_META, build_socket_meta);
    let v = st.new_userdata(sock, Some(mt));
    if let Some(t) = opts {
        apply_options(st, v, t)?;
    }
    st.push(v);
    Ok(Ret::Values(1))
}

/// Applies a table of options, then its `bind` and `connect` entries (a string or a
/// list of strings).
fn apply_options(st: &mut State, sv: Value, t: Gc<Table>) -> LResult<()> {
    // SAFETY: `sv` is the new socket, rooted on the stack by the caller for this
    // call; nothing else refers to its payload meanwhile (no Lua code runs here).
    let s = unsafe { st.userdata_mut_unbound::<Sock>(&sv) }.expect("socket");
    let mut key = Value::Nil;
    let mut endpoints: Vec<(bool, Vec<u8>)> = Vec::new();
    loop {
        let next = match t.next(&key) {
            Ok(n) => n,
            Err(_) => return Err(st.rt_error("invalid key to 'next'")),
        };
        let Some((k, v)) = next else { break };
        key = k;
        let name = match k {
            Value::Num(1.0) => continue,
            Value::Str(s) => s.as_bytes().to_vec(),
            other => {
                let msg = format!("socket option names are strings, got {}", other.type_name());
                return Err(st.rt_error(&msg));
            }
        };
        if name == b"bind" || name == b"connect" {
            let is_bind = name == b"bind";
            let list: Vec<Value> = match v {
                Value::Table(l) => (1..=l.length()).map(|i| l.get_int(i as i64)).collect(),
                other => vec![other],
            };
            for e in list {
                match e {
                    Value::Str(s) => endpoints.push((is_bind, s.as_bytes().to_vec())),
                    other => {
                        let msg = format!("endpoint expected, got {}", other.type_name());
                        return Err(st.rt_error(&msg));
                    }
                }
            }
            continue;
        }
        let Some(o) = options::find(&name) else {
            let msg = format!("unknown socket option '{}'", String::from_utf8_lossy(&name));
            return Err(st.rt_error(&msg));
        };
        if let Err(m) = socket::set_option(st, s, o, v) {
            return Err(st.rt_error(&m));
        }
    }
    for (is_bind, ep) in endpoints {
        let Ok(c) = std::ffi::CString::new(ep.clone()) else {
            return Err(st.rt_error("endpoint contains a zero byte"));
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
                String::from_utf8_lossy(&ep)
            );
            return Err(socket::zmq_error(st, &what, e));
        }
    }
    Ok(())
}

/// `zmq.poll(items, timeout_ms)`: items are sockets (waiting to receive) or
/// `{socket, events}` pairs; returns the list of sockets that are ready, in the order
/// given (empty after the timeout; nil or a negative timeout waits for ever), and a
/// table from each ready socket to its events (zmq.POLLIN, zmq.POLLOUT). Blocks the
/// process only.
fn zpoll(st: &mut State, a: Args) -> LResult<Ret> {
    let retry = io_wait::take_retry(st);
    let items = st.check_table(a, 1)?;
    let timeout = socket::timeout_arg(st, a, 2)?;
    let mut socks: Vec<(Value, &Sock, i16)> = Vec::new();
    for i in 1..=items.length() {
        let item = items.get_int(i as i64);
        let (sv, want) = match item {
            Value::Table(p) => {
                let w = match p.get_int(2) {
                    Value::Num(n) => n as i16,
                    Value::Nil => POLLIN,
                    _ => return Err(st.arg_error(1, "events must be a number")),
                };
                (p.get_int(1), w)
            }
            other => (other, POLLIN),
        };
        match st.userdata_get::<Sock>(&sv) {
            // SAFETY: the socket is reachable from the argument table for the call, and
            // only shared references to it are made during the call (no Lua code runs).
            Some(s) if !s.is_closed() => socks.push((sv, unsafe { &*(s as *const Sock) }, want)),
            Some(_) => return Err(st.rt_error("attempt to poll a closed socket")),
            None => {
                let msg = format!("item {i} is not a zmq socket");
                return Err(st.arg_error(1, &msg));
            }
        }
    }
    if socks.is_empty() {
        return Err(st.arg_error(1, "no sockets to poll"));
    }
    loop {
        let ready: Vec<(Value, i16)> = socks
            .iter()
            .map(|(v, s, want)| (*v, s.events() & want & (POLLIN | POLLOUT)))
            .filter(|(_, ev)| *ev != 0)
            .collect();
        if !ready.is_empty() || timeout == 0 {
            let t = st.new_table_with(ready.len(), 0);
            let revents = st.new_table();
            for (i, (v, ev)) in ready.into_iter().enumerate() {
                st.raw_set_int(t, i as i64 + 1, v);
                let _ = st.raw_set(revents, v, Value::Num(ev as f64));
            }
            st.push(Value::Table(t));
            st.push(Value::Table(revents));
            return Ok(Ret::Values(2));
        }
        let list: Vec<(&Sock, i16)> = socks.iter().map(|(_, s, w)| (*s, *w)).collect();
        match socket::wait_ready(st, &list, retry, timeout)? {
            Next::Again => continue,
            Next::Block => return Ok(Ret::Block),
            Next::TimedOut => {
                let t = st.new_table();
                let revents = st.new_table();
                st.push(Value::Table(t));
                st.push(Value::Table(revents));
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
fn poller(st: &mut State, a: Args) -> LResult<Ret> {
    let module = st.upvalue(1);
    let env = Value::Table(st.globals());
    let chunk = st.closure_of(poller_proto(), env);
    st.set_top(a.base + a.len);
    st.push(chunk);
    st.push(module);
    Ok(Ret::TailCall { nargs: 1 })
}

fn string_field(st: &mut State, t: Gc<Table>, name: &str) -> LResult<Option<String>> {
    match st.get_field(t, name) {
        Value::Nil => Ok(None),
        Value::Str(s) => Ok(Some(s.to_str_lossy().into_owned())),
        other => {
            let msg = format!(
                "device field '{name}' must be a string, got {}",
                other.type_name()
            );
            Err(st.rt_error(&msg))
        }
    }
}

/// `zmq.device(kind, frontend, backend [, capture])` or
/// `zmq.device{kind=, frontend=, backend=, capture=}`: starts a forwarder, streamer or
/// queue on a thread of its own; returns a handle with `:stop()`. The device stops
/// when the handle is stopped or collected, or when the process that started it ends.
fn device(st: &mut State, a: Args) -> LResult<Ret> {
    let rt = st.upvalue(0);
    let shared = shared_of(st, rt)?;
    let (kind, frontend, backend, capture) = match st.arg(a, 1) {
        Value::Table(t) => {
            let kind = string_field(st, t, "kind")?.or(string_field(st, t, "type")?);
            (
                kind,
                string_field(st, t, "frontend")?,
                string_field(st, t, "backend")?,
                string_field(st, t, "capture")?,
            )
        }
        _ => {
            let k = st.check_str(a, 1)?.to_str_lossy().into_owned();
            let f = st.check_str(a, 2)?.to_str_lossy().into_owned();
            let b = st.check_str(a, 3)?.to_str_lossy().into_owned();
            let c = st.opt_str(a, 4)?.map(|s| s.to_str_lossy().into_owned());
            (Some(k), Some(f), Some(b), c)
        }
    };
    let (Some(kind), Some(frontend), Some(backend)) = (kind, frontend, backend) else {
        return Err(st.rt_error("zmq.device needs a kind, a frontend and a backend"));
    };
    let kind = match crate::DeviceKind::parse(&kind) {
        Some(k) => k,
        None => {
            let msg = format!("unknown device '{kind}' (known: forwarder, streamer, queue)");
            return Err(st.rt_error(&msg));
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
        Err(m) => return Err(st.rt_error(&m)),
    };
    let mt = registry_meta(st, DEVICE_META, build_device_meta);
    let v = st.new_userdata(DeviceBox(Some(dev)), Some(mt));
    st.push(v);
    Ok(Ret::Values(1))
}

fn device_stop(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.arg(a, 1);
    let Some(d) = st.userdata_mut::<DeviceBox>(&v) else {
        return Err(st.arg_type_error(a, 1, "zmq device"));
    };
    if let Some(dev) = d.0.take() {
        let _ = dev.stop();
    }
    st.push(Value::Bool(true));
    Ok(Ret::Values(1))
}

/// `dev:endpoints()`: the frontend and backend endpoints bound (ports resolved).
fn device_endpoints(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.arg(a, 1);
    let Some(d) = st.userdata_get::<DeviceBox>(&v) else {
        return Err(st.arg_type_error(a, 1, "zmq device"));
    };
    let Some(dev) = d.0.as_ref() else {
        return Err(st.rt_error("the device is stopped"));
    };
    let (f, b) = (
        dev.frontend_endpoint().to_string(),
        dev.backend_endpoint().to_string(),
    );
    st.push_str(f.as_bytes());
    st.push_str(b.as_bytes());
    Ok(Ret::Values(2))
}

fn curve_missing() -> String {
    "CURVE is not available: the linked libzmq was built without it (the bundled libzmq \
     has no libsodium; link Debian's libzmq3-dev, see the README)"
        .to_string()
}

/// `zmq.curve_keypair()`: a new public and secret key, Z85-encoded.
fn curve_keypair(st: &mut State, _a: Args) -> LResult<Ret> {
    if !crate::has("curve") {
        return Err(st.rt_error(&curve_missing()));
    }
    let mut public = [0 as std::ffi::c_char; 41];
    let mut secret = [0 as std::ffi::c_char; 41];
    // SAFETY: both buffers hold 41 bytes, as zmq_curve_keypair requires.
    if unsafe { zmq_sys::zmq_curve_keypair(public.as_mut_ptr(), secret.as_mut_ptr()) } != 0 {
        let e = crate::errno();
        return Err(socket::zmq_error(st, "curve_keypair", e));
    }
    for k in [&public, &secret] {
        let bytes: Vec<u8> = k[..40].iter().map(|&c| c as u8).collect();
        st.push_str(&bytes);
    }
    Ok(Ret::Values(2))
}

extern "C" {
    // In libzmq since 4.2 (zmq-sys declares it but does not re-export it).
    fn zmq_curve_public(public: *mut std::ffi::c_char, secret: *const std::ffi::c_char) -> i32;
}

/// `zmq.curve_public(secret_z85)`: the public key of a secret key.
fn curve_public(st: &mut State, a: Args) -> LResult<Ret> {
    let secret = st.check_str(a, 1)?.as_bytes().to_vec();
    if !crate::has("curve") {
        return Err(st.rt_error(&curve_missing()));
    }
    if secret.len() != 40 {
        return Err(st.arg_error(1, "a 40-character Z85 secret key expected"));
    }
    let Ok(c) = std::ffi::CString::new(secret) else {
        return Err(st.arg_error(1, "a 40-character Z85 secret key expected"));
    };
    let mut public = [0 as std::ffi::c_char; 41];
    // SAFETY: 41-byte output buffer and a NUL-terminated 40-character input.
    if unsafe { zmq_curve_public(public.as_mut_ptr(), c.as_ptr()) } != 0 {
        let e = crate::errno();
        return Err(socket::zmq_error(st, "curve_public", e));
    }
    let bytes: Vec<u8> = public[..40].iter().map(|&c| c as u8).collect();
    st.push_str(&bytes);
    Ok(Ret::Values(1))
}

fn z85_encode(st: &mut State, a: Args) -> LResult<Ret> {
    let data = st.check_str(a, 1)?.as_bytes().to_vec();
    match zmq::z85_encode(&data) {
        Ok(s) => {
            st.push_str(s.as_bytes());
            Ok(Ret::Values(1))
        }
        Err(e) => Err(st.rt_error(&format!("z85_encode: {e}"))),
    }
}

fn z85_decode(st: &mut State, a: Args) -> LResult<Ret> {
    let text = st.check_str(a, 1)?.to_str_lossy().into_owned();
    match zmq::z85_decode(&text) {
        Ok(b) => {
            st.push_str(&b);
            Ok(Ret::Values(1))
        }
        Err(e) => Err(st.rt_error(&format!("z85_decode: {e}"))),
    }
}

/// `zmq.load_curve_keys(path)`: public and secret key from a key file (see
/// `crate::device::read_key_file` for the formats); the secret may be nil.
fn load_curve_keys(st: &mut State, a: Args) -> LResult<Ret> {
    let path = st.check_str(a, 1)?.to_str_lossy().into_owned();
    match crate::device::read_key_file(&path) {
        Ok(k) => {
            st.push_str(k.public.as_bytes());
            match k.secret {
                Some(s) => st.push_str(s.as_bytes()),
                None => st.push(Value::Nil),
            }
            Ok(Ret::Values(2))
        }
        Err(m) => Err(st.rt_error(&m)),
    }
}

fn has(st: &mut State, a: Args) -> LResult<Ret> {
    let cap = st.check_str(a, 1)?.to_str_lossy().into_owned();
    st.push(Value::Bool(crate::has(&cap)));
    Ok(Ret::Values(1))
}

/// `zmq.version()`: major, minor, patch of the linked libzmq.
fn version(st: &mut State, _a: Args) -> LResult<Ret> {
    let (x, y, z) = zmq::version();
    for n in [x, y, z] {
        st.push(Value::Num(n as f64));
    }
    Ok(Ret::Values(3))
}

fn strerror(st: &mut State, a: Args) -> LResult<Ret> {
    let n = st.check_integer(a, 1)? as i32;
    let s = crate::strerror(n);
    st.push_str(s.as_bytes());
    Ok(Ret::Values(1))
}
