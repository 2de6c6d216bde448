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
use cube_lua::proto::Proto;
use cube_lua::value::NativeFn;
use cube_lua::{Args, LResult, Ret, State, Value};
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
    let module = st.new_table();
    let meta = st.new_table();
    let loader = st.new_native(
        "__index",
        load_on_first_use,
        vec![Value::Num(core_id as f64)],
    );
    st.set_field(meta, "__index", loader);
    st.set_table_meta(module, Some(meta));
    st.set_global("programs", Value::Table(module));
    let loaded = st.loaded_table();
    st.set_field(loaded, "programs", Value::Table(module));
}

const NATIVES: &[(&str, NativeFn)] = &[
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
fn load_on_first_use(st: &mut State, a: Args) -> LResult<Ret> {
    let (module, new) = cube_vm::lazy_module::private_table(st, "programs");
    if new {
        let id = st.upvalue(0);
        for &(name, f) in NATIVES {
            let v = st.new_native(name, f, vec![id]);
            st.set_field(module, name, v);
        }
    }
    let key = st.arg(a, 2);
    let wants_instance = matches!(key, Value::Str(s) if s.as_bytes() == b"_instance");
    let proto = if wants_instance {
        if !st.get_field(module, "_instance").is_nil() {
            return cube_vm::lazy_module::index(st, a, module);
        }
        instance_proto()
    } else {
        if !st.get_field(module, FULL_MARK).is_nil() {
            return cube_vm::lazy_module::index(st, a, module);
        }
        st.set_field(module, FULL_MARK, Value::Bool(true));
        full_proto()
    };
    cube_vm::lazy_module::fill_then_index(st, a, module, proto)
}

/// Set in a process's module table once the whole module is loaded in it.
const FULL_MARK: &str = "_loaded";

fn core(st: &mut State) -> LResult<Arc<Core>> {
    let id = match st.upvalue(0) {
        Value::Num(n) => n as u64,
        _ => 0,
    };
    let found = cores()
        .lock()
        .expect("cores lock")
        .get(&id)
        .and_then(Weak::upgrade);
    match found {
        Some(c) => Ok(c),
        None => Err(st.rt_error("the program supervisor is gone")),
    }
}

fn str_arg(st: &mut State, a: Args, n: usize) -> LResult<String> {
    Ok(st.check_str(a, n)?.to_str_lossy().into_owned())
}

fn push_json(st: &mut State, v: &Json) -> LResult<Ret> {
    let v = cube_vm::from_term(st, &json::to_term(v));
    st.push(v);
    Ok(Ret::Values(1))
}

fn push_result(st: &mut State, r: Result<Json, String>) -> LResult<Ret> {
    match r {
        Ok(v) => push_json(st, &v),
        Err(e) => {
            st.push(Value::Nil);
            st.push_str(e.as_bytes());
            Ok(Ret::Values(2))
        }
    }
}

fn arg_json(st: &mut State, a: Args, n: usize) -> LResult<Json> {
    let v = st.arg(a, n);
    match cube_vm::to_term(st, v) {
        Ok(t) => Ok(json::from_term(&t)),
        Err(e) => Err(st.rt_error(&e)),
    }
}

fn begin(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let c = core(st)?;
    let Some(me) = cube_vm::current_pid(st) else {
        return Err(st.rt_error("not in a process"));
    };
    match c.begin(&id, me) {
        Ok(v) => push_json(st, &v),
        Err(e) => Err(st.rt_error(&e)),
    }
}

fn spawn(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let c = core(st)?;
    push_result(st, c.spawn(&id).map(|p| json!(p)))
}

fn running(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    core(st)?.running(&id);
    Ok(Ret::Values(0))
}

fn exited(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let num = |st: &State, n: usize| match st.arg(a, n) {
        Value::Num(x) => Some(x as i32),
        _ => None,
    };
    let (code, signal) = (num(st, 3), num(st, 4));
    let reason = core(st)?.exited(&id, code, signal);
    st.push_str(reason.as_bytes());
    Ok(Ret::Values(1))
}

fn stop_begin(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let ms = core(st)?.stop_begin(&id);
    st.push(Value::Num(ms));
    Ok(Ret::Values(1))
}

fn kill(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let n = core(st)?.kill(&id);
    st.push(Value::Num(n as f64));
    Ok(Ret::Values(1))
}

fn leftovers(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let n = core(st)?.leftovers(&id);
    st.push(Value::Num(n as f64));
    Ok(Ret::Values(1))
}

fn signal_leftovers(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let n = core(st)?.signal_leftovers(&id);
    st.push(Value::Num(n as f64));
    Ok(Ret::Values(1))
}

fn stopped(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let why = match st.arg(a, 2) {
        Value::Nil => "stopped".to_string(),
        v => st
            .to_str_coerce(&v)
            .map(|s| s.to_str_lossy().into_owned())
            .unwrap_or_else(|| "stopped".into()),
    };
    core(st)?.stopped(&id, &why);
    Ok(Ret::Values(0))
}

fn now(st: &mut State, _a: Args) -> LResult<Ret> {
    let c = core(st)?;
    st.push(Value::Num(c.start_time.elapsed().as_secs_f64() * 1000.0));
    Ok(Ret::Values(1))
}

fn health_failed(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let reason = str_arg(st, a, 2)?;
    core(st)?.event("health_failure", &id, json!({ "reason": reason }));
    Ok(Ret::Values(0))
}

fn plan(st: &mut State, _a: Args) -> LResult<Ret> {
    let c = core(st)?;
    if let Some(me) = cube_vm::current_pid(st) {
        let _ = c.manager.set(me);
    }
    let p = Json::Array(c.plan(None));
    push_json(st, &p)
}

fn reply(st: &mut State, a: Args) -> LResult<Ret> {
    let id = st.check_number(a, 1)? as u64;
    let ok = st.arg(a, 2).truthy();
    let res = arg_json(st, a, 3)?;
    let c = core(st)?;
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

fn manager_ready(st: &mut State, _a: Args) -> LResult<Ret> {
    let c = core(st)?;
    let (lock, cv) = &c.manager_ready;
    *lock.lock().expect("ready lock") = true;
    cv.notify_all();
    Ok(Ret::Values(0))
}

fn mark_stopped(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    core(st)?.mark_stopped(&id);
    Ok(Ret::Values(0))
}

fn reset(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    core(st)?.reset(&id);
    Ok(Ret::Values(0))
}

fn is_fatal(st: &mut State, a: Args) -> LResult<Ret> {
    let id = str_arg(st, a, 1)?;
    let f = core(st)?.is_fatal(&id);
    st.push(Value::Bool(f));
    Ok(Ret::Values(1))
}

fn apply_reload(st: &mut State, _a: Args) -> LResult<Ret> {
    let p = Json::Array(core(st)?.apply_staged());
    push_json(st, &p)
}

/// `_request(op, arg)` -> the message for the manager, or nil and an error: resolves
/// names to instance ids, stages an added program.
fn request(st: &mut State, a: Args) -> LResult<Ret> {
    let op = str_arg(st, a, 1)?;
    let arg = arg_json(st, a, 2)?;
    let c = core(st)?;
    push_result(st, crate::control::prepare(&c, &op, &arg))
}

fn status(st: &mut State, a: Args) -> LResult<Ret> {
    let name = match st.arg(a, 1) {
        Value::Nil => None,
        _ => Some(str_arg(st, a, 1)?),
    };
    let c = core(st)?;
    push_result(st, c.status(name.as_deref()))
}

fn signal(st: &mut State, a: Args) -> LResult<Ret> {
    let name = str_arg(st, a, 1)?;
    let sig = match st.arg(a, 2) {
        Value::Num(n) => (n as i64).to_string(),
        _ => str_arg(st, a, 2)?,
    };
    let c = core(st)?;
    push_result(st, c.signal(&name, &sig))
}

fn subscribe(st: &mut State, _a: Args) -> LResult<Ret> {
    let c = core(st)?;
    let Some(me) = cube_vm::current_pid(st) else {
        return Err(st.rt_error("not in a process"));
    };
    let mut subs = c.subscribers.lock().expect("subscribers lock");
    if !subs.contains(&me) {
        subs.push(me);
    }
    st.push(Value::Bool(true));
    Ok(Ret::Values(1))
}
