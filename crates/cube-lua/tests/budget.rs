//! The reduction budget bounds any Lua code: loops, recursion, tail calls, code inside
//! pcall and inside coroutines all end with "reduction limit exceeded" when a limit is set.

use cube_lua::{State, Value};

fn run_limited(src: &str, budget: i64) -> Result<Vec<Value>, String> {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
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
    cube_lua::stdlib::open_libs(&mut st);
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

use cube_lua::{Args, LResult, Outcome, Ret};

fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
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
            Outcome::Finished(v) => return (v, slices),
            Outcome::Preempted | Outcome::Blocked => continue,
            Outcome::Error(e) => panic!("task failed: {e:?}"),
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
        Outcome::Finished(v) => assert_eq!(num(&v[0]), 43.0),
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
            Outcome::Error(Value::Str(s)) => {
                assert_eq!(s.to_str_lossy(), "t:1: late");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    // The state can start another task.
    let (r, _) = run_in_slices(&mut st, "return 1", 10);
    assert_eq!(num(&r[0]), 1.0);
}
