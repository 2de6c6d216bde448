//! Small programs through every layer that rests on `unsafe` (the collector, strings,
//! tables, upvalues, coroutines, userdata, shared images, the host interface and the
//! embedding API), with nothing but the public, safe API. They are short so that
//! `scripts/test-sanitizers` can run them under Miri, where any undefined behaviour
//! they reach (a use after free, an aliasing violation) is an error.

use cube_lua::host::Val;
use cube_lua::image::Image;
use cube_lua::{Lua, State};

fn state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
}

/// Runs `src`; its first result as text, or the error message.
fn run(st: &mut State, src: &str) -> Result<String, String> {
    st.push_chunk(src.as_bytes(), "=t").map_err(|e| e.message)?;
    match st.pcall(0, 1) {
        Ok(_) => {
            let top = st.top();
            let out = st.cx(|cx| cx.describe(cx.stack_at(top - 1)));
            st.set_top(top - 1);
            Ok(out)
        }
        Err(_) => Err(st.pop_error_message().unwrap_or_default()),
    }
}

#[test]
fn the_collector_frees_garbage_and_keeps_what_is_reachable() {
    let mut st = state();
    let src = r#"
        local keep = {}
        for i = 1, 200 do
            local t = {i, tostring(i), {i}}
            if i % 10 == 0 then keep[#keep + 1] = t end
        end
        collectgarbage()
        local weak = setmetatable({}, {__mode = "k"})
        weak[{}] = 1
        weak[keep[1]] = 2
        local finalized = 0
        for i = 1, 5 do setmetatable({}, {__gc = function() finalized = finalized + 1 end}) end
        collectgarbage()
        local n = 0
        for _ in pairs(weak) do n = n + 1 end
        return #keep .. " " .. keep[20][2] .. " " .. n .. " " .. finalized
    "#;
    assert_eq!(run(&mut st, src).unwrap(), "20 200 1 5");
}

#[test]
fn upvalues_and_coroutines_share_cells_across_collections() {
    let mut st = state();
    let src = r#"
        local function counter()
            local n = 0
            return function() n = n + 1 return n end, function() return n end
        end
        local inc, get = counter()
        local co = coroutine.wrap(function()
            for i = 1, 3 do inc() coroutine.yield(get()) end
            return "done"
        end)
        local seen = {}
        for i = 1, 4 do seen[#seen + 1] = co() collectgarbage() end
        return table.concat(seen, ",")
    "#;
    assert_eq!(run(&mut st, src).unwrap(), "1,2,3,done");
}

#[test]
fn strings_and_tables_grow_and_rehash() {
    let mut st = state();
    let src = r#"
        local t = {}
        for i = 1, 300 do t["k" .. i] = i end
        for i = 1, 300, 2 do t["k" .. i] = nil end
        for i = 1, 100 do t[i] = i * 2 end
        collectgarbage()
        local s = string.rep("ab", 50) .. ("x"):rep(3)
        local n = 0
        for k, v in pairs(t) do n = n + 1 end
        return n .. " " .. #t .. " " .. #s .. " " .. t.k300
    "#;
    assert_eq!(run(&mut st, src).unwrap(), "250 100 103 300");
}

struct Counter(u32);

#[test]
fn userdata_payloads_are_borrowed_through_the_context() {
    let mut st = state();
    st.cx(|cx| {
        let u = cx.new_userdata(Counter(1), None);
        cx.set_global("u", u);
    });
    run(&mut st, "collectgarbage()").unwrap();
    let n = st.cx(|cx| {
        let u = cx.get_global("u");
        cx.userdata_mut::<Counter>(u).unwrap().0 += 1;
        cx.userdata_get::<Counter>(u).unwrap().0
    });
    assert_eq!(n, 2);
}

#[test]
fn states_made_from_an_image_copy_what_they_write() {
    let image = Image::new(|st| {
        cube_lua::stdlib::open_libs(st);
        st.cx(|cx| {
            let t = cx.new_table();
            cx.set_field(t, "x", Val::Num(1.0));
            cx.set_global("shared", Val::Table(t));
        });
    });
    let mut a = State::from_image(&image);
    let mut b = State::from_image(&image);
    assert_eq!(
        run(&mut a, "shared.x = 2 collectgarbage() return shared.x").unwrap(),
        "2"
    );
    assert_eq!(run(&mut b, "return shared.x").unwrap(), "1");
    drop(a);
    assert_eq!(
        run(&mut b, "string.extra = 1 return shared.x + string.extra").unwrap(),
        "2"
    );
}

#[test]
fn a_script_cannot_replace_a_callbacks_private_upvalue() {
    // Issue 10: the embedding API's trampoline trusted its first upvalue, which
    // debug.setupvalue could replace from Lua; natives' upvalues are now private.
    let lua = Lua::new();
    let f = lua.create_function(|_, x: i64| Ok(x + 1)).unwrap();
    lua.globals().set("f", f).unwrap();
    let n: i64 = lua
        .load("debug.setupvalue(f, 1, {}) debug.setupvalue(f, 2, 'x') return f(41)")
        .eval()
        .unwrap();
    assert_eq!(n, 42);
}

#[test]
fn embedding_handles_keep_values_alive_across_collections() {
    let lua = Lua::new();
    let t: cube_lua::Table = lua.load("return {1, 2, {3}}").eval().unwrap();
    lua.load("collectgarbage() collectgarbage()")
        .exec()
        .unwrap();
    let inner: cube_lua::Table = t.get(3).unwrap();
    assert_eq!(inner.get::<_, i64>(1).unwrap(), 3);
    drop(lua);
    // The handles keep the state alive: still readable.
    assert_eq!(t.get::<_, i64>(2).unwrap(), 2);
}

#[test]
fn functions_made_in_states_of_one_image_share_their_prototype() {
    // A function whose constants are all the image's strings (and numbers) gets one
    // prototype instance for every state of the image (`Heap::shared_instance`): it
    // must outlive them all and survive their collections.
    let image = Image::new(cube_lua::stdlib::open_libs);
    let mut a = State::from_image(&image);
    run(
        &mut a,
        "f = function(x) return type(x), math.floor(x * 2.5) end \
         h = function() return function() return 1 end end",
    )
    .unwrap();
    let export = |st: &mut State, name: &str| {
        st.cx(|cx| {
            let Val::Function(f) = cx.get_global(name) else {
                panic!("{name} is a function");
            };
            match cx.export_function(f, &mut |_, _, _| Err::<(), ()>(())) {
                Ok(p) => p,
                Err(_) => panic!("{name} exports"),
            }
        })
    };
    let (f, h) = (export(&mut a, "f"), export(&mut a, "h"));
    drop(a);
    for _ in 0..2 {
        let mut b = State::from_image(&image);
        b.cx(|cx| {
            let g = cx.import_function(&f, &mut |_, _| Val::Nil);
            cx.set_global("g", g);
            let k = cx.import_function(&h, &mut |_, _| Val::Nil);
            cx.set_global("k", k);
        });
        assert_eq!(
            run(
                &mut b,
                "collectgarbage() local t, n = g(3) collectgarbage() \
                 return t .. n .. k()()"
            )
            .unwrap(),
            "number71"
        );
    }
}
