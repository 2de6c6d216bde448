//! The `debug` library (`ldblib.c` of Lua 5.2.4).
//!
//! Hooks follow PUC: `debug.sethook` sets the hook, mask and count of a thread (kept in
//! the thread, where ldblib keeps the function in `registry._HKEY[thread]`), and the
//! VM calls it for "call", "tail call", "return", "line" and "count" events as a frame
//! above the frame of the event (`vm/hook.rs` has the mechanism), so that inside it
//! `getinfo(2)` and `getlocal(2, i)` see that frame. A new coroutine inherits its
//! creator's mask and count but, as in 5.2 (whose `_HKEY` has no entry for it), no hook
//! function. Everything else follows PUC: levels count from the running function (level 0 is the
//! debug function itself), locals are named from the prototype's `loc_vars` at the
//! frame's pc, other live slots are "(*temporary)", varargs are "(*vararg)".
//!
//! # Natives' upvalues are private
//! PUC-Rio 5.2 shows a C function's upvalues to `debug.getupvalue`/`setupvalue` (named
//! `""`) and to `upvalueid`. cube does not: for a native, `getupvalue` and `setupvalue`
//! return nothing, `upvalueid` and `upvaluejoin` raise "invalid upvalue index", and
//! `getinfo(f).nups` is 0. A native's upvalues hold what the native trusts: the embedding
//! API's trampoline keeps the address of its `Lua` and the boxed Rust closure there
//! (`api/function.rs`), `gmatch` its position, `coroutine.wrap` its thread, `io.lines`
//! its file, `math.random` its generator, other crates their runtime handles. A script
//! that could replace them could make the host dereference a forged address or free a
//! closure while it runs. Nothing outside the native that made them (and `image.rs`,
//! which copies them verbatim) reads or writes them.

use crate::debug_info::FrameInfo;
use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State};
use crate::table::Table;
use crate::thread::{Cont, Frame, FrameKind, Status, Thread};
use crate::tm::TM;
use crate::value::{UpVal, Value};

pub fn open(st: &mut State) {
    let t = super::new_lib(st, "debug");
    st.register(
        t,
        &[
            ("debug", debug),
            ("getuservalue", getuservalue),
            ("gethook", gethook),
            ("getinfo", getinfo),
            ("getlocal", getlocal),
            ("getregistry", getregistry),
            ("getmetatable", getmetatable),
            ("getupvalue", getupvalue),
            ("upvaluejoin", upvaluejoin),
            ("upvalueid", upvalueid),
            ("setuservalue", setuservalue),
            ("sethook", sethook),
            ("setlocal", setlocal),
            ("setmetatable", setmetatable),
            ("setupvalue", setupvalue),
            ("traceback", traceback),
        ],
    );
}

// ----- upvalues -----

/// Where upvalue `n` (1-based) of function `f` is, with its name (`aux_upvalue`).
///
/// Only Lua functions have upvalues here: a native's upvalues are its private state
/// (see the module docs), so for a native every index is out of range.
fn find_upvalue(f: Value, n: i64) -> Option<(Gc<UpVal>, String)> {
    let i = usize::try_from(n.checked_sub(1)?).ok()?;
    let Value::LFn(cl) = f else {
        return None;
    };
    let uv = *cl.upvals.get(i)?;
    let name =
        cl.p.proto
            .upvalues
            .get(i)
            .map(|u| u.name.clone())
            .unwrap_or_default();
    Some((uv, name))
}

fn check_function(st: &mut State, a: Args, n: usize) -> LResult<Value> {
    let f = st.arg(a, n);
    if !f.is_function() {
        return Err(st.arg_type_error(a, n, "function"));
    }
    Ok(f)
}

fn getupvalue(st: &mut State, a: Args) -> LResult<Ret> {
    let n = st.check_integer(a, 2)?;
    let f = check_function(st, a, 1)?;
    match find_upvalue(f, n) {
        None => Ok(Ret::Values(0)),
        Some((uv, name)) => {
            st.push_str(name.as_bytes());
            st.push(uv.get());
            Ok(Ret::Values(2))
        }
    }
}

fn setupvalue(st: &mut State, a: Args) -> LResult<Ret> {
    // Writes objects a shared image may hold: own them first (image.rs).
    st.own_image();
    st.check_any(a, 3)?;
    let n = st.check_integer(a, 2)?;
    let f = check_function(st, a, 1)?;
    let v = st.arg(a, 3);
    match find_upvalue(f, n) {
        None => Ok(Ret::Values(0)),
        Some((uv, name)) => {
            uv.get_mut().set(v);
            st.push_str(name.as_bytes());
            Ok(Ret::Values(1))
        }
    }
}

/// `checkupval`: the upvalue `(f, n)` at arguments `argf`, `argf + 1`.
fn check_upval(st: &mut State, a: Args, argf: usize) -> LResult<Gc<UpVal>> {
    let f = check_function(st, a, argf)?;
    let n = st.check_integer(a, argf + 1)?;
    match find_upvalue(f, n) {
        Some((uv, _)) => Ok(uv),
        None => Err(st.arg_error(argf + 1, "invalid upvalue index")),
    }
}

fn upvalueid(st: &mut State, a: Args) -> LResult<Ret> {
    let uv = check_upval(st, a, 1)?;
    st.push(Value::LightUserData(uv.addr()));
    Ok(Ret::Values(1))
}

fn upvaluejoin(st: &mut State, a: Args) -> LResult<Ret> {
    check_upval(st, a, 1)?;
    let target = check_upval(st, a, 3)?;
    for i in [1, 3] {
        if !matches!(st.arg(a, i), Value::LFn(_)) {
            return Err(st.arg_error(i, "Lua function expected"));
        }
    }
    // Both checked above: argument 1 is a Lua function and argument 2 a valid index.
    let n1 = st.check_integer(a, 2)? - 1;
    if let Value::LFn(cl) = st.arg(a, 1) {
        if let Some(slot) = cl.get_mut().upvals.get_mut(n1 as usize) {
            *slot = target;
        }
    }
    Ok(Ret::Values(0))
}

// ----- metatables, registry, user values -----

fn getmetatable(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.check_any(a, 1)?;
    let mt = st.metatable(&v).map(Value::Table).unwrap_or(Value::Nil);
    st.push(mt);
    Ok(Ret::Values(1))
}

fn setmetatable(st: &mut State, a: Args) -> LResult<Ret> {
    // Writes objects a shared image may hold: own them first (image.rs).
    st.own_image();
    let v = st.arg(a, 1);
    let mt = match st.arg(a, 2) {
        Value::Nil => None,
        Value::Table(t) => Some(t),
        _ => return Err(st.arg_error(2, "nil or table expected")),
    };
    let has_gc = mt.is_some_and(|m| !m.get_str(st.tm_names[TM::Gc as usize]).is_nil());
    match v {
        Value::Table(t) => t.get_mut().meta = mt,
        Value::UserData(u) => u.get_mut().meta = mt,
        other => crate::state::TypeMetas::set(&mut st.type_meta, other.type_of() as usize, mt),
    }
    if has_gc && matches!(v, Value::Table(_) | Value::UserData(_)) {
        st.heap.register_finalizer(v);
    }
    st.set_top(a.base + 1);
    Ok(Ret::Values(1))
}

fn getregistry(st: &mut State, _a: Args) -> LResult<Ret> {
    // The caller may write it, and `registry[1]` must be this state's main thread.
    st.own_image();
    let r = st.registry;
    st.push(Value::Table(r));
    Ok(Ret::Values(1))
}

fn getuservalue(st: &mut State, a: Args) -> LResult<Ret> {
    let v = match st.arg(a, 1) {
        Value::UserData(u) => u.user_value,
        _ => Value::Nil,
    };
    st.push(v);
    Ok(Ret::Values(1))
}

fn setuservalue(st: &mut State, a: Args) -> LResult<Ret> {
    // Writes objects a shared image may hold: own them first (image.rs).
    st.own_image();
    if let Value::LightUserData(_) = st.arg(a, 1) {
        return Err(st.arg_error(1, "full userdata expected, got light userdata"));
    }
    let Value::UserData(u) = st.arg(a, 1) else {
        return Err(st.arg_type_error(a, 1, "userdata"));
    };
    let v = st.arg(a, 2);
    if !matches!(v, Value::Nil | Value::Table(_)) {
        return Err(st.arg_type_error(a, 2, "table"));
    }
    u.get_mut().user_value = v;
    st.set_top(a.base + 1);
    Ok(Ret::Values(1))
}

// ----- threads and levels -----

/// `getthread`: an optional thread first argument; returns it and the argument offset.
fn get_thread(st: &State, a: Args) -> (Gc<Thread>, usize) {
    match st.arg(a, 1) {
        Value::Thread(t) => (t, 1),
        _ => (st.cur, 0),
    }
}

/// Frame index of `level` in `th` (0 = the running function), if it exists.
fn level_index(th: Gc<Thread>, level: i64) -> Option<usize> {
    let n = th.frames.len() as i64;
    (0..n).contains(&level).then(|| (n - 1 - level) as usize)
}

fn frame_func(th: &Thread, idx: usize) -> Value {
    match &th.frames[idx].kind {
        FrameKind::Lua(cl) => Value::LFn(*cl),
        FrameKind::Native(nc) => Value::NFn(*nc),
    }
}

// ----- getinfo -----

/// Debug information of a function value (what `lua_getinfo` with '>' gives).
fn function_info(f: Value) -> FrameInfo {
    let mut info = FrameInfo {
        current_line: -1,
        namewhat: "",
        ..Default::default()
    };
    match f {
        Value::LFn(cl) => crate::debug_info::fill_lua_function(&mut info, &cl),
        _ => {
            info.source = "=[C]".into();
            info.short_src = "[C]".into();
            info.line_defined = -1;
            info.last_line_defined = -1;
            info.what = "C";
            // A native's upvalues are private (module docs): none to report.
            info.nups = 0;
            info.is_vararg = true;
        }
    }
    info
}

fn set_str(st: &mut State, t: Gc<Table>, k: &str, v: &str) {
    let v = st.new_str(v.as_bytes());
    st.set_field(t, k, v);
}

fn set_num(st: &mut State, t: Gc<Table>, k: &str, v: i64) {
    st.set_field(t, k, Value::Num(v as f64));
}

/// The `activelines` table of a function: nil for natives.
fn active_lines(st: &mut State, f: Value) -> Value {
    let Value::LFn(cl) = f else { return Value::Nil };
    let t = st.new_table();
    for &line in cl.p.proto.line_info.iter() {
        t.get_mut().set_int(line as i64, Value::Bool(true));
    }
    Value::Table(t)
}

/// Fills the `getinfo` result table for the options in `opts`.
fn info_table(st: &mut State, info: &FrameInfo, f: Value, opts: &[u8]) -> Gc<Table> {
    let t = st.new_table_with(0, 2);
    if opts.contains(&b'S') {
        set_str(st, t, "source", &info.source);
        set_str(st, t, "short_src", &info.short_src);
        set_num(st, t, "linedefined", info.line_defined);
        set_num(st, t, "lastlinedefined", info.last_line_defined);
        set_str(st, t, "what", info.what);
    }
    if opts.contains(&b'l') {
        set_num(st, t, "currentline", info.current_line);
    }
    if opts.contains(&b'u') {
        set_num(st, t, "nups", info.nups as i64);
        set_num(st, t, "nparams", info.nparams as i64);
        st.set_field(t, "isvararg", Value::Bool(info.is_vararg));
    }
    if opts.contains(&b'n') {
        if let Some(name) = &info.name {
            set_str(st, t, "name", name);
        }
        set_str(st, t, "namewhat", info.namewhat);
    }
    if opts.contains(&b't') {
        st.set_field(t, "istailcall", Value::Bool(info.is_tail_call));
    }
    if opts.contains(&b'L') {
        let l = active_lines(st, f);
        st.set_field(t, "activelines", l);
    }
    if opts.contains(&b'f') {
        st.set_field(t, "func", f);
    }
    t
}

fn getinfo(st: &mut State, a: Args) -> LResult<Ret> {
    let (th, arg) = get_thread(st, a);
    let opts = match st.opt_str(a, arg + 2)? {
        Some(s) => s.as_bytes().to_vec(),
        None => b"flnStu".to_vec(),
    };
    let target = st.arg(a, arg + 1);
    let (info, f) = if target.is_function() {
        (function_info(target), target)
    } else if let Some(level) = State::to_num_coerce(&target) {
        let Some(idx) = level_index(th, super::num_to_int(level)) else {
            st.push(Value::Nil);
            return Ok(Ret::Values(1));
        };
        (
            st.frame_info_at(&th.frames, idx),
            frame_func(th.get_mut(), idx),
        )
    } else {
        return Err(st.arg_error(arg + 1, "function or level expected"));
    };
    if opts.iter().any(|c| !b"SlnutLf".contains(c))
        || (target.is_function() && opts.first() == Some(&b'>'))
    {
        return Err(st.arg_error(arg + 2, "invalid option"));
    }
    let t = info_table(st, &info, f, &opts);
    st.push(Value::Table(t));
    Ok(Ret::Values(1))
}

// ----- locals -----

/// Stack slot and name of local `n` of the frame at `idx` (`findlocal`).
fn find_local(th: &Thread, idx: usize, n: i64) -> Option<(usize, String)> {
    let f: &Frame = &th.frames[idx];
    if let FrameKind::Lua(cl) = &f.kind {
        let p = &cl.p.proto;
        if n < 0 {
            let k = n.unsigned_abs() as usize;
            let nparams = p.num_params as usize;
            return (k < f.base - f.func - nparams)
                .then(|| (f.func + nparams + k, "(*vararg)".to_string()));
        }
        let pc = f.pc.saturating_sub(1) as u32;
        if let Some(name) = u32::try_from(n).ok().and_then(|k| p.local_name(k, pc)) {
            return Some((f.base + n as usize - 1, name.to_string()));
        }
    }
    let limit = match th.frames.get(idx + 1) {
        Some(next) => next.func,
        None => th.top,
    };
    let base = f.base;
    (n > 0 && limit.saturating_sub(base) as i64 >= n)
        .then(|| (base + n as usize - 1, "(*temporary)".to_string()))
}

/// The level argument as a frame index, or "level out of range".
fn check_level(st: &mut State, a: Args, th: Gc<Thread>, arg: usize) -> LResult<usize> {
    let level = st.check_integer(a, arg)?;
    match level_index(th, level) {
        Some(i) => Ok(i),
        None => Err(st.arg_error(arg, "level out of range")),
    }
}

fn getlocal(st: &mut State, a: Args) -> LResult<Ret> {
    let (th, arg) = get_thread(st, a);
    let n = st.check_integer(a, arg + 2)?;
    let target = st.arg(a, arg + 1);
    if target.is_function() {
        let name = match target {
            Value::LFn(cl) => u32::try_from(n)
                .ok()
                .and_then(|k| cl.p.proto.local_name(k, 0))
                .map(|s| s.to_string()),
            _ => None,
        };
        match name {
            Some(s) => st.push_str(s.as_bytes()),
            None => st.push(Value::Nil),
        }
        return Ok(Ret::Values(1));
    }
    let idx = check_level(st, a, th, arg + 1)?;
    match find_local(th.get_mut(), idx, n) {
        Some((slot, name)) => {
            st.push_str(name.as_bytes());
            st.push(th.stack[slot]);
            Ok(Ret::Values(2))
        }
        None => {
            st.push(Value::Nil);
            Ok(Ret::Values(1))
        }
    }
}

fn setlocal(st: &mut State, a: Args) -> LResult<Ret> {
    let (th, arg) = get_thread(st, a);
    let idx = check_level(st, a, th, arg + 1)?;
    let v = st.check_any(a, arg + 3)?;
    let n = st.check_integer(a, arg + 2)?;
    match find_local(th.get_mut(), idx, n) {
        Some((slot, name)) => {
            th.get_mut().stack[slot] = v;
            st.push_str(name.as_bytes());
        }
        None => st.push(Value::Nil),
    }
    Ok(Ret::Values(1))
}

// ----- traceback -----

fn traceback(st: &mut State, a: Args) -> LResult<Ret> {
    let (th, arg) = get_thread(st, a);
    let msg = st.arg(a, arg + 1);
    let text = st.coerce_to_str(&msg);
    if text.is_none() && !msg.is_nil() {
        st.push(msg);
        return Ok(Ret::Values(1));
    }
    let default_level = if th.ptr_eq(st.cur) { 1 } else { 0 };
    let level = st.opt_integer(a, arg + 2, default_level)?;
    let mut out = Vec::new();
    if let Some(s) = text {
        out.extend_from_slice(s.as_bytes());
        out.push(b'\n');
    }
    let tb = if level < 0 {
        "stack traceback:".to_string()
    } else {
        st.traceback_of(&th.frames, level as usize)
    };
    out.extend_from_slice(tb.as_bytes());
    let v = st.new_string(out);
    st.push(v);
    Ok(Ret::Values(1))
}

// ----- hooks -----

/// `debug.sethook([thread,] hook, mask [, count])`; no hook (or none at all) turns the
/// thread's hooks off. The hook is called by the VM (`vm/hook.rs`).
fn sethook(st: &mut State, a: Args) -> LResult<Ret> {
    let (th, arg) = get_thread(st, a);
    let f = st.arg(a, arg + 1);
    let (mask, count) = if f.is_nil() {
        (0, 0)
    } else {
        let smask = st.check_str(a, arg + 2)?.as_bytes().to_vec();
        if !f.is_function() {
            return Err(st.arg_type_error(a, arg + 1, "function"));
        }
        // `luaL_optint`: a C int.
        let count = st.opt_integer(a, arg + 3, 0)? as i32;
        (crate::vm::hook::make_mask(&smask, count as i64), count)
    };
    st.set_hook(th, f, mask, count);
    Ok(Ret::Values(0))
}

fn gethook(st: &mut State, a: Args) -> LResult<Ret> {
    let (th, _) = get_thread(st, a);
    st.push(th.hooks().hook);
    let m = crate::vm::hook::unmake_mask(th.hooks().mask);
    let m = st.new_string(m);
    st.push(m);
    st.push(Value::Num(th.hooks().base_count as f64));
    Ok(Ret::Values(3))
}

// ----- debug.debug -----

/// `debug.debug()`: reads lines from standard input and runs them until "cont".
fn debug(st: &mut State, _a: Args) -> LResult<Ret> {
    debug_loop(st)
}

fn debug_loop(st: &mut State) -> LResult<Ret> {
    use std::io::Write;
    loop {
        let _ = st.stdout.flush();
        let _ = std::io::stderr().write_all(b"lua_debug> ");
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => return Ok(Ret::Values(0)),
            Ok(_) => {}
        }
        if line == "cont\n" || line == "cont" {
            return Ok(Ret::Values(0));
        }
        match super::base::load_source(st, line.as_bytes(), "=(debug command)", b"t") {
            Ok(f) => {
                st.push(f);
                let mut cont = Cont::new(debug_k, 0);
                cont.protected = true;
                return Ok(Ret::Call {
                    nargs: 0,
                    nresults: 0,
                    cont,
                });
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "{}", e.message);
            }
        }
    }
}

fn debug_k(st: &mut State, status: Status, _cont: &mut Cont) -> LResult<Ret> {
    if let Status::Err(e) = status {
        use std::io::Write;
        let msg = st
            .coerce_to_str(&e)
            .map(|s| s.to_str_lossy().into_owned())
            .unwrap_or_else(|| "(error object is not a string)".into());
        let _ = writeln!(std::io::stderr(), "{msg}");
    }
    let base = st.cur.frames.last().map(|f| f.base).unwrap_or(0);
    st.set_top(base);
    debug_loop(st)
}
