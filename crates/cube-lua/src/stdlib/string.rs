//! The string library: natives over the heap-independent engines in `crate::text`.
//! `gsub` with a function replacement and `format` with `__tostring` values call back
//! into Lua through continuations, never by recursion.

use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State};
use crate::stdlib::base::tostring_basic;
use crate::text::format::{format as cformat, FormatArgs, FormatError};
use crate::text::pattern::{self, Capture, Find, Gmatch, Gsub, Match, Meter, PatternError};
use crate::thread::{Cont, FrameKind, Status};
use crate::tm::TM;
use crate::value::{LuaStr, NClosure, Value};
use std::any::Any;
use std::borrow::Cow;

pub fn open(st: &mut State) {
    let t = super::new_lib(st, "string");
    st.register(
        t,
        &[
            ("byte", byte),
            ("char", char_),
            ("dump", dump),
            ("find", find),
            ("format", format),
            ("gmatch", gmatch),
            ("gsub", gsub),
            ("len", len),
            ("lower", lower),
            ("match", match_),
            ("rep", rep),
            ("reverse", reverse),
            ("sub", sub),
            ("upper", upper),
        ],
    );
    let mt = st.new_table();
    st.set_field(mt, "__index", Value::Table(t));
    crate::state::TypeMetas::set(
        &mut st.type_meta,
        crate::value::LuaType::String as usize,
        Some(mt),
    );
}

/// Steps a match that may be preempted runs at least before it pauses (so that a
/// slice whose budget is nearly spent still makes progress worth a pause).
const MIN_PAUSE_STEPS: u64 = 4096;

/// The pause threshold for a match in the running native, when the task may be
/// preempted there (see [`pause`]): the steps the budget left pays for, at least
/// [`MIN_PAUSE_STEPS`]. `None` when the match cannot pause: code nested in a Rust-level
/// call (it runs to completion, bounded by `steps_allowed`), or a native so deep in C
/// levels, or with a stack so full, that the pause's call would fail.
fn pause_threshold(st: &mut State) -> Option<u64> {
    use crate::state::MATCH_STEPS_PER_REDUCTION as PER;
    if !st.can_preempt() {
        return None;
    }
    let clevel = st.cur.frames.last()?.clevel;
    if clevel + 1 >= crate::thread::MAX_C_LEVELS
        || st.check_stack(1 + crate::thread::NATIVE_RESERVE).is_err()
    {
        return None;
    }
    Some(
        (st.budget.max(0) as u64)
            .saturating_mul(PER)
            .max(MIN_PAUSE_STEPS),
    )
}

/// Runs pattern work `f` with a [`Meter`] tied to the state: the steps are charged as
/// reductions ([`crate::state::MATCH_STEPS_PER_REDUCTION`]); with a reduction limit the
/// match may take only the budget left, and the host's interrupt flag is watched, so a
/// backtracking pattern cannot hold the process (or its scheduler) for years. A match the
/// meter stopped ends the code uncatchably ("reduction limit exceeded" / "interrupted").
///
/// With `pausable`, where the task may be preempted ([`pause_threshold`]), the meter
/// also pauses the match once it used up the budget: `f` then returns
/// [`PatternError::Paused`], its steps are charged, and the caller [`pause`]s.
fn metered<T>(
    st: &mut State,
    pausable: bool,
    f: impl FnOnce(&mut Meter<'_>) -> Result<T, PatternError>,
) -> LResult<Result<T, PatternError>> {
    use crate::state::MATCH_STEPS_PER_REDUCTION as PER;
    let threshold = if pausable { pause_threshold(st) } else { None };
    let limit = st.steps_allowed(PER);
    let mut meter = Meter::new(limit, st.interrupt_flag()).pausing(threshold.unwrap_or(u64::MAX));
    let r = f(&mut meter);
    let steps = meter.steps;
    st.charge(steps / PER)?;
    // Steps past the budget were allowed out of the reserve: take them from it now.
    if st.budget < 0 {
        st.draw_from_reserve(0);
    }
    if let Err(PatternError::Stopped) = r {
        st.budget_check()?;
        // The meter stops only at the limit or on an interrupt, and both fail above;
        // should the flag have been cleared meanwhile, the limit's error stands.
        st.kill_reason = Some("reduction limit exceeded");
        st.budget = 0;
        return Err(st.new_str(b"reduction limit exceeded"));
    }
    Ok(r)
}

/// The function a paused native calls: it does nothing.
fn pause_noop(_st: &mut State, _a: Args) -> LResult<Ret> {
    Ok(Ret::Values(0))
}

/// Pauses the running native (its match used up the budget): it calls a function that
/// does nothing, with `cont` to go on afterwards. The driver sees the budget spent
/// when the call returns and preempts the task there; when the task resumes, `cont`
/// runs. The native's arguments stay on the stack, below the call.
fn pause(st: &mut State, cont: Cont) -> LResult<Ret> {
    let f = st.new_native("pause", pause_noop, Vec::new());
    st.push(f);
    Ok(Ret::Call {
        nargs: 0,
        nresults: 0,
        cont,
    })
}

/// Reserves and charges the building of a string of `len` bytes from the arguments.
fn prepare(st: &mut State, len: usize) -> LResult<()> {
    st.reserve(len)?;
    st.charge_bytes(len)
}

/// Lua's `posrelat`: a 1-based position, negative from the end.
fn posrelat(pos: i64, len: usize) -> i64 {
    if pos >= 0 {
        pos
    } else if pos.unsigned_abs() > len as u64 {
        0
    } else {
        len as i64 + pos + 1
    }
}

fn len(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    st.push(Value::Num(s.len() as f64));
    Ok(Ret::Values(1))
}

fn sub(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    let l = s.len();
    let mut i = posrelat(st.check_integer(a, 2)?, l);
    let mut j = posrelat(st.opt_integer(a, 3, -1)?, l);
    if i < 1 {
        i = 1;
    }
    if j > l as i64 {
        j = l as i64;
    }
    if i > j {
        st.push_str(b"");
    } else {
        prepare(st, (j - i + 1) as usize)?;
        let bytes = s.as_bytes()[(i - 1) as usize..j as usize].to_vec();
        let v = st.new_string(bytes);
        st.push(v);
    }
    Ok(Ret::Values(1))
}

fn reverse(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    prepare(st, s.len())?;
    let mut b = s.as_bytes().to_vec();
    b.reverse();
    let v = st.new_string(b);
    st.push(v);
    Ok(Ret::Values(1))
}

fn lower(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    prepare(st, s.len())?;
    let b = s.as_bytes().to_ascii_lowercase();
    let v = st.new_string(b);
    st.push(v);
    Ok(Ret::Values(1))
}

fn upper(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    prepare(st, s.len())?;
    let b = s.as_bytes().to_ascii_uppercase();
    let v = st.new_string(b);
    st.push(v);
    Ok(Ret::Values(1))
}

/// Largest string the library builds (as PUC's `MAXSIZE` check in `rep`).
const MAX_STRING: u64 = i32::MAX as u64;

fn rep(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    let n = st.check_integer(a, 2)?;
    let sep = st.opt_str(a, 3)?;
    if n <= 0 {
        st.push_str(b"");
        return Ok(Ret::Values(1));
    }
    let sep_bytes: &[u8] = sep.as_ref().map(|s| s.as_bytes()).unwrap_or(b"");
    let total = (s.len() as u64 + sep_bytes.len() as u64).saturating_mul(n as u64);
    if total >= MAX_STRING {
        return Err(st.rt_error("resulting string too large"));
    }
    if total == 0 {
        // `rep("", 2^62)`: nothing to build, so no loop of `n` empty copies.
        st.push_str(b"");
        return Ok(Ret::Values(1));
    }
    // Reserved and charged before the work (`n` copies of at least one byte each).
    st.reserve(total as usize)?;
    st.charge(total / crate::state::BYTES_PER_REDUCTION as u64 + n as u64 / 256)?;
    if s.len() == 1 && sep_bytes.is_empty() {
        let v = st.new_string(vec![s.as_bytes()[0]; total as usize]);
        st.push(v);
        return Ok(Ret::Values(1));
    }
    let mut out = Vec::with_capacity(total as usize);
    for k in 0..n {
        out.extend_from_slice(s.as_bytes());
        if k + 1 < n {
            out.extend_from_slice(sep_bytes);
        }
    }
    let v = st.new_string(out);
    st.push(v);
    Ok(Ret::Values(1))
}

fn byte(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    let l = s.len();
    let posi = posrelat(st.opt_integer(a, 2, 1)?, l);
    let pose = posrelat(st.opt_integer(a, 3, posi)?, l);
    let posi = posi.max(1);
    let pose = pose.min(l as i64);
    if posi > pose {
        return Ok(Ret::Values(0));
    }
    let n = (pose - posi + 1) as usize;
    st.charge(n as u64 / 16)?;
    st.reserve(n.saturating_mul(std::mem::size_of::<Value>()))?;
    if st.check_stack(n).is_err() {
        return Err(st.rt_error("string slice too long"));
    }
    for k in 0..n {
        let c = s.as_bytes()[posi as usize - 1 + k];
        st.push(Value::Num(c as f64));
    }
    Ok(Ret::Values(n))
}

fn char_(st: &mut State, a: Args) -> LResult<Ret> {
    prepare(st, a.len)?;
    let mut out = Vec::with_capacity(a.len);
    for i in 1..=a.len {
        let c = st.check_integer(a, i)?;
        if !(0..=255).contains(&c) {
            return Err(st.arg_error(i, "value out of range"));
        }
        out.push(c as u8);
    }
    let v = st.new_string(out);
    st.push(v);
    Ok(Ret::Values(1))
}

fn dump(st: &mut State, a: Args) -> LResult<Ret> {
    match st.arg(a, 1) {
        Value::LFn(cl) => {
            let bytes = crate::dump::dump(&cl.p.proto);
            let v = st.new_string(bytes);
            st.push(v);
            Ok(Ret::Values(1))
        }
        Value::NFn(_) => Err(st.rt_error("unable to dump given function")),
        _ => Err(st.arg_type_error(a, 1, "function")),
    }
}

fn pattern_error(st: &mut State, e: PatternError) -> Value {
    st.rt_error(&e.message())
}

/// Pushes capture `c` of `src` as a Lua value.
fn push_capture(st: &mut State, src: &[u8], c: Capture) {
    match c {
        Capture::Span(x, y) => {
            let v = st.new_str(&src[x..y]);
            st.push(v);
        }
        Capture::Position(p) => st.push(Value::Num((p + 1) as f64)),
    }
}

/// Pushes the values of a match (captures, or the whole match): returns how many.
fn push_values(st: &mut State, src: &[u8], m: &Match) -> LResult<usize> {
    let n = m.num_values();
    st.check_stack(n)?;
    for c in m.values() {
        match c {
            Ok(c) => push_capture(st, src, c),
            Err(e) => return Err(pattern_error(st, e)),
        }
    }
    Ok(n)
}

fn str_find_aux(st: &mut State, a: Args, find: bool) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    let p = st.check_str(a, 2)?;
    let init = st.opt_integer(a, 3, 1)?;
    let Some(init) = pattern::start_offset(init, s.len()) else {
        st.push(Value::Nil);
        return Ok(Ret::Values(1));
    };
    let src = s.as_bytes();
    let pat = p.as_bytes();
    if find && (st.arg(a, 4).truthy() || !pattern::has_specials(pat)) {
        // A plain search: linear, never paused.
        return match metered(st, false, |m| pattern::find_plain(src, pat, init, m))? {
            Err(e) => Err(pattern_error(st, e)),
            Ok(None) => {
                st.push(Value::Nil);
                Ok(Ret::Values(1))
            }
            Ok(Some(start)) => {
                st.push(Value::Num((start + 1) as f64));
                st.push(Value::Num((start + pat.len()) as f64));
                Ok(Ret::Values(2))
            }
        };
    }
    let mut search = Find::new(init);
    let mut found = Match::new();
    let r = metered(st, true, |m| search.search(src, pat, m, &mut found))?;
    if let Err(PatternError::Paused) = r {
        // The continuation finds the subject and pattern in the first two slots.
        st.set_stack(a.base, Value::Str(s));
        st.set_stack(a.base + 1, Value::Str(p));
    }
    find_finish(st, src, find, search, r, &found)
}

/// The end of `find`/`match`: the results (`r` says whether `m` holds a match), an
/// error, or a pause whose continuation ([`find_k`]) goes on with `search`.
fn find_finish(
    st: &mut State,
    src: &[u8],
    find: bool,
    search: Find,
    r: Result<bool, PatternError>,
    m: &Match,
) -> LResult<Ret> {
    match r {
        Err(PatternError::Paused) => {
            let mut c = Cont::new(find_k, usize::from(find));
            c.data = Some(Box::new(search));
            pause(st, c)
        }
        Err(e) => Err(pattern_error(st, e)),
        Ok(false) => {
            st.push(Value::Nil);
            Ok(Ret::Values(1))
        }
        Ok(true) => {
            if find {
                st.push(Value::Num((m.start + 1) as f64));
                st.push(Value::Num(m.end as f64));
                let nc = m.num_captures();
                st.check_stack(nc)?;
                for i in 0..nc {
                    match m.capture(i) {
                        Ok(c) => push_capture(st, src, c),
                        Err(e) => return Err(pattern_error(st, e)),
                    }
                }
                Ok(Ret::Values(2 + nc))
            } else {
                let n = push_values(st, src, m)?;
                Ok(Ret::Values(n))
            }
        }
    }
}

/// `find`/`match` after a pause: the search goes on (`cont.ctx`: 1 for `find`).
fn find_k(st: &mut State, _status: Status, cont: &mut Cont) -> LResult<Ret> {
    let base = st.cur.frames.last().expect("find frame").base;
    let (Value::Str(s), Value::Str(p)) = (st.stack_at(base), st.stack_at(base + 1)) else {
        unreachable!("a paused find keeps its strings in its first slots");
    };
    let mut search = cont
        .data
        .take()
        .and_then(|d| d.downcast::<Find>().ok())
        .expect("find state");
    let mut found = Match::new();
    let r = metered(st, true, |m| {
        search.search(s.as_bytes(), p.as_bytes(), m, &mut found)
    })?;
    find_finish(st, s.as_bytes(), cont.ctx == 1, *search, r, &found)
}

fn find(st: &mut State, a: Args) -> LResult<Ret> {
    str_find_aux(st, a, true)
}

fn match_(st: &mut State, a: Args) -> LResult<Ret> {
    str_find_aux(st, a, false)
}

/// The running `gmatch_aux` closure and its upvalues.
struct GmatchUpvals {
    nc: Gc<NClosure>,
    s: Gc<LuaStr>,
    p: Gc<LuaStr>,
    /// Where the next search starts.
    pos: usize,
}

fn gmatch_upvals(st: &State) -> Option<GmatchUpvals> {
    let Some(FrameKind::Native(nc)) = st.cur.frames.last().map(|f| &f.kind) else {
        return None;
    };
    let nc = *nc;
    let (Value::Str(s), Value::Str(p), Value::Num(pos)) =
        (nc.upvals[0], nc.upvals[1], nc.upvals[2])
    else {
        return None;
    };
    Some(GmatchUpvals {
        nc,
        s,
        p,
        pos: pos as usize,
    })
}

fn gmatch_aux(st: &mut State, _a: Args) -> LResult<Ret> {
    let Some(u) = gmatch_upvals(st) else {
        return Ok(Ret::Values(0));
    };
    let g = Gmatch::at(u.pos);
    gmatch_run(st, u, g)
}

/// Runs `gmatch_aux`'s search `g` until a match, the end, or a pause.
fn gmatch_run(st: &mut State, u: GmatchUpvals, mut g: Gmatch) -> LResult<Ret> {
    let GmatchUpvals { nc, s, p, .. } = u;
    let mut found = Match::new();
    match metered(st, true, |m| {
        g.search(s.as_bytes(), p.as_bytes(), m, &mut found)
    })? {
        Err(PatternError::Paused) => {
            let mut c = Cont::new(gmatch_k, 0);
            c.data = Some(Box::new(g));
            pause(st, c)
        }
        Err(e) => Err(pattern_error(st, e)),
        Ok(false) => {
            nc.get_mut().upvals[2] = Value::Num(g.pos as f64);
            Ok(Ret::Values(0))
        }
        Ok(true) => {
            nc.get_mut().upvals[2] = Value::Num(g.pos as f64);
            let n = push_values(st, s.as_bytes(), &found)?;
            Ok(Ret::Values(n))
        }
    }
}

/// `gmatch_aux` after a pause: the search goes on.
fn gmatch_k(st: &mut State, _status: Status, cont: &mut Cont) -> LResult<Ret> {
    let g = cont
        .data
        .take()
        .and_then(|d| d.downcast::<Gmatch>().ok())
        .expect("gmatch state");
    let Some(u) = gmatch_upvals(st) else {
        return Ok(Ret::Values(0));
    };
    gmatch_run(st, u, *g)
}

fn gmatch(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    let p = st.check_str(a, 2)?;
    let f = st.new_native(
        "gmatch_aux",
        gmatch_aux,
        vec![Value::Str(s), Value::Str(p), Value::Num(0.0)],
    );
    st.push(f);
    Ok(Ret::Values(1))
}

/// The state of a `gsub` in progress (plain data; the subject, pattern and
/// replacement stay on the stack as the native's arguments).
struct GsubState {
    loop_state: Gsub,
    out: Vec<u8>,
    copied_to: usize,
    count: u64,
    max: u64,
    /// The match whose replacement is being computed by a Lua call.
    pending: Option<(usize, usize)>,
    /// The match being replaced (the matcher records each one here in place).
    m: Match,
    /// `m` holds a match whose replacement string did not fit yet: kept for the run
    /// after the emergency collection (see [`gsub_run`]).
    found: bool,
}

/// Where a `gsub`'s state lives: a continuation's `data` (or, in the first run, a
/// local slot of the same type).
type GsubData = Option<Box<dyn Any + Send>>;

fn gsub_state(data: &mut GsubData) -> &mut GsubState {
    data.as_mut()
        .and_then(|d| d.downcast_mut::<GsubState>())
        .expect("gsub state")
}

fn gsub_args(st: &mut State) -> (Gc<LuaStr>, Gc<LuaStr>, Value, usize) {
    let frame = st.cur.frames.last().expect("gsub frame");
    let base = frame.base;
    let (Value::Str(s), Value::Str(p)) = (st.stack_at(base), st.stack_at(base + 1)) else {
        unreachable!("gsub arguments were checked");
    };
    (s, p, st.stack_at(base + 2), base)
}

/// A continuation of `gsub` running `k` after a Lua call, holding the state from `data`.
fn gsub_cont(k: crate::thread::ContFn, data: &mut GsubData) -> Cont {
    let mut c = Cont::new(k, 0);
    c.data = data.take();
    c
}

/// Runs the gsub loop until done, until a Lua call is needed for a replacement, or until
/// it pauses (a search used up the budget, or the budget ran out between matches).
///
/// The state stays in `data` until it moves into the next continuation: when a
/// continuation's run asks for memory that does not fit (`State::reserve`), it runs
/// again after the emergency collection with the state as it was at that point, and
/// goes on from there (a match whose replacement string did not fit is kept in
/// `found`). The first run, from `gsub` itself, is simply called again from the start.
fn gsub_run(st: &mut State, data: &mut GsubData) -> LResult<Ret> {
    let (s, p, repl, base) = gsub_args(st);
    let src = s.as_bytes();
    loop {
        let gs = gsub_state(data);
        if gs.count >= gs.max {
            break;
        }
        if !std::mem::take(&mut gs.found) {
            if st.budget <= 0 && pause_threshold(st).is_some() {
                // Many cheap matches used up the budget: let the task be preempted.
                return pause(st, gsub_cont(gsub_resume_k, data));
            }
            let GsubState { loop_state, m, .. } = gs;
            match metered(st, true, |meter| {
                loop_state.search(src, p.as_bytes(), meter, m)
            })? {
                Err(PatternError::Paused) => {
                    return pause(st, gsub_cont(gsub_resume_k, data));
                }
                Err(e) => return Err(pattern_error(st, e)),
                Ok(false) => break,
                Ok(true) => {}
            }
        }
        let gs = gsub_state(data);
        let m = &gs.m;
        if let Value::Str(r) = repl {
            // What this match adds, reserved before it is built (the rest of the
            // subject was reserved when gsub started).
            let add = pattern::expansion_len(r.as_bytes(), src, m);
            let need = gs.out.len() + (m.start - gs.copied_to) + add + (src.len() - m.end);
            if let Err(e) = st.reserve(need) {
                gs.found = true;
                return Err(e);
            }
            st.charge_bytes(add)?;
        }
        let (m_start, m_end) = (m.start, m.end);
        gs.count += 1;
        gs.out.extend_from_slice(&src[gs.copied_to..m_start]);
        gs.copied_to = m_end;
        st.budget -= 1;
        match repl {
            Value::Str(r) => {
                if let Err(e) = pattern::expand_replacement(&mut gs.out, r.as_bytes(), src, &gs.m) {
                    return Err(pattern_error(st, e));
                }
            }
            Value::Num(_) => {
                let r = st.coerce_to_str(&repl).expect("number");
                if let Err(e) = pattern::expand_replacement(&mut gs.out, r.as_bytes(), src, &gs.m) {
                    return Err(pattern_error(st, e));
                }
            }
            Value::Table(t) => {
                let key = match gs.m.capture(0) {
                    Ok(c) => {
                        push_capture(st, src, c);
                        let k = st.stack_at(st.top() - 1);
                        st.set_top(st.top() - 1);
                        k
                    }
                    Err(e) => return Err(pattern_error(st, e)),
                };
                // `lua_gettable`: follow `__index` tables; call an `__index` function.
                let mut cur = Value::Table(t);
                let mut found = None;
                for _ in 0..100 {
                    let tm = if let Value::Table(tab) = cur {
                        let v = tab.get(&key);
                        if !v.is_nil() {
                            found = Some(v);
                            break;
                        }
                        match st.tm_of(tab.meta, TM::Index) {
                            None => {
                                found = Some(Value::Nil);
                                break;
                            }
                            Some(tm) => tm,
                        }
                    } else {
                        match st.tm_of_value(&cur, TM::Index) {
                            None => {
                                let m = format!("attempt to index a {} value", cur.type_name());
                                return Err(st.rt_error(&m));
                            }
                            Some(tm) => tm,
                        }
                    };
                    if tm.is_function() {
                        st.set_top(base + 4);
                        st.push(tm);
                        st.push(cur);
                        st.push(key);
                        gs.pending = Some((m_start, m_end));
                        return Ok(Ret::Call {
                            nargs: 2,
                            nresults: 1,
                            cont: gsub_cont(gsub_k, data),
                        });
                    }
                    cur = tm;
                }
                let Some(v) = found else {
                    return Err(st.rt_error("loop in gettable"));
                };
                append_replacement(st, gs, v, src, m_start, m_end)?;
            }
            _ => {
                // A function: call it with the captures; continue in gsub_k.
                st.set_top(base + 4);
                st.push(repl);
                let n = push_values(st, src, &gs.m)?;
                gs.pending = Some((m_start, m_end));
                return Ok(Ret::Call {
                    nargs: n,
                    nresults: 1,
                    cont: gsub_cont(gsub_k, data),
                });
            }
        }
    }
    let gs = gsub_state(data);
    gs.out.extend_from_slice(&src[gs.copied_to..]);
    let (len, count) = (gs.out.len(), gs.count);
    st.charge_bytes(len)?;
    let out = std::mem::take(&mut gsub_state(data).out);
    let v = st.new_string(out);
    st.push(v);
    st.push(Value::Num(count as f64));
    Ok(Ret::Values(2))
}

/// Appends a function/table replacement value (false/nil keep the match).
fn append_replacement(
    st: &mut State,
    gs: &mut GsubState,
    v: Value,
    src: &[u8],
    start: usize,
    end: usize,
) -> LResult<()> {
    match v {
        Value::Nil | Value::Bool(false) => gs.out.extend_from_slice(&src[start..end]),
        Value::Str(s) => gs.out.extend_from_slice(s.as_bytes()),
        Value::Num(n) => crate::text::number::write_number(&mut gs.out, n),
        other => {
            let m = format!("invalid replacement value (a {})", other.type_name());
            return Err(st.rt_error(&m));
        }
    }
    Ok(())
}

fn gsub_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, n } = status else {
        unreachable!("unprotected continuation got an error");
    };
    let v = st.first_result(first, n);
    // Reserve what the replacement adds before anything changes (the continuation
    // runs again with the same results after an emergency collection).
    let (s, _, _, base) = gsub_args(st);
    let out_len = gsub_state(&mut cont.data).out.len();
    let add = match v {
        Value::Str(r) => r.len(),
        Value::Num(_) => 32,
        _ => 0,
    };
    st.reserve(out_len + add + s.len())?;
    st.set_top(base + 4);
    let gs = gsub_state(&mut cont.data);
    if let Some((start, end)) = gs.pending.take() {
        append_replacement(st, gs, v, s.as_bytes(), start, end)?;
    }
    gsub_run(st, &mut cont.data)
}

/// `gsub` after a pause: the loop goes on.
fn gsub_resume_k(st: &mut State, _status: Status, cont: &mut Cont) -> LResult<Ret> {
    let (_, _, _, base) = gsub_args(st);
    st.set_top(base + 4);
    gsub_run(st, &mut cont.data)
}

fn gsub(st: &mut State, a: Args) -> LResult<Ret> {
    let s = st.check_str(a, 1)?;
    let p = st.check_str(a, 2)?;
    let repl = st.arg(a, 3);
    if !matches!(
        repl,
        Value::Str(_) | Value::Num(_) | Value::Table(_) | Value::LFn(_) | Value::NFn(_)
    ) {
        return Err(st.arg_error(3, "string/function/table expected"));
    }
    let max_n = if st.arg(a, 4).is_nil() {
        None
    } else {
        Some(st.check_integer(a, 4)?)
    };
    // The output buffer starts as large as the subject.
    st.reserve(s.len())?;
    // Normalise the argument slots: subject, pattern, replacement, (limit).
    st.set_top(a.base + a.len.max(4));
    st.set_stack(a.base, Value::Str(s));
    st.set_stack(a.base + 1, Value::Str(p));
    let mut data: GsubData = Some(Box::new(GsubState {
        loop_state: Gsub::new(),
        out: Vec::with_capacity(s.len()),
        copied_to: 0,
        count: 0,
        max: pattern::gsub_limit(max_n, s.len()),
        pending: None,
        m: Match::new(),
        found: false,
    }));
    st.set_top(a.base + 4);
    gsub_run(st, &mut data)
}

/// Format arguments read from the native's stack slots.
///
/// A string or number argument is read as it is when `%s` or `%q` asks for it: making
/// `tostring` of every argument up front (an interned string for each number, even one
/// that `%d` formats) was about a third of `string.format`'s time.
struct StackArgs {
    values: Vec<Value>,
    /// `tostring` of each argument that is neither a string nor a number (nil, booleans,
    /// tables and the like without `__tostring`), which needs the state: made up front.
    others: Vec<Option<Vec<u8>>>,
}

impl FormatArgs for StackArgs {
    fn count(&self) -> usize {
        self.values.len()
    }
    fn number(&mut self, i: usize) -> Result<f64, FormatError> {
        let Some(v) = self.values.get(i - 2) else {
            return Err(FormatError::no_value(i));
        };
        State::to_num_coerce(v).ok_or_else(|| FormatError::type_error(i, "number", v.type_name()))
    }
    fn string(&mut self, i: usize) -> Result<Cow<'_, [u8]>, FormatError> {
        match self.values.get(i - 2) {
            None => Err(FormatError::no_value(i)),
            Some(Value::Str(s)) => Ok(Cow::Borrowed(s.as_bytes())),
            Some(Value::Num(n)) => Ok(Cow::Owned(number_text(*n))),
            Some(_) => match &self.others[i - 2] {
                Some(s) => Ok(Cow::Borrowed(s.as_slice())),
                None => Err(FormatError::no_value(i)),
            },
        }
    }
    fn q_string(&mut self, i: usize) -> Result<Cow<'_, [u8]>, FormatError> {
        let Some(v) = self.values.get(i - 2) else {
            return Err(FormatError::no_value(i));
        };
        match v {
            Value::Str(s) => Ok(Cow::Borrowed(s.as_bytes())),
            Value::Num(n) => Ok(Cow::Owned(number_text(*n))),
            other => Err(FormatError::type_error(i, "string", other.type_name())),
        }
    }
}

/// `tostring` of a number (`%.14g`), as `%s` and `%q` write it.
fn number_text(n: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    crate::text::number::write_number(&mut out, n);
    out
}

fn format_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, n } = status else {
        unreachable!("unprotected continuation got an error");
    };
    let v = st.first_result(first, n);
    if !matches!(v, Value::Str(_) | Value::Num(_)) {
        return Err(st.rt_error("'__tostring' must return a string"));
    }
    let frame_base = st.cur.frames.last().expect("format frame").base;
    let idx = cont.ctx;
    st.set_stack(frame_base + idx, v);
    st.set_top(first);
    let a = Args {
        base: frame_base,
        len: first - frame_base,
    };
    format_from(st, a, idx + 1)
}

/// Converts `__tostring` arguments (from index `from` on) through the VM, then formats.
fn format_from(st: &mut State, a: Args, from: usize) -> LResult<Ret> {
    for i in from..a.len {
        let v = st.stack_at(a.base + i);
        if matches!(v, Value::Table(_) | Value::UserData(_)) {
            if let Some(tm) = st.tm_of_value(&v, TM::Tostring) {
                st.push(tm);
                st.push(v);
                return Ok(Ret::Call {
                    nargs: 1,
                    nresults: 1,
                    cont: Cont::new(format_k, i),
                });
            }
        }
    }
    let fmt = st.check_str(a, 1)?;
    // An upper bound of the output and of the copies made on the way, reserved and
    // charged before formatting: each conversion writes at most 99 bytes of padding
    // plus its item (a number at most ~420 bytes with `%99.99f`, a string its length,
    // four times it with `%q`), and each string argument is copied once.
    let quoting = fmt.as_bytes().windows(2).any(|w| w == b"%q");
    let mut bound = fmt.len();
    for i in 2..=a.len {
        bound = bound.saturating_add(match st.arg(a, i) {
            Value::Str(s) => s.len().saturating_mul(if quoting { 5 } else { 2 }) + 128,
            _ => 640,
        });
    }
    prepare(st, bound)?;
    let values: Vec<Value> = (2..=a.len).map(|i| st.arg(a, i)).collect();
    let others = values
        .iter()
        .map(|v| match v {
            Value::Str(_) | Value::Num(_) => None,
            _ => match tostring_basic(st, v) {
                Value::Str(s) => Some(s.as_bytes().to_vec()),
                _ => None,
            },
        })
        .collect();
    let mut args = StackArgs { values, others };
    match cformat(fmt.as_bytes(), &mut args) {
        Ok(out) => {
            let v = st.new_string(out);
            st.push(v);
            Ok(Ret::Values(1))
        }
        Err(FormatError::BadArgument { arg, msg }) => Err(st.arg_error(arg, &msg)),
        Err(e) => {
            let m = String::from_utf8_lossy(&e.message()).into_owned();
            Err(st.rt_error(&m))
        }
    }
}

fn format(st: &mut State, a: Args) -> LResult<Ret> {
    st.check_str(a, 1)?;
    format_from(st, a, 1)
}
