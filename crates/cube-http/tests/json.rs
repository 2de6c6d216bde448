//! The `json` library as a Lua program meets it: round trips, the array and null
//! markers, escapes and surrogate pairs, numbers, errors with byte positions, depth
//! limits on hostile nesting, and the reductions a large decode or encode is charged.

use cube_lua::State;

fn state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    cube_http::json::open(&mut st);
    st
}

fn eval_in(st: &mut State, src: &str) -> Result<String, String> {
    st.push_chunk(src.as_bytes(), "=test")
        .map_err(|e| e.message)?;
    match st.pcall(0, 1) {
        Ok(_) => Ok(st.cx(|cx| {
            let v = cx.stack_at(cx.top() - 1);
            let s = cx.describe(v);
            cx.set_top(cx.top() - 1);
            s
        })),
        // Errors carry the position of the calling chunk, as every native's do.
        Err(_) => Err(st
            .pop_error_message()
            .unwrap_or_default()
            .trim_start_matches("test:1: ")
            .to_string()),
    }
}

fn ok(src: &str) -> String {
    eval_in(&mut state(), src).unwrap_or_else(|e| panic!("{src}\n  raised: {e}"))
}

fn err(src: &str) -> String {
    match eval_in(&mut state(), src) {
        Ok(v) => panic!("expected an error from {src:?}, got {v:?}"),
        Err(e) => e,
    }
}

/// `json.encode(json.decode(text))`.
fn reencode(text: &str) -> String {
    let src = format!("return json.encode(json.decode({text:?}))");
    ok(&src)
}

#[test]
fn round_trips_keep_arrays_objects_and_null() {
    for text in [
        "[]",
        "{}",
        "[[],{}]",
        r#"{"a":[]}"#,
        "[1,2,3]",
        r#"[null,true,false,"x",0.5,-3]"#,
        r#"{"k":{"k":{"k":[null]}}}"#,
        r#""plain""#,
        "null",
        "1e300",
        "-0",
    ] {
        assert_eq!(reencode(text), text);
    }
    // White space goes, one key of an object keeps its value (the last duplicate wins).
    assert_eq!(reencode(" [ 1 , { \"a\" : 2 } ]\n"), r#"[1,{"a":2}]"#);
    assert_eq!(reencode(r#"{"a":1,"a":2}"#), r#"{"a":2}"#);
    assert_eq!(ok(r#"return json.decode('[1,2]')[2]"#), "2");
    assert_eq!(ok("return json.decode('null') == json.null"), "true");
    assert_eq!(
        ok("return getmetatable(json.decode('[]')) == json.array_mt"),
        "true"
    );
    assert_eq!(ok("return getmetatable(json.decode('{}'))"), "nil");
    assert_eq!(ok("return require('json') == json"), "true");
}

#[test]
fn encode_chooses_arrays_and_objects_as_documented() {
    assert_eq!(ok("return json.encode({1, 2, 3})"), "[1,2,3]");
    assert_eq!(ok("return json.encode({})"), "{}");
    assert_eq!(ok("return json.encode(json.array())"), "[]");
    assert_eq!(ok("return json.encode(json.array({7}))"), "[7]");
    assert_eq!(ok("return json.encode(json.empty_array)"), "[]");
    assert_eq!(ok("return json.encode({json.null, 2})"), "[null,2]");
    // A hole, a zero key or extra keys make an object; number keys are quoted.
    assert_eq!(
        ok("return json.encode({[1] = 1, [3] = 3})").len(),
        r#"{"1":1,"3":3}"#.len()
    );
    assert_eq!(ok("return json.encode({[2] = 'b'})"), r#"{"2":"b"}"#);
    assert_eq!(ok("return json.encode({[1.5] = true})"), r#"{"1.5":true}"#);
    assert_eq!(ok("local t = {1, 2} t.x = 1 return #json.encode(t)"), "19");
    assert_eq!(
        ok("return json.encode({a = {b = {}}})"),
        r#"{"a":{"b":{}}}"#
    );
    // The marker makes an array of 1..#t, whatever else the table holds.
    assert_eq!(
        ok("local t = json.array({1, 2}) t.x = 1 return json.encode(t)"),
        "[1,2]"
    );
    assert!(err("return json.encode({[true] = 1})").contains("cannot encode a key of type boolean"));
    assert!(err("return json.encode({print})").contains("cannot encode a function"));
    assert!(err("return json.encode()").contains("bad argument #1"));
}

#[test]
fn numbers_print_exactly() {
    for (lua, want) in [
        ("1", "1"),
        ("-3", "-3"),
        ("0", "0"),
        ("-0.0", "-0"),
        ("0.1", "0.1"),
        ("1/3", "0.3333333333333333"),
        ("2^53", "9007199254740992"),
        ("2^63", "9.223372036854776e18"),
        ("1e300", "1e300"),
        ("-1.5e-7", "-1.5e-7"),
        ("123456.789", "123456.789"),
    ] {
        assert_eq!(ok(&format!("return json.encode({lua})")), want, "{lua}");
    }
    // Every printed double reads back as itself.
    assert_eq!(
        ok("for _, x in ipairs({0.1, 1/3, 2^63, 1e300, -1.5e-7, 5e-324, 1.7976931348623157e308}) do
              assert(json.decode(json.encode(x)) == x, x)
            end
            return 'same'"),
        "same"
    );
    assert_eq!(
        ok("return json.decode('12345678901234567890')"),
        "1.2345678901235e+19"
    );
    assert_eq!(ok("return json.decode('-0.5E+2')"), "-50");
    assert_eq!(ok("return json.decode('1e400')"), "inf");
    assert!(err("return json.encode(0/0)").contains("json.encode: cannot encode NaN"));
    assert!(err("return json.encode({x = 1/0})").contains("cannot encode an infinity"));
}

#[test]
fn strings_escape_and_unescape() {
    assert_eq!(
        ok(r#"return json.encode("a\"b\\c\n\t\1\127/é")"#),
        "\"a\\\"b\\\\c\\n\\t\\u0001\u{7f}/é\""
    );
    assert_eq!(
        ok(
            r#"return json.decode('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac"') == "\"\\/\b\f\n\r\tAé€""#
        ),
        "true"
    );
    // A surrogate pair is one code point, four UTF-8 bytes.
    assert_eq!(
        ok(r#"return json.decode('"\\ud83d\\ude00"') == "\240\159\152\128""#),
        "true"
    );
    assert_eq!(ok(r#"return #json.decode('"\\uD83D\\uDE00"')"#), "4");
    // Every control character survives a round trip.
    assert_eq!(
        ok("local s = '' for i = 0, 31 do s = s .. string.char(i) end
            return json.decode(json.encode(s)) == s"),
        "true"
    );
    assert!(err(r#"return json.encode("\255")"#).contains("invalid UTF-8 in string at byte 1"));
    assert!(
        err(r#"return json.encode({["a\255"] = 1})"#).contains("invalid UTF-8 in key at byte 2")
    );
}

#[test]
fn decode_errors_name_the_byte() {
    for (text, want) in [
        ("", "expected value at byte 1 (end of input)"),
        ("[1,2,", "expected value at byte 6 (end of input)"),
        ("[1 2]", "expected ',' or ']' at byte 4"),
        (r#"{"a" 1}"#, "expected ':' at byte 6"),
        (r#"{"a":1,}"#, "expected string key at byte 8"),
        ("{1:2}", "expected string key at byte 2"),
        ("[1,]", "expected value at byte 4"),
        ("01", "unexpected text after the value at byte 2"),
        ("[1] x", "unexpected text after the value at byte 5"),
        ("-", "expected digit at byte 2 (end of input)"),
        ("1.", "expected digit at byte 3 (end of input)"),
        ("1e+", "expected digit at byte 4 (end of input)"),
        ("tru", "expected value at byte 1"),
        ("NaN", "expected value at byte 1"),
        ("'x'", "expected value at byte 1"),
        (r#""abc"#, "unterminated string at byte 5 (end of input)"),
        ("\"a\nb\"", "control character in string at byte 3"),
        (r#""\x""#, "bad escape at byte 2"),
        (r#""\u12g4""#, "bad \\u escape at byte 6"),
        (r#""\ud800""#, "lone surrogate at byte 2"),
        (r#""ab\udc00""#, "lone surrogate at byte 4"),
        (r#""\ud800\u0041""#, "lone surrogate at byte 2"),
        ("\"\u{e9}\"", "never"),
    ] {
        let src = format!("return json.decode({text:?})");
        if want == "never" {
            ok(&src);
            continue;
        }
        let e = err(&src);
        assert_eq!(e, format!("json.decode: {want}"), "{text:?}");
    }
    assert_eq!(
        err("return json.decode('[\"\\255\"]')"),
        "json.decode: invalid UTF-8 at byte 3"
    );
    assert!(err("return json.decode({})").contains("bad argument #1"));
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    for open in ["[", "{\"a\":"] {
        let src = format!("return json.decode(string.rep({open:?}, 100000))");
        assert_eq!(
            err(&src),
            format!(
                "json.decode: nested deeper than 1000 levels at byte {}",
                1000 * open.len() + 1
            )
        );
    }
    // Closed, 100k deep: still refused at the default, accepted when asked for.
    let deep = "local s = string.rep('[', 100000) .. string.rep(']', 100000)";
    assert!(err(&format!("{deep} return json.decode(s)")).contains("nested deeper than 1000"));
    assert_eq!(
        ok(&format!(
            "{deep} local v = json.decode(s, {{max_depth = 100000}})
             return #json.encode(v, {{max_depth = 100000}}) == #s"
        )),
        "true"
    );
    assert_eq!(
        ok("return json.encode(json.decode('[[1]]', {max_depth = 2}))"),
        "[[1]]"
    );
    assert!(err("return json.decode('[[1]]', {max_depth = 1})")
        .contains("nested deeper than 1 levels at byte 2"));
    // Encoding a cycle or a deep chain stops at the depth limit.
    assert!(err("local t = {} t[1] = t return json.encode(t)")
        .contains("json.encode: nested deeper than 1000 tables"));
    assert!(
        err("local t = {} for i = 1, 1001 do t = {t} end return json.encode(t)")
            .contains("nested deeper than 1000")
    );
    assert_eq!(
        ok("local t = {} for i = 1, 999 do t = {t} end return #json.encode(t)"),
        "2000"
    );
    assert!(err("return json.encode(1, {max_depth = 0})")
        .contains("max_depth must be an integer from 1 to 100000"));
    assert!(err("return json.encode(1, {max_depth = 1e9})").contains("max_depth must be"));
}

#[test]
fn big_documents_round_trip_and_are_charged() {
    let mut st = state();
    let src = "local items = {}
               for i = 1, 20000 do
                 items[i] = {id = i, name = 'item ' .. i, tags = json.array({'a', 'b'}), price = i / 4}
               end
               s = json.encode({items = items, n = #items})
               local back = json.decode(s)
               assert(back.n == 20000 and back.items[20000].name == 'item 20000')
               assert(back.items[3].price == 0.75 and back.items[7].tags[2] == 'b')
               assert(json.encode(back):len() == s:len())
               return #s";
    let len: usize = eval_in(&mut st, src).unwrap().parse().unwrap();
    assert!(len > 1_000_000, "{len}");
    // A decode costs at least a reduction per value and per 64 bytes; no limit here,
    // so the budget only goes down.
    st.cx(|cx| cx.set_budget(1_000_000_000_000));
    eval_in(&mut st, "json.decode(s)").unwrap();
    let spent = 1_000_000_000_000 - st.cx(|cx| cx.budget());
    // Seven values an item: its table, id, name, tags and their two strings, price.
    let values = 20000 * 7;
    assert!(spent as usize >= len / 64 + values, "spent {spent}");
    st.cx(|cx| cx.set_budget(1_000_000_000_000));
    eval_in(&mut st, "json.encode(json.decode(s))").unwrap();
    let spent2 = 1_000_000_000_000 - st.cx(|cx| cx.budget());
    assert!(spent2 as usize >= 2 * (len / 64 + values), "spent {spent2}");
}

/// The fuzz target's seeds (fuzz/seeds/json_decode), and bytes of them changed at
/// random: decode never panics, and whatever decodes encodes to a text that decodes
/// and encodes to the same length (as `fuzz/fuzz_targets/json_decode.rs` checks).
#[test]
fn mutated_seeds_never_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds/json_decode");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(seeds.len() >= 8);
    seeds.sort();
    let mut st = state();
    st.push_chunk(
        br#"
        local s = ...
        local ok, v = pcall(json.decode, s)
        if not ok then assert(v:find("json.decode: ", 1, true), v) return 0 end
        local ok2, t = pcall(json.encode, v)
        if not ok2 then assert(t:find("infinity", 1, true), t) return 1 end
        assert(#json.encode(json.decode(t)) == #t)
        return 2
        "#,
        "=harness",
    )
    .unwrap();
    st.cx(|cx| {
        let f = cx.stack_at(cx.top() - 1);
        cx.set_global("harness", f)
    });
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let alphabet = b"[]{}\",:0123456789.eE+-truefalsnul \\u\t\x01\xff\xed";
    let mut outcomes = [0usize; 3];
    for round in 0..3000 {
        let mut input = seeds[round % seeds.len()].clone();
        for _ in 0..(next() % 4 + 1) {
            let pos = (next() as usize) % (input.len() + 1);
            let b = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 if pos < input.len() => input[pos] = b,
                1 if pos < input.len() => {
                    input.remove(pos);
                }
                _ => input.insert(pos, b),
            }
        }
        st.cx(|cx| {
            let h = cx.get_global("harness");
            cx.push(h);
            cx.push_str(&input);
        });
        match st.pcall(1, 1) {
            Ok(_) => {
                let n = st.cx(|cx| {
                    let v = cx.stack_at(cx.top() - 1).as_num();
                    cx.set_top(cx.top() - 1);
                    v
                });
                outcomes[n.unwrap() as usize] += 1;
            }
            Err(_) => panic!(
                "{:?}: {}",
                String::from_utf8_lossy(&input),
                st.pop_error_message().unwrap_or_default()
            ),
        }
    }
    // Both paths are taken: texts refused and texts round-tripped.
    assert!(outcomes[0] > 100 && outcomes[2] > 100, "{outcomes:?}");
}
