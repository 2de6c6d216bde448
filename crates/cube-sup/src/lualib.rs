//! The Lua `programs` library, opened in every process of a supervising node (through
//! the node's `setup` function, see `install`). Its public functions (`start`, `stop`,
//! `restart`, `status`, `signal`, `subscribe`) are written in Lua (`sup.lua`) over the
//! natives here (`programs._*`), which are also what the manager and instance processes
//! use. As with the `supervisor` library, the Lua chunk runs in a process on its first
//! use of `programs`, so processes that never touch it pay only for an empty table.
//!
//! Natives find their [`Core`] through their first upvalue, a number naming it in a
//! process-wide table (natives are plain function pointers).

use crate::core::Core;
use crate::json;
use cube_lua::host::{Args, Cx, HostFn, HostResult, Ret, State, Val};
use cube_lua::proto::Proto;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// The instance body alone (what instance processes load) and the whole module.
const INSTANCE_SOURCE: &str = include_str!("instance.lua");
const SUP_SOURCE: &str = include_str!("sup.lua");

fn cores() -> &'static Mutex<HashMap<u64, Weak<Core>>> {
    static CORES: OnceLock<Mutex<HashMap<u64, Weak<Core>>>> = OnceLock::new();
    CORES.get_or_init(Default::default)
}

/// Makes `core` reachable from Lua; the number goes into `install`.
pub(crate) fn register_core(core: &Arc<Core>) -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut map = cores().lock().expect("cores lock");
    map.retain(|_, w| w.strong_count() > 0);
    map.insert(id, Arc::downgrade(core));
    id
}

fn compile(src: &str, name: &str) -> Arc<Proto> {
    cube_lua::load::compile(src.as_bytes(), name)
        .unwrap_or_else(|e| panic!("{name} does not compile: {}", e.message))
}

/// The compiled chunks, shared by every process (prototypes are immutable).
fn instance_proto() -> Arc<Proto> {
    static PROTO: OnceLock<Arc<Proto>> = OnceLock::new();
    PROTO
        .get_or_init(|| compile(INSTANCE_SOURCE, "=programs.instance"))
        .clone()
}

fn full_proto() -> Arc<Proto> {
    static PROTO: OnceLock<Arc<Proto>> = OnceLock::new();
    PROTO
        .get_or_init(|| compile(&format!("{INSTANCE_SOURCE}\n{SUP_SOURCE}"), "=programs"))
        .clone()
}

/// Installs the global `programs` (also `package.loaded.programs`) into a new process's
/// state; `core_id` comes from [`register_core`].
pub(crate) fn install(st: &mut State, core_id: u64) {
    st.cx(|cx| {
        let module = cx.new_table();
        let meta = cx.new_table();
        let id = Val::Num(core_id as f64);
        let loader = cx.new_function("__index", load_on_first_use, &[id]);
        cx.set_field(meta, "__index", loader);
        cx.set_table_meta(module, Some(meta));
        cx.set_global("programs", Val::Table(module));
        let loaded = cx.loaded_table();
        cx.set_field(loaded, "programs", Val::Table(module));
    });
}

const NATIVES: &[(&str, HostFn)] = &[
    ("_begin", begin),
    ("_spawn", spawn),
    ("_running", running),
    ("_exited", exited),
    ("_stop_begin", stop_begin),
    ("_kill", kill),
    ("_leftovers", leftovers),
    ("_signal_leftovers", signal_leftovers),
    ("_stopped", stopped),
    ("_now", now),
    ("_health_failed", health_failed),
    ("_plan", plan),
    ("_reply", reply),
    ("_manager_ready", manager_ready),
    ("_mark_stopped", mark_stopped),
    ("_reset", reset),
    ("_is_fatal", is_fatal),
    ("_apply_reload", apply_reload),
    ("_request", request),
    ("_status", status),
    ("_signal", signal),
    ("_subscribe", subscribe),
];

/// `__index(module, key)`: answers from this process's own module table (see
/// cube-vm's `lazy_module`), made on first use with the natives registered. An
/// instance process asking for `_instance` gets the instance chunk alone; any other key
/// loads the whole module once. The chunks run as Lua calls.
fn load_on_first_use<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (module, new) = cube_vm::lazy_module::private_table(cx, "programs");
    if new {
        let id = cx.upvalue(0);
        for &(name, f) in NATIVES {
            let v = cx.new_function(name, f, &[id]);
            cx.set_field(module, name, v);
        }
    }
    let key = cx.arg(a, 2);
    let wants_instance = matches!(key, Val::Str(s) if s.as_bytes() == b"_instance");
    let proto = if wants_instance {
        if !cx.get_field(module, "_instance").is_nil() {
            return cube_vm::lazy_module::index(cx, a, module);
        }
        instance_proto()
    } else {
        if !cx.get_field(module, FULL_MARK).is_nil() {
            return cube_vm::lazy_module::index(cx, a, module);
        }
        cx.set_field(module, FULL_MARK, Val::Bool(true));
        full_proto()
    };
    cube_vm::lazy_module::fill_then_index(cx, a, module, proto)
}

/// Set in a process's module table once the whole module is loaded in it.
const FULL_MARK: &str = "_loaded";

fn core<'n>(cx: &mut Cx<'n>) -> HostResult<'n, Arc<Core>> {
    let id = match cx.upvalue(0) {
        Val::Num(n) => n as u64,
        _ => 0,
    };
    let found = cores()
        .lock()
        .expect("cores lock")
        .get(&id)
        .and_then(Weak::upgrade);
    match found {
        Some(c) => Ok(c),
        None => Err(cx.rt_error("the program supervisor is gone")),
    }
}

fn str_arg<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, String> {
    Ok(cx.check_str(a, n)?.to_str_lossy().into_owned())
}

fn push_json<'n>(cx: &mut Cx<'n>, v: &Json) -> HostResult<'n, Ret> {
    let v = cube_vm::from_term(cx, &json::to_term(v));
    cx.push(v);
    Ok(Ret::Values(1))
}

fn push_result<'n>(cx: &mut Cx<'n>, r: Result<Json, String>) -> HostResult<'n, Ret> {
    match r {
        Ok(v) => push_json(cx, &v),
        Err(e) => {
            cx.push(Val::Nil);
            cx.push_str(e.as_bytes());
            Ok(Ret::Values(2))
        }
    }
}

fn arg_json<'n>(cx: &mut Cx<'n>, a: Args, n: usize) -> HostResult<'n, Json> {
    let v = cx.arg(a, n);
    match cube_vm::to_term(cx, v) {
        Ok(t) => Ok(json::from_term(&t)),
        Err(e) => Err(cx.rt_error(&e)),
    }
}

fn begin<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let c = core(cx)?;
    let Some(me) = cube_vm::current_pid(cx) else {
        return Err(cx.rt_error("not in a process"));
    };
    match c.begin(&id, me) {
        Ok(v) => push_json(cx, &v),
        Err(e) => Err(cx.rt_error(&e)),
    }
}

fn spawn<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let c = core(cx)?;
    push_result(cx, c.spawn(&id).map(|p| json!(p)))
}

fn running<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    core(cx)?.running(&id);
    Ok(Ret::Values(0))
}

fn exited<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let num = |cx: &Cx<'n>, n: usize| match cx.arg(a, n) {
        Val::Num(x) => Some(x as i32),
        _ => None,
    };
    let (code, signal) = (num(cx, 3), num(cx, 4));
    let reason = core(cx)?.exited(&id, code, signal);
    cx.push_str(reason.as_bytes());
    Ok(Ret::Values(1))
}

fn stop_begin<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let ms = core(cx)?.stop_begin(&id);
    cx.push(Val::Num(ms));
    Ok(Ret::Values(1))
}

fn kill<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let n = core(cx)?.kill(&id);
    cx.push(Val::Num(n as f64));
    Ok(Ret::Values(1))
}

fn leftovers<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let n = core(cx)?.leftovers(&id);
    cx.push(Val::Num(n as f64));
    Ok(Ret::Values(1))
}

fn signal_leftovers<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let n = core(cx)?.signal_leftovers(&id);
    cx.push(Val::Num(n as f64));
    Ok(Ret::Values(1))
}

fn stopped<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let why = match cx.arg(a, 2) {
        Val::Nil => "stopped".to_string(),
        v => cx
            .to_str_coerce(v)
            .map(|s| s.to_str_lossy().into_owned())
            .unwrap_or_else(|| "stopped".into()),
    };
    core(cx)?.stopped(&id, &why);
    Ok(Ret::Values(0))
}

fn now<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let c = core(cx)?;
    cx.push(Val::Num(c.start_time.elapsed().as_secs_f64() * 1000.0));
    Ok(Ret::Values(1))
}

fn health_failed<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let reason = str_arg(cx, a, 2)?;
    core(cx)?.event("health_failure", &id, json!({ "reason": reason }));
    Ok(Ret::Values(0))
}

fn plan<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let c = core(cx)?;
    if let Some(me) = cube_vm::current_pid(cx) {
        let _ = c.manager.set(me);
    }
    let p = Json::Array(c.plan(None));
    push_json(cx, &p)
}

fn reply<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = cx.check_number(a, 1)? as u64;
    let ok = cx.arg(a, 2).truthy();
    let res = arg_json(cx, a, 3)?;
    let c = core(cx)?;
    let body = if ok {
        json!({ "ok": true, "result": res })
    } else {
        json!({ "ok": false, "error": match res { Json::String(s) => s, other => other.to_string() } })
    };
    if let Some(deliver) = c.replies.lock().expect("replies lock").as_ref() {
        deliver(id, body);
    }
    Ok(Ret::Values(0))
}

fn manager_ready<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let c = core(cx)?;
    let (lock, cv) = &c.manager_ready;
    *lock.lock().expect("ready lock") = true;
    cv.notify_all();
    Ok(Ret::Values(0))
}

fn mark_stopped<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    core(cx)?.mark_stopped(&id);
    Ok(Ret::Values(0))
}

fn reset<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    core(cx)?.reset(&id);
    Ok(Ret::Values(0))
}

fn is_fatal<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let id = str_arg(cx, a, 1)?;
    let f = core(cx)?.is_fatal(&id);
    cx.push(Val::Bool(f));
    Ok(Ret::Values(1))
}

fn apply_reload<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let p = Json::Array(core(cx)?.apply_staged());
    push_json(cx, &p)
}

/// `_request(op, arg)` -> the message for the manager, or nil and an error: resolves
/// names to instance ids, stages an added program.
fn request<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let op = str_arg(cx, a, 1)?;
    let arg = arg_json(cx, a, 2)?;
    let c = core(cx)?;
    push_result(cx, crate::control::prepare(&c, &op, &arg))
}

fn status<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = match cx.arg(a, 1) {
        Val::Nil => None,
        _ => Some(str_arg(cx, a, 1)?),
    };
    let c = core(cx)?;
    push_result(cx, c.status(name.as_deref()))
}

fn signal<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = str_arg(cx, a, 1)?;
    let sig = match cx.arg(a, 2) {
        Val::Num(n) => (n as i64).to_string(),
        _ => str_arg(cx, a, 2)?,
    };
    let c = core(cx)?;
    push_result(cx, c.signal(&name, &sig))
}

fn subscribe<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let c = core(cx)?;
    let Some(me) = cube_vm::current_pid(cx) else {
        return Err(cx.rt_error("not in a process"));
    };
    let mut subs = c.subscribers.lock().expect("subscribers lock");
    if !subs.contains(&me) {
        subs.push(me);
    }
    cx.push(Val::Bool(true));
    Ok(Ret::Values(1))
}
