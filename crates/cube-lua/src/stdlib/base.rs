//! The base library (`print`, `pcall`, `load`, `setmetatable`, ...).

use crate::state::{Args, LResult, Ret, State};
use crate::thread::{Cont, Status, MASK_CALL, MASK_RET};
use crate::tm::TM;
use crate::value::Value;
use std::io::Write;

pub fn open(st: &mut State) {
    let g = st.globals;
    st.set_global("_G", Value::Table(g));
    let v = st.new_str(b"Lua 5.2");
    st.set_global("_VERSION", v);
    st.register(
        g,
        &[
            ("assert", assert),
            ("collectgarbage", collectgarbage),
            ("dofile", dofile),
            ("error", error),
            ("getmetatable", getmetatable),
            ("load", load),
            ("loadfile", loadfile),
            ("loadstring", load),
            ("next", next),
            ("pcall", pcall),
            ("print", print),
            ("rawequal", rawequal),
            ("rawget", rawget),
            ("rawlen", rawlen),
            ("rawset", rawset),
            ("select", select),
            ("setmetatable", setmetatable),
            ("tonumber", tonumber),
            ("tostring", tostring),
            ("type", type_),
            ("unpack", unpack),
            ("xpcall", xpcall),
        ],
    );
    // pairs/ipairs return shared iterator functions, kept as their upvalues.
    let next_fn = st.get_global("next");
    let pairs_fn = st.new_native("pairs", pairs, vec![next_fn]);
    st.set_global("pairs", pairs_fn);
    let iaux = st.new_native("ipairs_aux", ipairs_aux, vec![]);
    let ipairs_fn = st.new_native("ipairs", ipairs, vec![iaux]);
    st.set_global("ipairs", ipairs_fn);
    let loaded = st.loaded_table();
    st.set_field(loaded, "_G", Value::Table(g));
}

fn assert(st: &mut State, a: Args) -> LResult<Ret> {
    // 5.2.4 does not check that an argument exists: assert() fails like assert(nil).
    if st.arg(a, 1).truthy() {
        return Ok(Ret::Values(a.len));
    }
    let msg = match st.opt_str(a, 2)? {
        Some(s) => s.to_str_lossy().into_owned(),
        None => "assertion failed!".to_string(),
    };
    Err(st.rt_error(&msg))
}

fn collectgarbage(st: &mut State, a: Args) -> LResult<Ret> {
    const OPTS: [&str; 9] = [
        "stop",
        "restart",
        "collect",
        "count",
        "step",
        "setpause",
        "setstepmul",
        "isrunning",
        "generational",
    ];
    let opt = st.check_option(a, 1, Some("collect"), &{
        let mut o = OPTS.to_vec();
        o.push("incremental");
        o
    })?;
    let ex = st.opt_integer(a, 2, 0)?;
    match opt {
        0 => {
            st.heap.stop();
            st.push(Value::Num(0.0));
        }
        1 => {
            st.heap.restart();
            st.push(Value::Num(0.0));
        }
        2 => {
            st.full_gc();
            st.run_finalizers()?;
            st.push(Value::Num(0.0));
        }
        4 => {
            // The collector is not incremental; a "step" pays for `size` KB of work (one
            // basic step of 1 KB when 0) and the full cycle runs once the steps have paid
            // for the whole heap, so step counts behave as with PUC's incremental steps.
            // (Saturating: `size` and `setstepmul` are the program's numbers.)
            let unit = if ex <= 0 {
                1024
            } else {
                (ex as usize).saturating_mul(1024)
            };
            let credit = unit.saturating_mul(st.heap.stepmul().max(1)) / 100;
            let total = st.heap.total_bytes();
            let paid = st.heap.step_credit();
            *paid = paid.saturating_add(credit);
            let done = *paid >= total;
            if done {
                *paid = 0;
                st.full_gc();
                st.run_finalizers()?;
            }
            st.push(Value::Bool(done));
        }
        3 => {
            let b = st.heap.total_bytes();
            st.push(Value::Num(b as f64 / 1024.0));
            st.push(Value::Num((b % 1024) as f64));
            return Ok(Ret::Values(2));
        }
        5 => {
            let old = st.heap.set_pause(ex.max(0) as usize);
            st.push(Value::Num(old as f64));
        }
        6 => {
            let old = st.heap.set_stepmul(ex.max(0) as usize);
            st.push(Value::Num(old as f64));
        }
        7 => {
            let r = st.heap.is_running();
            st.push(Value::Bool(r));
        }
        _ => st.push(Value::Num(0.0)),
    }
    Ok(Ret::Values(1))
}

fn error(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.arg(a, 1);
    let level = st.opt_integer(a, 2, 1)?;
    // Numbers count as strings here (lua_isstring), so they get a position too.
    if let Some(s) = st.coerce_to_str(&v) {
        if level > 0 {
            let w = st.where_(level as usize);
            if !w.is_empty() {
                let mut m = w.into_bytes();
                m.extend_from_slice(s.as_bytes());
                return Err(st.new_string(m));
            }
        }
    }
    Err(v)
}

fn getmetatable(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.check_any(a, 1)?;
    match st.metatable(&v) {
        None => st.push(Value::Nil),
        Some(mt) => {
            let protected = mt.get_str(st.tm_names[TM::Metatable as usize]);
            st.push(if protected.is_nil() {
                Value::Table(mt)
            } else {
                protected
            });
        }
    }
    Ok(Ret::Values(1))
}

fn setmetatable(st: &mut State, a: Args) -> LResult<Ret> {
    let t = st.check_table(a, 1)?;
    // Before reading the other arguments: copying an image re-points the stack.
    let t = st.unshare(t);
    let mt = match st.arg(a, 2) {
        Value::Nil if a.len >= 2 => None,
        Value::Table(m) => Some(m),
        _ => return Err(st.arg_error(2, "nil or table expected")),
    };
    if let Some(old) = t.meta {
        if !old.get_str(st.tm_names[TM::Metatable as usize]).is_nil() {
            return Err(st.rt_error("cannot change a protected metatable"));
        }
    }
    t.get_mut().meta = mt;
    if let Some(m) = mt {
        if !m.get_str(st.tm_names[TM::Gc as usize]).is_nil() {
            st.heap.register_finalizer(Value::Table(t));
        }
    }
    st.push(Value::Table(t));
    Ok(Ret::Values(1))
}

fn next(st: &mut State, a: Args) -> LResult<Ret> {
    let t = st.check_table(a, 1)?;
    let k = st.arg(a, 2);
    match t.next(&k) {
        Ok(Some((k, v))) => {
            st.push(k);
            st.push(v);
            Ok(Ret::Values(2))
        }
        Ok(None) => {
            st.push(Value::Nil);
            Ok(Ret::Values(1))
        }
        Err(_) => Err(st.vm_error("invalid key to 'next'")),
    }
}

/// Keeps the first `ctx` results of the call (for `__pairs` / `__ipairs`).
fn truncate_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, n } = status else {
        unreachable!("unprotected continuation got an error");
    };
    let want = cont.ctx;
    st.set_top(first + n.min(want));
    for _ in n..want {
        st.push(Value::Nil);
    }
    Ok(Ret::Values(want))
}

fn pairs_like(st: &mut State, a: Args, tm: TM, iter: Value, init: Value) -> LResult<Ret> {
    let t = st.arg(a, 1);
    if let Some(mm) = st.tm_of_value(&t, tm) {
        st.push(mm);
        st.push(t);
        return Ok(Ret::Call {
            nargs: 1,
            nresults: 3,
            cont: Cont::new(truncate_k, 3),
        });
    }
    if !matches!(t, Value::Table(_)) {
        return Err(st.arg_type_error(a, 1, "table"));
    }
    st.push(iter);
    st.push(t);
    st.push(init);
    Ok(Ret::Values(3))
}

fn pairs(st: &mut State, a: Args) -> LResult<Ret> {
    let next = st.upvalue(0);
    pairs_like(st, a, TM::Pairs, next, Value::Nil)
}

fn ipairs(st: &mut State, a: Args) -> LResult<Ret> {
    let aux = st.upvalue(0);
    pairs_like(st, a, TM::Ipairs, aux, Value::Num(0.0))
}

fn ipairs_aux(st: &mut State, a: Args) -> LResult<Ret> {
    let i = st.check_integer(a, 2)? + 1;
    let t = st.check_table(a, 1)?;
    let v = t.get_int(i);
    if v.is_nil() {
        st.push(Value::Nil);
        return Ok(Ret::Values(1));
    }
    st.push(Value::Num(i as f64));
    st.push(v);
    Ok(Ret::Values(2))
}

/// The continuation of pcall (and of coroutine.resume, which reports the same way):
/// `true` followed by the results, or `false` and the error.
pub(crate) fn pcall_k(st: &mut State, status: Status, _cont: &mut Cont) -> LResult<Ret> {
    match status {
        Status::Ok { first, n } => {
            st.check_stack(1)?;
            let th = st.thread();
            th.stack.copy_within(first..first + n, first + 1);
            th.stack[first] = Value::Bool(true);
            th.top = first + n + 1;
            Ok(Ret::Values(n + 1))
        }
        Status::Err(e) => {
            st.push(Value::Bool(false));
            st.push(e);
            Ok(Ret::Values(2))
        }
    }
}

fn pcall(st: &mut State, a: Args) -> LResult<Ret> {
    st.check_any(a, 1)?;
    let mut cont = Cont::new(pcall_k, 0);
    cont.protected = true;
    Ok(Ret::Call {
        nargs: a.len - 1,
        nresults: -1,
        cont,
    })
}

fn xpcall_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let slot = cont.ctx;
    match status {
        Status::Ok { first, n } => {
            // Results follow the handler slot, which becomes `true`.
            let th = st.thread();
            th.stack[slot] = Value::Bool(true);
            th.stack.copy_within(first..first + n, slot + 1);
            th.top = slot + 1 + n;
            Ok(Ret::Values(n + 1))
        }
        Status::Err(e) => {
            st.set_top(slot);
            st.push(Value::Bool(false));
            st.push(e);
            Ok(Ret::Values(2))
        }
    }
}

fn xpcall(st: &mut State, a: Args) -> LResult<Ret> {
    if a.len < 2 {
        return Err(st.arg_error(2, "value expected"));
    }
    // Swap so the handler sits below the function: [handler, f, args...].
    let f = st.arg(a, 1);
    let h = st.arg(a, 2);
    st.set_stack(a.base, h);
    st.set_stack(a.base + 1, f);
    let mut cont = Cont::new(xpcall_k, a.base);
    cont.protected = true;
    cont.handler = Some(a.base);
    Ok(Ret::Call {
        nargs: a.len - 2,
        nresults: -1,
        cont,
    })
}

/// Converts a value for `print`/`tostring` when no metamethod is involved.
pub(crate) fn tostring_basic(st: &mut State, v: &Value) -> Value {
    match v {
        Value::Str(_) => *v,
        Value::Num(_) => Value::Str(st.coerce_to_str(v).expect("number")),
        Value::Nil => st.new_str(b"nil"),
        Value::Bool(b) => st.new_str(if *b { b"true" } else { b"false" }),
        other => {
            let s = format!("{}: {:#x}", other.type_name(), other.addr());
            st.new_str(s.as_bytes())
        }
    }
}

fn tostring_k(st: &mut State, status: Status, _cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, n } = status else {
        unreachable!("unprotected continuation got an error");
    };
    let v = st.first_result(first, n);
    // 5.2 returns whatever `__tostring` returned (only `print` insists on a string).
    st.set_top(first);
    st.push(v);
    Ok(Ret::Values(1))
}

fn tostring(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.check_any(a, 1)?;
    if let Some(tm) = st.tm_of_value(&v, TM::Tostring) {
        st.push(tm);
        st.push(v);
        return Ok(Ret::Call {
            nargs: 1,
            nresults: 1,
            cont: Cont::new(tostring_k, 0),
        });
    }
    let s = tostring_basic(st, &v);
    st.push(s);
    Ok(Ret::Values(1))
}

fn write_out(st: &mut State, bytes: &[u8]) {
    let _ = st.stdout.write_all(bytes);
}

/// Prints arguments from index `from` (1-based) on; calls `tostring` through the VM
/// when the global `tostring` is not the built-in one, a value has `__tostring`, or a
/// call or return hook is set (PUC's `print` calls the global `tostring` for every
/// argument through `lua_call`, and a hook sees those calls).
fn print_from(st: &mut State, a: Args, from: usize) -> LResult<Ret> {
    let ts = st.get_global("tostring");
    let hooked = st.cur.hook_on & (MASK_CALL | MASK_RET) != 0;
    let direct = !hooked
        && matches!(ts, Value::NFn(nc) if std::ptr::eq(nc.f as *const (), tostring as *const ()));
    // The line is gathered and written at once, so lines printed by processes
    // running on other schedulers at the same moment never interleave inside a line.
    let mut line: Vec<u8> = Vec::new();
    for i in from..=a.len {
        let v = st.arg(a, i);
        if i > 1 {
            line.push(b'\t');
        }
        let simple = direct && st.tm_of_value(&v, TM::Tostring).is_none();
        if simple {
            match v {
                Value::Str(s) => line.extend_from_slice(s.as_bytes()),
                Value::Num(n) => crate::text::number::write_number(&mut line, n),
                _ => {
                    let s = tostring_basic(st, &v);
                    if let Value::Str(s) = s {
                        line.extend_from_slice(s.as_bytes());
                    }
                }
            }
        } else {
            // `tostring` runs Lua code, which may write too: what came before it
            // goes out first, as PUC's `print` writes each piece as it goes.
            if !line.is_empty() {
                write_out(st, &line);
            }
            st.set_top(a.base + a.len);
            st.push(ts);
            st.push(v);
            return Ok(Ret::Call {
                nargs: 1,
                nresults: 1,
                cont: Cont::new(print_k, i),
            });
        }
    }
    line.push(b'\n');
    write_out(st, &line);
    Ok(Ret::Values(0))
}

fn print_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, n } = status else {
        unreachable!("unprotected continuation got an error");
    };
    let v = st.first_result(first, n);
    match v {
        Value::Str(s) => write_out(st, s.as_bytes()),
        Value::Num(x) => {
            let mut buf = Vec::new();
            crate::text::number::write_number(&mut buf, x);
            write_out(st, &buf);
        }
        _ => return Err(st.rt_error("'tostring' must return a string to 'print'")),
    }
    let frame = st.cur.frames.last().expect("print frame");
    let a = Args {
        base: frame.base,
        len: first - frame.base,
    };
    let next = cont.ctx + 1;
    if next > a.len {
        write_out(st, b"\n");
        return Ok(Ret::Values(0));
    }
    print_from(st, a, next)
}

fn print(st: &mut State, a: Args) -> LResult<Ret> {
    print_from(st, a, 1)
}

fn rawequal(st: &mut State, a: Args) -> LResult<Ret> {
    let x = st.check_any(a, 1)?;
    let y = st.check_any(a, 2)?;
    st.push(Value::Bool(x.raw_eq(&y)));
    Ok(Ret::Values(1))
}

fn rawget(st: &mut State, a: Args) -> LResult<Ret> {
    let t = st.check_table(a, 1)?;
    let k = st.check_any(a, 2)?;
    st.push(t.get(&k));
    Ok(Ret::Values(1))
}

fn rawset(st: &mut State, a: Args) -> LResult<Ret> {
    let t = st.check_table(a, 1)?;
    let t = st.unshare(t);
    let k = st.check_any(a, 2)?;
    let v = st.check_any(a, 3)?;
    if let Err(e) = t.get_mut().set(k, v) {
        return Err(st.rt_error(e.message()));
    }
    st.push(Value::Table(t));
    Ok(Ret::Values(1))
}

fn rawlen(st: &mut State, a: Args) -> LResult<Ret> {
    let n = match st.arg(a, 1) {
        Value::Table(t) => t.length(),
        Value::Str(s) => s.len(),
        _ => return Err(st.arg_error(1, "table or string expected")),
    };
    st.push(Value::Num(n as f64));
    Ok(Ret::Values(1))
}

fn select(st: &mut State, a: Args) -> LResult<Ret> {
    let n = a.len as i64;
    if let Value::Str(s) = st.arg(a, 1) {
        if s.as_bytes() == b"#" {
            st.push(Value::Num((n - 1) as f64));
            return Ok(Ret::Values(1));
        }
    }
    let mut i = st.check_integer(a, 1)?;
    if i < 0 {
        i += n;
    } else if i > n {
        i = n;
    }
    if i < 1 {
        return Err(st.arg_error(1, "index out of range"));
    }
    Ok(Ret::Values((n - i) as usize))
}

fn tonumber(st: &mut State, a: Args) -> LResult<Ret> {
    if st.arg(a, 2).is_nil() {
        let v = st.check_any(a, 1)?;
        let r = State::to_num_coerce(&v)
            .map(Value::Num)
            .unwrap_or(Value::Nil);
        st.push(r);
        return Ok(Ret::Values(1));
    }
    let base = st.check_integer(a, 2)?;
    let s = st.check_str(a, 1)?;
    if !(2..=36).contains(&base) {
        return Err(st.arg_error(2, "base out of range"));
    }
    let r = crate::text::number::str_to_number_base(s.as_bytes(), base as u32)
        .map(Value::Num)
        .unwrap_or(Value::Nil);
    st.push(r);
    Ok(Ret::Values(1))
}

fn type_(st: &mut State, a: Args) -> LResult<Ret> {
    let v = st.check_any(a, 1)?;
    let name = v.type_name();
    st.push_str(name.as_bytes());
    Ok(Ret::Values(1))
}

fn unpack(st: &mut State, a: Args) -> LResult<Ret> {
    let t = st.check_table(a, 1)?;
    let i = st.opt_integer(a, 2, 1)?;
    let e = if st.arg(a, 3).is_nil() {
        t.length() as i64
    } else {
        st.check_integer(a, 3)?
    };
    if i > e {
        return Ok(Ret::Values(0));
    }
    let n = (e as i128 - i as i128 + 1) as u128;
    if n >= (crate::thread::MAX_STACK as u128) {
        return Err(st.rt_error("too many results to unpack"));
    }
    st.charge(n as u64)?;
    st.reserve(n as usize * std::mem::size_of::<Value>())?;
    if st.check_stack(n as usize).is_err() {
        return Err(st.rt_error("too many results to unpack"));
    }
    for k in i..=e {
        let v = t.get_int(k);
        st.push(v);
    }
    Ok(Ret::Values(n as usize))
}

// ----- loading -----

/// Result of compiling for `load`-like functions: the function, or (nil, message).
fn push_load_result(
    st: &mut State,
    r: Result<Value, crate::SyntaxError>,
    env: Option<Value>,
) -> Ret {
    match r {
        Ok(f) => {
            if let (Some(env), Value::LFn(cl)) = (env, f) {
                if let Some(uv) = cl.upvals.first() {
                    uv.get_mut().state = crate::value::UpState::Closed(env);
                }
            }
            st.push(f);
            Ret::Values(1)
        }
        Err(e) => {
            st.push(Value::Nil);
            st.push_str(e.message.as_bytes());
            Ret::Values(2)
        }
    }
}

/// Checks the `mode` argument of `load` against the kind of chunk.
fn check_mode(mode: &[u8], binary: bool) -> Result<(), String> {
    let (want, kind) = if binary {
        (b'b', "binary")
    } else {
        (b't', "text")
    };
    if mode.contains(&want) {
        Ok(())
    } else {
        Err(format!(
            "attempt to load a {kind} chunk (mode is '{}')",
            String::from_utf8_lossy(mode)
        ))
    }
}

use crate::load::COMPILE_BYTES_PER_SOURCE_BYTE;

/// Source bytes compiled per reduction charged.
const LOAD_BYTES_PER_REDUCTION: u64 = 8;

/// Reserves and charges the compilation of `len` bytes of source, before it starts (a
/// program cannot make `load` allocate past its heap limit or compile for free).
fn prepare_load(st: &mut State, len: usize) -> LResult<()> {
    st.reserve(len.saturating_mul(COMPILE_BYTES_PER_SOURCE_BYTE))?;
    st.charge(1 + len as u64 / LOAD_BYTES_PER_REDUCTION)
}

/// Compiles a complete chunk for `load`/`loadfile`.
pub(crate) fn load_source(
    st: &mut State,
    src: &[u8],
    chunkname: &str,
    mode: &[u8],
) -> Result<Value, crate::SyntaxError> {
    let binary = src.first() == Some(&0x1b);
    let mode: &[u8] = if st.binary_chunks_allowed { mode } else { b"t" };
    check_mode(mode, binary).map_err(|m| crate::SyntaxError { message: m })?;
    if binary {
        let proto =
            crate::dump::undump(src, chunkname).map_err(|m| crate::SyntaxError { message: m })?;
        let env = Value::Table(st.globals);
        return Ok(st.closure_of(proto, env));
    }
    st.load_chunk(src, chunkname)
}

struct ReaderState {
    buf: Vec<u8>,
    chunkname: String,
    mode: Vec<u8>,
    has_env: bool,
}

fn load_reader_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    // The reader runs protected: its errors make `load` return nil and the message.
    let (first, n) = match status {
        Status::Ok { first, n } => (first, n),
        Status::Err(e) => {
            st.push(Value::Nil);
            st.push(e);
            return Ok(Ret::Values(2));
        }
    };
    let piece = st.first_result(first, n);
    // Reserved before anything changes (this continuation runs again with the same
    // piece after an emergency collection): the source so far, this piece, and, at the
    // end, what compiling the source takes.
    let buffered = cont
        .data
        .as_ref()
        .and_then(|d| d.downcast_ref::<ReaderState>())
        .map_or(0, |r| r.buf.len());
    match piece {
        Value::Str(s) => st.reserve(buffered + s.len())?,
        Value::Nil => prepare_load(st, buffered)?,
        _ => {}
    }
    let frame_base = st.cur.frames.last().expect("load frame").base;
    st.set_top(first);
    match piece {
        Value::Nil => {}
        Value::Str(s) if s.is_empty() => {}
        Value::Str(_) | Value::Num(_) => {
            let s = st.coerce_to_str(&piece).expect("string or number");
            let rs = cont
                .data
                .as_mut()
                .and_then(|d| d.downcast_mut::<ReaderState>())
                .expect("reader state");
            rs.buf.extend_from_slice(s.as_bytes());
            let reader = st.stack_at(frame_base);
            st.push(reader);
            let data = cont.data.take();
            let mut c = Cont::new(load_reader_k, 0);
            c.protected = true;
            c.data = data;
            return Ok(Ret::Call {
                nargs: 0,
                nresults: 1,
                cont: c,
            });
        }
        _ => {
            st.push(Value::Nil);
            st.push_str(b"reader function must return a string");
            return Ok(Ret::Values(2));
        }
    }
    let rs = cont
        .data
        .take()
        .and_then(|d| d.downcast::<ReaderState>().ok())
        .expect("reader state");
    let env = if rs.has_env {
        Some(st.stack_at(frame_base + 3))
    } else {
        None
    };
    let r = load_source(st, &rs.buf, &rs.chunkname, &rs.mode);
    Ok(push_load_result(st, r, env))
}

fn load(st: &mut State, a: Args) -> LResult<Ret> {
    let chunk = st.arg(a, 1);
    let mode = match st.opt_str(a, 3)? {
        Some(m) => m.as_bytes().to_vec(),
        None => b"bt".to_vec(),
    };
    let has_env = a.len >= 4;
    let env = if has_env { Some(st.arg(a, 4)) } else { None };
    match chunk {
        Value::Str(s) => {
            let name = match st.opt_str(a, 2)? {
                Some(n) => n.to_str_lossy().into_owned(),
                None => s.to_str_lossy().into_owned(),
            };
            prepare_load(st, s.len())?;
            let r = load_source(st, s.as_bytes(), &name, &mode);
            Ok(push_load_result(st, r, env))
        }
        Value::Num(_) => {
            let s = st.check_str(a, 1)?;
            let name = s.to_str_lossy().into_owned();
            prepare_load(st, s.len())?;
            let r = load_source(st, s.as_bytes(), &name, &mode);
            Ok(push_load_result(st, r, env))
        }
        Value::LFn(_) | Value::NFn(_) => {
            let name = match st.opt_str(a, 2)? {
                Some(n) => n.to_str_lossy().into_owned(),
                None => "=(load)".to_string(),
            };
            // Keep the arguments in place (reader at base, env at base+3).
            st.set_top(a.base + 4.max(a.len));
            st.push(chunk);
            let mut c = Cont::new(load_reader_k, 0);
            c.protected = true;
            c.data = Some(Box::new(ReaderState {
                buf: Vec::new(),
                chunkname: name,
                mode,
                has_env,
            }));
            Ok(Ret::Call {
                nargs: 0,
                nresults: 1,
                cont: c,
            })
        }
        _ => Err(st.arg_type_error(a, 1, "string")),
    }
}

/// Reads a source file for `loadfile`/`dofile`: like `skipcomment` of lauxlib, skips
/// a UTF-8 byte-order mark and then a first line starting with '#'.
pub fn read_source_file(path: &str) -> Result<Vec<u8>, String> {
    let data = std::fs::read(path)
        .map_err(|e| format!("cannot open {}: {}", path, crate::stdlib::os_error_text(&e)))?;
    Ok(skip_bom_and_comment(data))
}

/// The `skipcomment` of `luaL_loadfilex` on a whole file: drops a leading UTF-8 BOM,
/// then the text of a first line starting with '#'.
pub fn skip_bom_and_comment(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(b"\xEF\xBB\xBF") {
        data.drain(..3);
    }
    if data.first() == Some(&b'#') {
        let end = data.iter().position(|&c| c == b'\n').unwrap_or(data.len());
        // Keep the newline so line numbers stay right, unless a binary chunk follows
        // (lauxlib re-reads the file then and drops it).
        let keep = if data.get(end + 1) == Some(&0x1b) {
            end + 1
        } else {
            end
        };
        data.drain(..keep);
    }
    data
}

fn load_file(st: &mut State, path: Option<&str>, mode: &[u8]) -> Result<Value, crate::SyntaxError> {
    let (data, name) = match path {
        Some(p) => (
            read_source_file(p).map_err(|m| crate::SyntaxError { message: m })?,
            format!("@{p}"),
        ),
        None => {
            let mut buf = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf);
            (skip_bom_and_comment(buf), "=stdin".to_string())
        }
    };
    load_source(st, &data, &name, mode)
}

fn loadfile(st: &mut State, a: Args) -> LResult<Ret> {
    let path = st.opt_str(a, 1)?.map(|s| s.to_str_lossy().into_owned());
    let mode = match st.opt_str(a, 2)? {
        Some(m) => m.as_bytes().to_vec(),
        None => b"bt".to_vec(),
    };
    let env = if a.len >= 3 { Some(st.arg(a, 3)) } else { None };
    let r = load_file(st, path.as_deref(), &mode);
    Ok(push_load_result(st, r, env))
}

fn dofile(st: &mut State, a: Args) -> LResult<Ret> {
    let path = st.opt_str(a, 1)?.map(|s| s.to_str_lossy().into_owned());
    match load_file(st, path.as_deref(), b"bt") {
        Ok(f) => {
            st.set_top(a.base + a.len);
            st.push(f);
            // A real call (not a tail call), so that `dofile` stays in tracebacks as
            // PUC's `lua_callk` keeps it.
            Ok(Ret::Call {
                nargs: 0,
                nresults: -1,
                cont: Cont::new(dofile_k, 0),
            })
        }
        Err(e) => Err(st.new_str(e.message.as_bytes())),
    }
}

fn dofile_k(_st: &mut State, status: Status, _cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { n, .. } = status else {
        unreachable!("unprotected continuation got an error");
    };
    Ok(Ret::Values(n))
}
