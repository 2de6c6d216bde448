//! The host interface (`cube_lua::host`): natives written outside the engine, their
//! continuations, and values read and built through a context.

use cube_lua::host::{Cont, Cx, HostResult, HostStatus, Val};
use cube_lua::{Args, Ret, State};

fn state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
}

/// Runs `src`; its results as text, or the error message.
fn run(st: &mut State, src: &str) -> Result<Vec<String>, String> {
    st.push_chunk(src.as_bytes(), "=test")
        .map_err(|e| e.message)?;
    match st.pcall(0, -1) {
        Ok(n) => {
            let top = st.top();
            let out = st.cx(|cx| {
                (top - n..top)
                    .map(|i| cx.describe(cx.stack_at(i)))
                    .collect()
            });
            st.set_top(top - n);
            Ok(out)
        }
        Err(_) => Err(st.pop_error_message().unwrap_or_default()),
    }
}

/// `sum(...)`: the sum of its numeric arguments; a string argument is an error.
fn sum<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let mut total = 0.0;
    for i in 1..=a.len {
        total += cx.check_number(a, i)?;
    }
    cx.push(Val::Num(total));
    Ok(Ret::Values(1))
}

/// `keys(t)`: a sorted, comma-separated list of the string keys of `t`.
fn keys<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = cx.check_table(a, 1)?;
    let mut names: Vec<&'n [u8]> = Vec::new();
    let mut k = Val::Nil;
    while let Some((key, _)) = cx.next(t, k) {
        if let Val::Str(s) = key {
            // The bytes stay valid while the context mutates the state.
            names.push(s.as_bytes());
        }
        k = key;
    }
    names.sort();
    let joined = names.join(&b","[..]);
    cx.push_str(&joined);
    Ok(Ret::Values(1))
}

/// `counter()`: a native closure over a private upvalue table.
fn make_counter<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let state = cx.new_table();
    cx.set_field(state, "n", Val::Num(0.0));
    let f = cx.new_function("count", count, &[Val::Table(state)]);
    cx.push(f);
    Ok(Ret::Values(1))
}

fn count<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let Val::Table(state) = cx.upvalue(0) else {
        return Err(cx.rt_error("counter state lost"));
    };
    let n = cx.get_field(state, "n").as_num().unwrap_or(0.0) + 1.0;
    cx.set_field(state, "n", Val::Num(n));
    cx.push(Val::Num(n));
    Ok(Ret::Values(1))
}

/// `twice(f, x)`: `f(f(x))`, calling Lua through continuations (no Rust recursion).
fn twice<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let f = cx.arg(a, 1);
    let x = cx.arg(a, 2);
    cx.push(f);
    cx.push(x);
    Ok(Ret::Call {
        nargs: 1,
        nresults: 1,
        cont: Cont::host(twice_k, 0),
    })
}

fn twice_k<'n>(cx: &mut Cx<'n>, status: HostStatus<'n>, cont: &mut Cont) -> HostResult<'n, Ret> {
    let HostStatus::Ok { first, n } = status else {
        unreachable!("an unprotected continuation only sees success");
    };
    let y = cx.first_result(first, n);
    if cont.ctx == 1 {
        cx.push(y);
        return Ok(Ret::Values(1));
    }
    let f = cx.arg(
        Args {
            base: cx.frame_base(),
            len: 2,
        },
        1,
    );
    cx.push(f);
    cx.push(y);
    Ok(Ret::Call {
        nargs: 1,
        nresults: 1,
        cont: Cont::host(twice_k, 1),
    })
}

/// `try(f)`: "ok" or "caught: <message>", with a protected continuation.
fn try_<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let f = cx.arg(a, 1);
    cx.push(f);
    let mut cont = Cont::host(try_k, 0);
    cont.protected = true;
    Ok(Ret::Call {
        nargs: 0,
        nresults: 0,
        cont,
    })
}

fn try_k<'n>(cx: &mut Cx<'n>, status: HostStatus<'n>, _c: &mut Cont) -> HostResult<'n, Ret> {
    match status {
        HostStatus::Ok { .. } => cx.push_str(b"ok"),
        HostStatus::Err(e) => {
            let text = format!("caught: {}", cx.describe(e));
            cx.push_str(text.as_bytes());
        }
    }
    Ok(Ret::Values(1))
}

struct Point {
    x: f64,
}

fn new_point<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let x = cx.check_number(a, 1)?;
    let p = cx.new_userdata(Point { x }, None);
    cx.push(p);
    Ok(Ret::Values(1))
}

fn bump<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let p = cx.arg(a, 1);
    let Some(point) = cx.userdata_mut::<Point>(p) else {
        return Err(cx.arg_type_error(a, 1, "point"));
    };
    point.x += 1.0;
    let x = point.x;
    cx.push(Val::Num(x));
    Ok(Ret::Values(1))
}

/// `fill(p, n)`: pushes `n` copies of the point's x, using the point and the stack at
/// once; `fill(p, n, p)` tries to reach the point again from inside.
fn fill<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let p = cx.arg(a, 1);
    let n = cx.check_integer(a, 2)?.clamp(0, 100) as usize;
    let again = cx.arg(a, 3);
    let r = cx.with_userdata::<Point, _>(p, |cx, point| {
        // The payload is lent out: the same userdata has no Point meanwhile.
        let reached = cx.userdata_get::<Point>(again).is_some();
        point.x += 1.0;
        for _ in 0..n {
            cx.push(Val::Num(point.x));
        }
        cx.push(Val::Bool(reached));
        n + 1
    });
    match r {
        Some(k) => Ok(Ret::Values(k)),
        None => Err(cx.arg_type_error(a, 1, "point")),
    }
}

fn with_host_lib(st: &mut State) {
    st.cx(|cx| {
        let g = cx.globals();
        cx.register(
            g,
            &[
                ("sum", sum),
                ("keys", keys),
                ("counter", make_counter),
                ("twice", twice),
                ("try", try_),
                ("point", new_point),
                ("bump", bump),
                ("fill", fill),
            ],
        );
    });
}

#[test]
fn host_functions_take_arguments_and_return_results() {
    let mut st = state();
    with_host_lib(&mut st);
    assert_eq!(run(&mut st, "return sum(1, 2, '3.5')").unwrap(), ["6.5"]);
    assert_eq!(
        run(&mut st, "return keys{b = 1, a = 2, [3] = 4, c = 5}").unwrap(),
        ["a,b,c"]
    );
}

#[test]
fn host_errors_read_as_lua_errors() {
    let mut st = state();
    with_host_lib(&mut st);
    assert_eq!(
        run(&mut st, "return sum(1, {})").unwrap_err(),
        "test:1: bad argument #2 to 'sum' (number expected, got table)"
    );
    assert_eq!(
        run(&mut st, "return bump(1)").unwrap_err(),
        "test:1: bad argument #1 to 'bump' (point expected, got number)"
    );
    assert_eq!(
        run(&mut st, "return pcall(sum, 'x')").unwrap(),
        [
            "false",
            "bad argument #1 to 'sum' (number expected, got string)"
        ]
    );
}

#[test]
fn native_upvalues_stay_private() {
    let mut st = state();
    with_host_lib(&mut st);
    assert_eq!(
        run(
            &mut st,
            "local c = counter() c() c() return c(), debug.getupvalue(c, 1)"
        )
        .unwrap(),
        ["3"]
    );
    // Replacing the upvalue from Lua is refused, so the native can trust it.
    assert_eq!(
        run(
            &mut st,
            "local c = counter() debug.setupvalue(c, 1, 'boom') return c()"
        )
        .unwrap(),
        ["1"]
    );
}

#[test]
fn continuations_call_lua_without_recursion() {
    let mut st = state();
    with_host_lib(&mut st);
    assert_eq!(
        run(&mut st, "return twice(function(x) return x * 3 end, 2)").unwrap(),
        ["18"]
    );
    // A Lua function called from a host continuation may yield across it.
    assert_eq!(
        run(
            &mut st,
            "local co = coroutine.wrap(function() \
               return twice(function(x) return coroutine.yield(x) + 1 end, 1) end) \
             return co(), co(10), co(20)"
        )
        .unwrap(),
        ["1", "11", "21"]
    );
    assert_eq!(
        run(
            &mut st,
            "return try(function() error('no') end), try(print)"
        )
        .unwrap(),
        ["caught: test:1: no", "ok"]
    );
}

#[test]
fn userdata_payloads_are_reached_through_the_context() {
    let mut st = state();
    with_host_lib(&mut st);
    assert_eq!(
        run(&mut st, "local p = point(1) bump(p) return bump(p)").unwrap(),
        ["3"]
    );
}

#[test]
fn a_payload_and_the_context_are_used_at_once() {
    let mut st = state();
    with_host_lib(&mut st);
    assert_eq!(
        run(&mut st, "local p = point(1) return fill(p, 2, p)").unwrap(),
        ["2", "2", "false"]
    );
    // The payload is back afterwards.
    assert_eq!(
        run(&mut st, "local p = point(1) fill(p, 0) return bump(p)").unwrap(),
        ["3"]
    );
    assert_eq!(
        run(&mut st, "return fill({}, 1)").unwrap_err(),
        "test:1: bad argument #1 to 'fill' (point expected, got table)"
    );
}

#[test]
fn errors_of_host_calls_are_reported() {
    let mut st = state();
    assert_eq!(run(&mut st, "error({})").unwrap_err(), "(no error message)");
    assert_eq!(
        run(
            &mut st,
            "error(setmetatable({}, {__tostring = function() return 'custom' end}))"
        )
        .unwrap_err(),
        "custom"
    );
    assert_eq!(
        run(
            &mut st,
            "error(setmetatable({}, {__tostring = function() return {} end}))"
        )
        .unwrap_err(),
        "(error object is not a string)"
    );
    assert_eq!(
        run(&mut st, "local x = ").unwrap_err(),
        "test:1: unexpected symbol near <eof>"
    );
    assert_eq!(st.top(), 0);
}

#[test]
fn values_built_in_one_context_are_read_in_another_through_lua() {
    let mut st = state();
    st.cx(|cx| {
        let t = cx.new_table();
        cx.raw_set_int(t, 1, Val::Num(10.0));
        let s = cx.new_str(b"hello");
        cx.raw_set(t, s, Val::Bool(true)).unwrap();
        cx.set_global("t", Val::Table(t));
    });
    // A collection between contexts frees nothing reachable.
    run(&mut st, "collectgarbage()").unwrap();
    let (n, flag, len) = st.cx(|cx| {
        let t = cx.get_global("t").as_table().unwrap();
        let k = cx.new_str(b"hello");
        (
            cx.raw_get_int(t, 1).as_num(),
            cx.raw_get(t, k).truthy(),
            cx.raw_len(t),
        )
    });
    assert_eq!((n, flag, len), (Some(10.0), true, 1));
}
