//! Installing the Lua `http` library: the natives (in `http._c`, for `http.lua` only)
//! and the metatables of servers and connections, then `http.lua`, which builds the
//! public functions on them.

use crate::request::Limits;
use crate::Shared;
use cube_lua::host::{Cx, HostFn, HostResult, TableRef, Val};
use cube_lua::{Args, Ret, State};
use std::sync::Arc;
use std::time::Duration;

/// The runtime, kept as a userdata upvalue of the natives.
struct Runtime(Arc<Shared>);

const SERVER_META: &str = "cube.http.server";
const CONN_META: &str = "cube.http.conn";
const WS_META: &str = "cube.http.websocket";
/// The registry table where a process keeps its servers alive until stopped.
const SERVERS: &str = "cube.http.servers";

pub(crate) fn install(st: &mut State, shared: Arc<Shared>) {
    st.cx(|cx| {
        let module = cx.new_table();
        let meta = cx.new_table();
        let rt = cx.new_shared_userdata(Runtime(shared), None);
        let loader = cx.new_function("__index", load_on_first_use, &[rt]);
        cx.set_field(meta, "__index", loader);
        cx.set_table_meta(module, Some(meta));
        registry_meta(cx, SERVER_META, build_server_meta);
        registry_meta(cx, CONN_META, build_conn_meta);
        registry_meta(cx, WS_META, build_ws_meta);
        cx.set_global("http", Val::Table(module));
        let loaded = cx.loaded_table();
        cx.set_field(loaded, "http", Val::Table(module));
    });
}

/// The compiled `http.lua`, shared by every process (prototypes are immutable).
fn http_proto() -> Arc<cube_lua::proto::Proto> {
    static PROTO: std::sync::OnceLock<Arc<cube_lua::proto::Proto>> = std::sync::OnceLock::new();
    PROTO
        .get_or_init(|| {
            cube_lua::load::compile(include_str!("http.lua").as_bytes(), "=http")
                .unwrap_or_else(|e| panic!("http.lua does not compile: {}", e.message))
        })
        .clone()
}

/// Set in a process's module table once `http.lua` has run in it.
const FULL_MARK: &str = "_loaded";

/// `__index(http, key)`: the module is made per process on first use (cube-vm's
/// `lazy_module`: the shared image cannot hold Lua functions). `_c`, the natives, is
/// all a connection's process needs, so asking for it does not run `http.lua`.
fn load_on_first_use<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (module, new) = cube_vm::lazy_module::private_table(cx, "http");
    if new {
        let rt = cx.upvalue(0);
        let natives = cx.new_table();
        let funcs: &[(&'static str, HostFn)] = &[
            ("listen", listen),
            ("accept", accept),
            ("claim", claim),
            ("static", static_file),
            ("request", request),
        ];
        for &(name, f) in funcs {
            let v = cx.new_function(name, f, &[rt]);
            cx.set_field(natives, name, v);
        }
        cx.set_field(module, "_c", Val::Table(natives));
    }
    let key = cx.arg(a, 2);
    let wants_natives = matches!(key, Val::Str(s) if s.as_bytes() == b"_c");
    if wants_natives || !cx.get_field(module, FULL_MARK).is_nil() {
        return cube_vm::lazy_module::index(cx, a, module);
    }
    cx.set_field(module, FULL_MARK, Val::Bool(true));
    cube_vm::lazy_module::fill_then_index(cx, a, module, http_proto())
}

fn shared_of<'n>(cx: &mut Cx<'n>) -> HostResult<'n, Arc<Shared>> {
    let v = cx.upvalue(0);
    match cx.userdata_get::<Runtime>(v) {
        Some(r) => Ok(r.0.clone()),
        None => Err(cx.rt_error("http: no runtime")),
    }
}

type BuildMeta = for<'n> fn(&mut Cx<'n>, TableRef<'n>);

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

fn build_server_meta<'n>(cx: &mut Cx<'n>, mt: TableRef<'n>) {
    let methods = cx.new_table();
    cx.register(
        methods,
        &[
            ("id", crate::server::id),
            ("port", crate::server::port),
            ("address", crate::server::address),
            ("stop", server_stop),
        ],
    );
    cx.set_field(mt, "__index", Val::Table(methods));
}

fn build_conn_meta<'n>(cx: &mut Cx<'n>, mt: TableRef<'n>) {
    let methods = cx.new_table();
    cx.register(
        methods,
        &[
            ("read", crate::conn::read),
            ("piece", crate::conn::piece),
            ("body", crate::conn::body),
            ("respond", crate::conn::respond),
            ("chunk", crate::conn::chunk),
            ("keep_alive", crate::conn::keep_alive),
            ("close", crate::conn::close),
            ("peer", crate::conn::peer),
            ("upgrade", crate::conn::upgrade),
        ],
    );
    cx.set_field(mt, "__index", Val::Table(methods));
}

fn build_ws_meta<'n>(cx: &mut Cx<'n>, mt: TableRef<'n>) {
    let methods = cx.new_table();
    cx.register(
        methods,
        &[
            ("send", crate::ws::send),
            ("close", crate::ws::close),
            ("id", crate::ws::id),
            ("peer", crate::ws::peer),
            ("protocol", crate::ws::protocol),
        ],
    );
    cx.set_field(mt, "__index", Val::Table(methods));
}

/// The metatable of WebSocket handles.
pub(crate) fn ws_meta<'n>(cx: &mut Cx<'n>) -> TableRef<'n> {
    registry_meta(cx, WS_META, build_ws_meta)
}

/// `listen(addr)`: a server userdata (kept alive in the registry until stopped), or
/// `nil, why`.
fn listen<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let shared = shared_of(cx)?;
    let addr = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    // `tls = {cert=, key=}`, checked by http.lua.
    let tls = match cx.arg(a, 2) {
        Val::Table(t) => {
            let cert = cx.get_field(t, "cert");
            let key = cx.get_field(t, "key");
            let (Some(cert), Some(key)) = (cx.to_str_coerce(cert), cx.to_str_coerce(key)) else {
                return Err(cx.rt_error("http: tls needs cert and key paths"));
            };
            let (cert, key) = (
                cert.to_str_lossy().into_owned(),
                key.to_str_lossy().into_owned(),
            );
            match crate::tls::server_config(&cert, &key) {
                Ok(c) => Some(c),
                Err(e) => {
                    cx.push(Val::Nil);
                    cx.push_str(e.as_bytes());
                    return Ok(Ret::Values(2));
                }
            }
        }
        _ => None,
    };
    match crate::server::bind(&shared, &addr, tls) {
        Ok(s) => {
            let id = s.id_num();
            let mt = registry_meta(cx, SERVER_META, build_server_meta);
            let v = cx.new_userdata(s, Some(mt));
            let reg = cx.registry();
            let servers = match cx.get_field(reg, SERVERS) {
                Val::Table(t) => t,
                _ => {
                    let t = cx.new_table();
                    cx.set_field(reg, SERVERS, Val::Table(t));
                    t
                }
            };
            cx.raw_set_int(servers, id as i64, v);
            cx.push(v);
            Ok(Ret::Values(1))
        }
        Err(e) => {
            cx.push(Val::Nil);
            cx.push_str(e.as_bytes());
            Ok(Ret::Values(2))
        }
    }
}

/// `srv:stop()`: closes the listening socket and lets the server be collected.
fn server_stop<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = crate::server::with_server(cx, a, |_cx, s| Ok(s.id_num()))?;
    let reg = cx.registry();
    if let Val::Table(t) = cx.get_field(reg, SERVERS) {
        cx.raw_set_int(t, id as i64, Val::Nil);
    }
    crate::server::stop(cx, a)
}

fn accept<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let shared = shared_of(cx)?;
    crate::server::accept(cx, a, &shared)
}

fn num_field<'n>(cx: &mut Cx<'n>, t: TableRef<'n>, name: &str) -> Option<f64> {
    cx.get_field(t, name).as_num()
}

/// The limits in a table of options (validated by http.lua), defaults for the rest.
fn limits_from<'n>(cx: &mut Cx<'n>, t: Option<TableRef<'n>>) -> Limits {
    let mut l = Limits::default();
    let Some(t) = t else { return l };
    let secs = |v: f64| Duration::from_secs_f64(v.clamp(0.0, 1e9));
    if let Some(v) = num_field(cx, t, "max_header_bytes") {
        l.max_header_bytes = v.clamp(64.0, 1e9) as usize;
    }
    if let Some(v) = num_field(cx, t, "max_body_bytes") {
        l.max_body_bytes = v.clamp(0.0, 1e12) as usize;
    }
    if let Some(v) = num_field(cx, t, "header_timeout") {
        l.header_timeout = secs(v);
    }
    if let Some(v) = num_field(cx, t, "body_timeout") {
        l.body_timeout = secs(v);
    }
    if let Some(v) = num_field(cx, t, "idle_timeout") {
        l.idle_timeout = secs(v);
    }
    if let Some(v) = num_field(cx, t, "ping_interval") {
        // At least 10 ms: a timer a program sets cannot spin the reactor.
        l.ping_interval = Some(Duration::from_secs_f64(v.clamp(0.01, 1e9)));
    }
    if let Some(v) = num_field(cx, t, "ping_timeout") {
        l.ping_timeout = Duration::from_secs_f64(v.clamp(0.01, 1e9));
    }
    if let Some(v) = num_field(cx, t, "max_message_bytes") {
        l.max_message_bytes = v.clamp(1.0, 1e12) as usize;
    }
    if let Some(v) = num_field(cx, t, "max_stream_bytes") {
        l.max_stream_bytes = v.clamp(0.0, 1e15) as usize;
    }
    l.stream = cx.get_field(t, "stream").truthy();
    l
}

fn claim<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let shared = shared_of(cx)?;
    let cid = cx.check_integer(a, 1)? as u64;
    let t = match cx.arg(a, 2) {
        Val::Table(t) => Some(t),
        _ => None,
    };
    let limits = limits_from(cx, t);
    match crate::server::claim(&shared, cid, limits) {
        Some(Ok(c)) => {
            let mt = registry_meta(cx, CONN_META, build_conn_meta);
            let v = cx.new_userdata(c, Some(mt));
            cx.push(v);
            Ok(Ret::Values(1))
        }
        Some(Err(e)) => {
            cx.push(Val::Nil);
            cx.push_str(e.to_string().as_bytes());
            Ok(Ret::Values(2))
        }
        None => {
            cx.push(Val::Nil);
            cx.push_str(b"gone");
            Ok(Ret::Values(2))
        }
    }
}

fn static_file<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    crate::static_files::serve(cx, a)
}

fn request<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let shared = shared_of(cx)?;
    crate::client::request(cx, a, &shared)
}
