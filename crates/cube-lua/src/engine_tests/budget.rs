//! The reduction budget bounds any Lua code: loops, recursion, tail calls, code inside
//! pcall and inside coroutines all end with "reduction limit exceeded" when a limit is set.

use crate::state::{Args, LResult, Outcome, Ret, State};
use crate::value::Value;

fn run_limited(src: &str, budget: i64) -> Result<Vec<Value>, String> {
    let mut st = State::new_bare();
    crate::stdlib::open_libs(&mut st);
    st.reduction_limit_enabled = true;
    st.budget = budget;
    let f = st
        .load_chunk(src.as_bytes(), "=budget")
        .map_err(|e| e.message)?;
    st.call_function(f, &[]).map_err(|e| match e {
        Value::Str(s) => s.to_str_lossy().into_owned(),
        other => format!("{other:?}"),
    })
}

#[test]
fn runaway_code_is_stopped() {
    let cases = [
        "while true do end",
        "local i = 0 repeat i = i + 1 until false",
        "for i = 1, math.huge do end",
        "local function f() return f() end return f()",
        "local function f() return 1 + f() end return pcall(f)",
        "return pcall(function() while true do end end)",
        "local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end",
        "return pcall(coroutine.wrap(function() while true do end end))",
        "local t = {} for i = 1, 1e9 do t[#t % 100 + 1] = tostring(i) end",
    ];
    for src in cases {
        let r = run_limited(src, 200_000);
        assert_eq!(
            r.err().as_deref(),
            Some("reduction limit exceeded"),
            "{src}"
        );
    }
}

#[test]
fn code_within_the_budget_completes() {
    let r = run_limited(
        "local s = 0 for i = 1, 1000 do s = s + i end return s",
        1_000_000,
    )
    .unwrap();
    assert!(matches!(r[0], Value::Num(n) if n == 500500.0));
}

#[test]
fn the_state_is_usable_after_the_limit() {
    let mut st = State::new_bare();
    crate::stdlib::open_libs(&mut st);
    st.reduction_limit_enabled = true;
    st.budget = 10_000;
    let f = st.load_chunk(b"while true do end", "=spin").unwrap();
    assert!(st.call_function(f, &[]).is_err());
    st.budget = 1_000_000;
    let g = st.load_chunk(b"return 40 + 2", "=after").unwrap();
    let r = st.call_function(g, &[]).unwrap();
    assert!(matches!(r[0], Value::Num(n) if n == 42.0));
}

// ----- resumable slices: State::start + State::resume -----

fn new_state() -> State {
    let mut st = State::new_bare();
    crate::stdlib::open_libs(&mut st);
    st
}

/// The `n` results a finished task left on the stack top, popped.
fn results(st: &mut State, n: usize) -> Vec<Value> {
    let top = st.top();
    let v = (top - n..top).map(|i| st.stack_at(i)).collect();
    st.set_top(top - n);
    v
}

/// The error value a failed task left on the stack top, popped.
fn error_value(st: &mut State) -> Value {
    let top = st.top();
    let v = st.stack_at(top - 1);
    st.set_top(top - 1);
    v
}

/// Runs a task to completion in slices of `slice` reductions; returns its results and
/// how many slices it took.
fn run_in_slices(st: &mut State, src: &str, slice: i64) -> (Vec<Value>, usize) {
    let f = st.load_chunk(src.as_bytes(), "=task").unwrap();
    st.start(f, &[]).unwrap();
    let mut slices = 0;
    loop {
        slices += 1;
        match st.resume(slice) {
            Outcome::Finished(n) => return (results(st, n), slices),
            Outcome::Preempted | Outcome::Blocked => continue,
            Outcome::Error => panic!("task failed: {:?}", error_value(st)),
        }
    }
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Num(n) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn a_task_runs_in_many_slices_and_finishes_correctly() {
    let mut st = new_state();
    let (r, slices) = run_in_slices(
        &mut st,
        "local s = 0 for i = 1, 100000 do s = s + i end return s",
        1000,
    );
    assert_eq!(num(&r[0]), 5000050000.0);
    assert!(slices > 50, "only {slices} slices");
}

#[test]
fn preemption_inside_recursion_pcall_and_coroutines_resumes_exactly() {
    let mut st = new_state();
    let src = r#"
        local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end
        local ok, a = pcall(fib, 20)
        local co = coroutine.wrap(function(x)
            while true do x = coroutine.yield(fib(x)) end
        end)
        local b = co(15) + co(10)
        local t = {}
        for i = 1, 2000 do t[i] = tostring(i) end
        table.sort(t, function(x, y) return x > y end)
        return ok, a, b, t[1], #t
    "#;
    let (r, slices) = run_in_slices(&mut st, src, 97);
    assert!(matches!(r[0], Value::Bool(true)));
    assert_eq!(num(&r[1]), 6765.0);
    assert_eq!(num(&r[2]), 610.0 + 55.0);
    assert!(matches!(r[3], Value::Str(s) if s.as_bytes() == b"999"));
    assert_eq!(num(&r[4]), 2000.0);
    assert!(slices > 100, "only {slices} slices");
}

/// A native that blocks until it has been called three times (a stand-in for
/// `process.receive` on an empty mailbox).
fn wait_three(st: &mut State, _a: Args) -> LResult<Ret> {
    let n = match st.get_global("waits") {
        Value::Num(n) => n,
        _ => 0.0,
    };
    st.set_global("waits", Value::Num(n + 1.0));
    if n < 2.0 {
        return Ok(Ret::Block);
    }
    st.push(Value::Num(42.0));
    Ok(Ret::Values(1))
}

#[test]
fn a_blocked_task_is_retried_on_resume() {
    let mut st = new_state();
    let f = st.new_native("wait", wait_three, vec![]);
    st.set_global("wait", f);
    let main = st
        .load_chunk(
            b"local co = coroutine.wrap(function() return wait() + 1 end) return co()",
            "=t",
        )
        .unwrap();
    st.start(main, &[]).unwrap();
    assert!(matches!(st.resume(1_000_000), Outcome::Blocked));
    assert!(matches!(st.resume(1_000_000), Outcome::Blocked));
    match st.resume(1_000_000) {
        Outcome::Finished(n) => assert_eq!(num(&results(&mut st, n)[0]), 43.0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn blocking_outside_a_task_is_an_error() {
    let mut st = new_state();
    let f = st.new_native("wait", wait_three, vec![]);
    st.set_global("wait", f);
    let main = st.load_chunk(b"return pcall(wait)", "=t").unwrap();
    let r = st.call_function(main, &[]).unwrap();
    assert!(matches!(r[0], Value::Bool(false)));
    assert!(matches!(r[1], Value::Str(s) if s.to_str_lossy().contains("attempt to block")));
}

#[test]
fn task_errors_end_the_task() {
    let mut st = new_state();
    let f = st
        .load_chunk(
            b"local x = 0 for i = 1, 1000 do x = x + i end error('late')",
            "=t",
        )
        .unwrap();
    st.start(f, &[]).unwrap();
    loop {
        match st.resume(50) {
            Outcome::Preempted => continue,
            Outcome::Error => {
                assert_eq!(err_text(error_value(&mut st)), "t:1: late");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    // The state can start another task.
    let (r, _) = run_in_slices(&mut st, "return 1", 10);
    assert_eq!(num(&r[0]), 1.0);
}

// ----- heap limit, reserve, charge, interrupt, C levels (issue 9) -----

fn err_text(e: Value) -> String {
    match e {
        Value::Str(s) => s.to_str_lossy().into_owned(),
        other => format!("{other:?}"),
    }
}

/// Runs `src` under a heap limit (and a generous reduction limit).
fn run_heap_limited(src: &str, max_heap: usize) -> Result<Vec<Value>, String> {
    let mut st = new_state();
    st.set_max_heap(Some(max_heap));
    st.reduction_limit_enabled = true;
    st.budget = 200_000_000;
    let f = st
        .load_chunk(src.as_bytes(), "=heap")
        .map_err(|e| e.message)?;
    st.call_function(f, &[]).map_err(err_text)
}

#[test]
fn reserve_collects_before_it_fails() {
    // 3 MB of garbage, then a 2 MB string under a 4 MB limit: the reservation finds
    // the heap full, the driver collects and calls string.rep again, which now fits.
    let src = "local t = {} for i = 1, 30 do t[i] = string.rep('g', 100000) .. i end \
               t = nil \
               local s = string.rep('x', 2000000) return #s";
    let r = run_heap_limited(src, 4_000_000).unwrap();
    assert_eq!(num(&r[0]), 2_000_000.0);
    // The same with the collector stopped: the emergency collection still runs.
    let r = run_heap_limited(&format!("collectgarbage('stop') {src}"), 4_000_000).unwrap();
    assert_eq!(num(&r[0]), 2_000_000.0);
    // And from a continuation (gsub with a function replacement).
    let src = "local t = {} for i = 1, 30 do t[i] = string.rep('g', 100000) .. i end \
               t = nil \
               local big = string.rep('y', 1000000) \
               local s = string.gsub('ab', '%w', function() return big end) return #s";
    let r = run_heap_limited(src, 4_000_000).unwrap();
    assert_eq!(num(&r[0]), 2_000_000.0);
}

#[test]
fn what_does_not_fit_ends_the_code_uncatchably() {
    let cases = [
        "return string.rep('x', 8000000)",
        "return pcall(string.rep, 'x', 8000000)",
        "local t = {} for i = 1, 100 do t[i] = string.rep('p', 100000) end return table.concat(t)",
        "local s = string.rep('c', 1000000) return pcall(function() return s .. s .. s .. s .. s end)",
        "return string.format('%s%s%s%s%s', string.rep('f', 3000000), '', '', '', '')",
        "return load(string.rep('x = 1 ', 500000))",
        "local t = {} for i = 1, 1e7 do table.insert(t, i) end",
        "local t = setmetatable({}, {}) for i = 1, 1e7 do t[i] = i end",
        "collectgarbage('stop') local t = {} for i = 1, 1e6 do t[i] = {} end",
        "return pcall(table.unpack, {}, 1, 900000)",
    ];
    for src in cases {
        assert_eq!(
            run_heap_limited(src, 4_000_000).err().as_deref(),
            Some("heap limit exceeded"),
            "{src}"
        );
    }
}

#[test]
fn reserve_and_charge_from_rust() {
    let mut st = new_state();
    st.set_max_heap(Some(1_000_000));
    assert!(st.reserve(10_000).is_ok());
    // A host (not a native) asking for too much gets the heap limit error.
    assert_eq!(
        err_text(st.reserve(2_000_000).unwrap_err()),
        "heap limit exceeded"
    );
    let mut st = new_state();
    st.reduction_limit_enabled = true;
    st.budget = 100;
    assert!(st.charge(50).is_ok());
    assert_eq!(
        err_text(st.charge(60).unwrap_err()),
        "reduction limit exceeded"
    );
    // Without a limit, charging only spends the budget (the driver refills it).
    let mut st = new_state();
    st.budget = 10;
    assert!(st.charge(1_000).is_ok());
}

#[test]
fn natives_charge_for_their_work() {
    let cases = [
        "local s = string.rep('a', 1000000) while true do local r = s:upper() end",
        "local s = string.rep('a', 1000000) while true do local r = s .. 'y' end",
        "local a, b = string.rep('a', 1000000), string.rep('a', 999999) .. 'b' while true do local r = a < b end",
        "local s = string.rep('a', 1000000) while true do local r = s:find('b', 1, true) end",
        "return string.find(string.rep('a', 32), string.rep('a?', 32) .. string.rep('a', 32))",
        "return pcall(string.match, string.rep('a', 32), string.rep('a?', 32) .. string.rep('a', 32))",
        "while true do collectgarbage() end",
    ];
    for src in cases {
        let r = run_limited(src, 1_000_000);
        assert_eq!(
            r.err().as_deref(),
            Some("reduction limit exceeded"),
            "{src}"
        );
    }
}

#[test]
fn the_interrupt_flag_ends_running_code() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    // Without a reduction limit: a Lua loop, a long pattern match, inside pcall.
    let cases = [
        "while true do end",
        "return pcall(function() while true do end end)",
        "return pcall(string.find, string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))",
    ];
    for src in cases {
        let mut st = new_state();
        let flag = Arc::new(AtomicBool::new(false));
        st.set_interrupt(Some(flag.clone()));
        let f = st.load_chunk(src.as_bytes(), "=spin").unwrap();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            flag.store(true, Ordering::Relaxed);
        });
        let t0 = std::time::Instant::now();
        let r = st.call_function(f, &[]);
        setter.join().unwrap();
        assert_eq!(err_text(r.unwrap_err()), "interrupted", "{src}");
        assert!(t0.elapsed() < std::time::Duration::from_secs(20), "{src}");
    }
    // A task run in slices ends at the end of the slice in which the flag was set.
    let mut st = new_state();
    let flag = Arc::new(AtomicBool::new(false));
    st.set_interrupt(Some(flag.clone()));
    let f = st.load_chunk(b"while true do end", "=task").unwrap();
    st.start(f, &[]).unwrap();
    assert!(matches!(st.resume(4000), Outcome::Preempted));
    flag.store(true, Ordering::Relaxed);
    match st.resume(4000) {
        Outcome::Error => assert_eq!(err_text(error_value(&mut st)), "interrupted"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn metamethod_chains_stop_at_c_levels_with_lua52_text() {
    let mut st = new_state();
    let run = |st: &mut State, src: &str| {
        let f = st.load_chunk(src.as_bytes(), "=c").unwrap();
        st.call_function(f, &[]).map_err(err_text)
    };
    // As lua5.2: the position of the Lua function that called the metamethod...
    let r = run(
        &mut st,
        "local t = setmetatable({}, {__index = function(t, k) return t[k .. 'x'] end})\nreturn t.a",
    );
    assert_eq!(r.unwrap_err(), "c:1: C stack overflow");
    // ...none when a native made the call, and 198 pcall levels as lua5.2 reaches.
    let r = run(
        &mut st,
        "local t = setmetatable({}, {__tostring = function(x) return tostring(x) end}) return pcall(tostring, t)",
    )
    .unwrap();
    assert_eq!(err_text(r[1]), "C stack overflow");
    let r = run(
        &mut st,
        "local d = 0 local function f(n) d = n pcall(f, n + 1) end f(1) return d",
    )
    .unwrap();
    assert_eq!(num(&r[0]), 198.0);
}

#[test]
fn close_runs_every_finalizer_despite_errors() {
    let mut st = new_state();
    let f = st
        .load_chunk(
            b"ran = 0 for i = 1, 3 do setmetatable({}, {__gc = function() ran = ran + 1 error('x') end}) end",
            "=gc",
        )
        .unwrap();
    st.call_function(f, &[]).unwrap();
    assert!(st.close_with_error().is_ok());
    assert_eq!(num(&st.get_global("ran")), 3.0);
}

#[test]
fn a_limit_ends_the_finalizers_at_close() {
    let mut st = new_state();
    let f = st
        .load_chunk(
            b"ran = 0 for i = 1, 3 do setmetatable({}, {__gc = function() ran = ran + 1 while true do end end}) end",
            "=gc",
        )
        .unwrap();
    st.call_function(f, &[]).unwrap();
    // As the process runtime closes an ended process: only what its limit leaves.
    st.budget = 0;
    st.set_reduction_reserve(Some(100_000));
    let e = st.close_with_error().expect_err("the limit ends close");
    assert_eq!(err_text(e), "reduction limit exceeded");
    assert_eq!(num(&st.get_global("ran")), 1.0);
}

/// A native that takes two arguments and returns nothing (a stand-in for
/// `process.send`).
fn send_like(_st: &mut State, _a: Args) -> LResult<Ret> {
    Ok(Ret::Values(0))
}

/// A process that sends once and blocks in `receive` keeps a stack of 10 slots (160
/// bytes, one mimalloc class; it was 13 with PUC's `LUA_MINSTACK`-like reserves): the
/// idle-process memory of BENCHMARKS.md counts on it.
#[test]
fn an_idle_task_keeps_a_small_stack() {
    let mut st = new_state();
    let send = st.new_native("send", send_like, vec![]);
    st.set_global("send", send);
    let wait = st.new_native("wait", wait_three, vec![]);
    st.set_global("wait", wait);
    // As bench/process/idle.lua spawns it: a function of one parameter.
    let make = st
        .load_chunk(
            b"return function(parent) send(parent, 1) wait() end",
            "=idle",
        )
        .unwrap();
    let idle = st.call_function(make, &[]).unwrap()[0];
    st.start(idle, &[Value::Num(1.0)]).unwrap();
    assert!(matches!(st.resume(1_000_000), Outcome::Blocked));
    let slots = st.cur.stack.len();
    assert!(slots <= 10, "{slots} stack slots");
}

/// The host's interrupt (the shell's Ctrl-C) is an ordinary error where the task
/// stands: in a running loop (positioned at it) and in a blocked native (positioned at
/// its Lua caller, the native abandoned); pcall catches it, and the task goes on.
#[test]
fn an_interrupt_is_a_catchable_error_where_the_task_stands() {
    let mut st = new_state();
    let f = st.new_native("wait", wait_three, vec![]);
    st.set_global("wait", f);
    let main = st
        .load_chunk(
            b"local ok1, e1 = pcall(function() while true do end end)\n\
              local ok2, e2 = pcall(function() local v = wait() return v end)\n\
              return ok1, e1, ok2, e2",
            "=t",
        )
        .unwrap();
    st.start(main, &[]).unwrap();
    assert!(matches!(st.resume(1_000), Outcome::Preempted));
    st.interrupt_next_resume();
    // The loop is interrupted; then `wait` blocks.
    assert!(matches!(st.resume(1_000_000), Outcome::Blocked));
    st.interrupt_next_resume();
    match st.resume(1_000_000) {
        Outcome::Finished(n) => {
            let r = results(&mut st, n);
            assert!(matches!(r[0], Value::Bool(false)));
            assert!(matches!(r[1], Value::Str(s) if s.as_bytes() == b"t:1: interrupted!"));
            assert!(matches!(r[2], Value::Bool(false)));
            assert!(matches!(r[3], Value::Str(s) if s.as_bytes() == b"t:2: interrupted!"));
        }
        other => panic!("{other:?}"),
    }
    // Between tasks there is nothing to interrupt: the next task is not affected.
    st.interrupt_next_resume();
    let (r, _) = run_in_slices(&mut st, "return 7", 1_000);
    assert_eq!(num(&r[0]), 7.0);
}
