//! Lua -> Term -> Lua round trips between two separate states, as messages travel
//! between processes.

use cube_lua::host::Val;
use cube_lua::Lua;
use cube_term::{from_term, to_term, CopyError, Term};

/// Runs `setup` in a fresh sender state and copies its global `msg`.
fn send(setup: &str) -> Result<Term, CopyError> {
    let sender = Lua::new();
    sender.load(setup).exec().expect("setup runs");
    sender.with_raw_state(|st| {
        st.cx(|cx| {
            let msg = cx.get_global("msg");
            to_term(cx, msg)
        })
    })
}

/// A fresh receiver state holding `t` materialised in its global `got`.
fn receive(t: &Term) -> Lua {
    let receiver = Lua::new();
    receiver.with_raw_state(|st| {
        st.cx(|cx| {
            let v = from_term(cx, t);
            cx.set_global("got", v);
        })
    });
    receiver
}

fn check(lua: &Lua, code: &str) {
    if let Err(e) = lua.load(code).exec() {
        panic!("check failed: {}\n{code}", e.message());
    }
}

/// Sends the sender's `msg` and runs `assertions` in the receiver.
fn round_trip(setup: &str, assertions: &str) {
    let t = send(setup).expect("msg is sendable");
    check(&receive(&t), assertions);
}

fn send_err(setup: &str) -> String {
    send(setup).expect_err("msg must be refused").to_string()
}

#[test]
fn scalars_map_to_their_terms() {
    let cases: [(&str, Term); 8] = [
        ("msg = nil", Term::NIL),
        ("msg = true", Term::TRUE),
        ("msg = false", Term::FALSE),
        ("msg = 42", Term::Int(42)),
        ("msg = -3", Term::Int(-3)),
        ("msg = 0.5", Term::Float(0.5)),
        ("msg = 'hi'", Term::binary(b"hi")),
        ("msg = '\\0\\255'", Term::binary(&[0, 255])),
    ];
    for (setup, want) in cases {
        assert_eq!(send(setup).unwrap(), want, "{setup}");
    }
}

#[test]
fn scalars_round_trip() {
    round_trip("msg = nil", "assert(got == nil)");
    round_trip("msg = true", "assert(got == true)");
    round_trip("msg = false", "assert(got == false)");
    round_trip(
        "msg = 'a\\0b\\255'",
        "assert(got == 'a\\0b\\255' and #got == 4)",
    );
    round_trip("msg = ''", "assert(got == '')");
    round_trip("msg = -12.25", "assert(got == -12.25)");
}

#[test]
fn number_edge_cases_round_trip() {
    let setup = "msg = { two53 = 2^53, two53p = 2^53 + 2, negz = -0.0, zero = 0, big = 1e300,
                         tiny = 5e-324, inf = math.huge, ninf = -math.huge, nan = 0/0,
                         two63 = 2^63, ntwo63 = -2^63, frac = 0.1 }";
    let t = send(setup).unwrap();
    // The term side: integers exactly where nothing is lost.
    let Term::Tables(g) = &t else { panic!("{t:?}") };
    let field = |name: &str| {
        g.tables[0]
            .hash
            .iter()
            .find(|(k, _)| *k == Term::binary(name.as_bytes()))
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(field("two53"), Term::Int(1 << 53));
    assert_eq!(field("zero"), Term::Int(0));
    assert_eq!(field("ntwo63"), Term::Int(i64::MIN));
    assert!(matches!(field("negz"), Term::Float(f) if f == 0.0 && f.is_sign_negative()));
    assert_eq!(field("two63"), Term::Float(2f64.powi(63)));
    assert_eq!(field("big"), Term::Float(1e300));
    assert!(matches!(field("nan"), Term::Float(f) if f.is_nan()));
    // The Lua side: the very same numbers.
    check(
        &receive(&t),
        "assert(got.two53 == 2^53 and got.two53p == 2^53 + 2)
         assert(got.negz == 0 and 1/got.negz == -math.huge)
         assert(1/got.zero == math.huge)
         assert(got.big == 1e300 and got.tiny == 5e-324 and got.frac == 0.1)
         assert(got.inf == math.huge and got.ninf == -math.huge)
         assert(got.nan ~= got.nan)
         assert(got.two63 == 2^63 and got.ntwo63 == -2^63)",
    );
}

#[test]
fn large_strings_become_one_shared_binary() {
    let t = send("local s = string.rep('abc', 4 * 2^20) msg = { s, s, x = s }").unwrap();
    let Term::Tables(g) = &t else { panic!() };
    let (Term::Binary(a), Term::Binary(b)) = (&g.tables[0].array[0], &g.tables[0].array[1]) else {
        panic!()
    };
    assert_eq!(a.len(), 12 * (1 << 20));
    assert!(
        std::sync::Arc::ptr_eq(a, b),
        "one interned string, one binary"
    );
    check(
        &receive(&t),
        "assert(#got[1] == 12 * 2^20 and got[1] == string.rep('abc', 4 * 2^20))
         assert(got[1] == got[2] and got.x == got[1])",
    );
}

#[test]
fn nested_tables_keep_their_contents() {
    round_trip(
        "msg = { name = 'n', list = {1, 2, {3, {4}}, 'x'}, [1] = true, [2.5] = 'f',
                 [true] = false, deep = { a = { b = { c = 'd' } } }, holes = {1, nil, 3} }",
        "assert(got.name == 'n' and got[1] == true and got[2.5] == 'f' and got[true] == false)
         assert(got.list[1] == 1 and got.list[3][1] == 3 and got.list[3][2][1] == 4)
         assert(got.list[4] == 'x' and #got.list == 4)
         assert(got.deep.a.b.c == 'd')
         assert(got.holes[1] == 1 and got.holes[2] == nil and got.holes[3] == 3)
         local n = 0 for _ in pairs(got) do n = n + 1 end assert(n == 7)",
    );
}

#[test]
fn shared_sub_tables_arrive_shared() {
    round_trip(
        "local s = {v = 1} msg = {a = s, b = s, list = {s, s}}",
        "assert(got.a == got.b and got.list[1] == got.a and got.list[2] == got.a)
         got.a.v = 2 assert(got.b.v == 2)",
    );
}

#[test]
fn tables_as_keys_keep_identity() {
    round_trip(
        "local k = {name = 'k'} msg = {[k] = k, other = k}",
        "local key, val = next(got, nil)
         if key == 'other' then key, val = next(got, key) end
         assert(type(key) == 'table' and key == val and key == got.other and key.name == 'k')",
    );
}

#[test]
fn cycles_arrive_as_cycles() {
    round_trip(
        "local t = {} t.self = t msg = t",
        "assert(got.self == got and got.self.self == got)",
    );
    round_trip(
        "local a, b = {}, {} a.b = b b.a = a msg = {a = a}",
        "assert(got.a.b.a == got.a and got.a.b ~= got.a)",
    );
}

#[test]
fn each_message_materialises_fresh_tables() {
    let t = send("local s = {} msg = {s = s}").unwrap();
    let lua = receive(&t);
    lua.with_raw_state(|st| {
        st.cx(|cx| {
            let v = from_term(cx, &t);
            cx.set_global("again", v);
        })
    });
    check(&lua, "assert(got ~= again and got.s ~= again.s)");
}

#[test]
fn a_100000_deep_chain_converts_without_stack_overflow() {
    let setup = "local root = {} local t = root
                 for i = 1, 100000 do local n = {depth = i} t.next = n t = n end
                 t.leaf = true msg = root";
    // Run on a thread with a small stack to make the point: depth costs no Rust stack.
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let t = send(setup).unwrap();
            let Term::Tables(g) = &t else { panic!() };
            assert_eq!(g.tables.len(), 100_001);
            check(
                &receive(&t),
                "local t, n = got, 0
                 while t.next do t = t.next n = n + 1 assert(t.depth == n) end
                 assert(n == 100000 and t.leaf)",
            );
            drop(t);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_1000000_element_array_copies_quickly_and_keeps_its_shape() {
    let sender = Lua::new();
    sender
        .load("msg = {} for i = 1, 1000000 do msg[i] = i * 0.5 end")
        .exec()
        .unwrap();
    let start = std::time::Instant::now();
    let t = sender
        .with_raw_state(|st| {
            st.cx(|cx| {
                let msg = cx.get_global("msg");
                to_term(cx, msg)
            })
        })
        .unwrap();
    let sent = start.elapsed();
    let receiver = Lua::new();
    let start = std::time::Instant::now();
    let array_len = receiver.with_raw_state(|st| {
        st.cx(|cx| {
            let v = from_term(cx, &t);
            cx.set_global("got", v);
            cx.array_len(v.as_table().unwrap())
        })
    });
    let received = start.elapsed();
    eprintln!("1e6-element array: to_term {sent:?}, from_term {received:?}");
    assert_eq!(
        array_len, 1_000_000,
        "materialised straight into the array part"
    );
    // Generous bound: the tests run unoptimised; release builds take tens of ms.
    assert!(sent + received < std::time::Duration::from_secs(3));
    check(
        &receiver,
        "assert(#got == 1000000 and got[1] == 0.5 and got[1000000] == 500000)
         local s = 0 for i = 1, #got do s = s + got[i] end assert(s == 0.5 * 1000000 * 1000001 / 2)",
    );
}

#[test]
fn terms_cross_threads_and_states() {
    let t = send("msg = {greeting = 'hello', n = 3, list = {1, 2, 3}}").unwrap();
    std::thread::spawn(move || {
        let lua = receive(&t);
        check(
            &lua,
            "assert(got.greeting == 'hello' and got.n == 3 and got.list[3] == 3)",
        );
    })
    .join()
    .unwrap();
}

#[test]
fn functions_are_refused_with_their_place() {
    assert_eq!(send_err("msg = print"), "cannot send a function value");
    assert_eq!(
        send_err("msg = {cb = function() end}"),
        "cannot send a function value (in field 'cb')"
    );
    assert_eq!(
        send_err("msg = {a = {b = {1, print}}}"),
        "cannot send a function value (in field 'a.b[2]')"
    );
    assert_eq!(
        send_err("msg = {['not a name'] = {x = print}}"),
        "cannot send a function value (in field '[\"not a name\"].x')"
    );
    assert_eq!(
        send_err("msg = {[print] = 1}"),
        "cannot send a function value (as a table key)"
    );
    assert_eq!(
        send_err("msg = {a = {[print] = 1}}"),
        "cannot send a function value (as a key in field 'a')"
    );
}

#[test]
fn coroutines_and_userdata_are_refused() {
    assert_eq!(
        send_err("msg = {co = coroutine.create(print)}"),
        "cannot send a thread value (in field 'co')"
    );
    assert_eq!(
        send_err("msg = {out = io.stdout}"),
        "cannot send a userdata value (in field 'out')"
    );
    let lua = Lua::new();
    let err = lua.with_raw_state(|st| st.cx(|cx| to_term(cx, Val::LightUserData(16)).unwrap_err()));
    assert_eq!(err.to_string(), "cannot send a userdata value");
}

#[test]
fn erlang_shapes_have_a_provisional_lua_view() {
    use std::sync::Arc;
    let t = Term::Map(Arc::new([
        (
            Term::atom("ok"),
            Term::List(Arc::new([Term::Int(1), Term::Float(2.5)])),
        ),
        (
            Term::binary(b"t"),
            Term::Tuple(Arc::new([Term::atom("EXIT"), Term::TRUE])),
        ),
        (Term::NIL, Term::Int(1)), // no place in a Lua table: dropped
    ]));
    check(
        &receive(&t),
        "assert(got.ok[1] == 1 and got.ok[2] == 2.5 and #got.ok == 2)
         assert(got.t[1] == 'EXIT' and got.t[2] == true)
         local n = 0 for _ in pairs(got) do n = n + 1 end assert(n == 2)",
    );
    let lua = receive(&Term::Pid(cube_term::Pid::new(0, 7, 1)));
    check(&lua, "assert(got == '<0.7.1>')");
}
