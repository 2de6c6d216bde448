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
