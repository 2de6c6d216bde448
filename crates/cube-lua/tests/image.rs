//! Shared images (`cube_lua::image`): many states start from one frozen standard
//! library, read it in place from several threads, and copy it only when they write it.

use cube_lua::image::Image;
use cube_lua::State;

/// Runs `src`; its results as `tostring` shows them (panics on an error).
fn run(st: &mut State, src: &str) -> Vec<String> {
    st.push_chunk(src.as_bytes(), "=test").expect("compiles");
    match st.pcall(0, -1) {
        Ok(n) => {
            let top = st.top();
            let out = st.cx(|cx| {
                (top - n..top)
                    .map(|i| cx.describe(cx.stack_at(i)))
                    .collect()
            });
            st.set_top(top - n);
            out
        }
        Err(_) => panic!("{src}: {}", st.pop_error_message().unwrap_or_default()),
    }
}

#[test]
fn states_from_one_image_do_not_see_each_others_writes() {
    let image = Image::new(cube_lua::stdlib::open_libs);
    let mut a = State::from_image(&image);
    let mut b = State::from_image(&image);
    assert!(a.uses_shared_image() && b.uses_shared_image());
    run(
        &mut a,
        "string.shout = string.upper; x = 1; table.insert(package.searchers, print)",
    );
    assert!(!a.uses_shared_image());
    run(
        &mut a,
        "assert(('hi'):shout() == 'HI' and x == 1 and #package.searchers == 5)",
    );
    run(
        &mut b,
        "assert(string.shout == nil and x == nil and #package.searchers == 4)",
    );
    assert!(b.uses_shared_image(), "reading copies nothing");
}

#[test]
fn many_threads_read_one_image_at_once() {
    let image = Image::new(cube_lua::stdlib::open_libs);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let image = image.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let mut st = State::from_image(&image);
                    // Reads (and collections) on shared objects, then a private write.
                    run(
                        &mut st,
                        "local t = {} for k, v in pairs(string) do t[#t+1] = k end
                         collectgarbage() assert(#t > 10)
                         assert(('%d'):format(5) == '5' and getmetatable('').__index == string)",
                    );
                    run(
                        &mut st,
                        &format!("math.me = {i} collectgarbage() assert(math.me == {i})"),
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let mut st = State::from_image(&image);
    run(&mut st, "assert(math.me == nil)");
}

/// Every library function, called with each shared table as its first argument (and a
/// few more arguments), in a state that has written nothing yet: a function that writes
/// a shared table without copying it first trips the debug assertion in `Table`'s
/// mutators (tests run with debug assertions), which this test turns into a failure.
#[test]
fn no_library_function_writes_a_shared_table_in_place() {
    let image = Image::new(cube_lua::stdlib::open_libs);
    let mut lister = State::from_image(&image);
    let names = run(
        &mut lister,
        r#"
        local skip = {["os.exit"]=1, ["os.execute"]=1, ["os.remove"]=1, ["os.rename"]=1,
            ["os.tmpname"]=1, ["io.read"]=1, ["io.lines"]=1, ["io.open"]=1, ["io.popen"]=1,
            ["io.input"]=1, ["io.output"]=1, ["io.close"]=1, ["io.tmpfile"]=1, ["debug.debug"]=1,
            ["dofile"]=1, ["loadfile"]=1, ["print"]=1, ["io.write"]=1, ["require"]=1,
            ["debug.sethook"]=1}
        local out = {}
        for lib, t in pairs(_G) do
            if type(t) == "function" and not skip[lib] then out[#out + 1] = lib end
            if type(t) == "table" and lib ~= "_G" then
                for name, f in pairs(t) do
                    local full = lib .. "." .. name
                    if type(f) == "function" and not skip[full] then out[#out + 1] = full end
                end
            end
        end
        table.sort(out)
        return table.concat(out, " ")
        "#,
    );
    let names = names[0].clone();
    let targets = [
        "_G",
        "string",
        "table",
        "package.loaded",
        "package.searchers",
        "getmetatable('')",
        "debug.getregistry()",
    ];
    let mut calls = 0;
    for f in names.split(' ') {
        for t in targets {
            let mut st = State::from_image(&image);
            st.stdout = Box::new(std::io::sink());
            let src = format!(
                "local f, t = {f}, {t}
                 pcall(f, t, 'k', 1, 2)
                 pcall(f, t, 1, t)
                 pcall(f, t, function(a, b) return tostring(a) < tostring(b) end)"
            );
            run(&mut st, &src);
            calls += 1;
        }
    }
    assert!(calls > 7 * 100, "{calls} calls");
}

/// An image cannot hold what states would write in place. A Lua function left in one
/// was shared by every state: its upvalues (one state's `n = n + 1` was seen by the
/// others, from any thread, and could point into another state's heap) and the caches
/// CLOSURE writes into its prototype instance (which then pointed at one state's
/// objects, freed by that state's collector while the others used them).
#[test]
fn an_image_refuses_what_states_would_write_in_place() {
    let refused = |src: &'static str| {
        std::panic::catch_unwind(|| {
            Image::new(|st| {
                cube_lua::stdlib::open_libs(st);
                run(st, src);
            })
        })
        .err()
        .and_then(|e| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| format!("accepted: {src}"))
    };
    assert_eq!(
        refused("local n = 0 function inc() n = n + 1 return n end"),
        "an image cannot hold a Lua function: the states sharing it would write it"
    );
    assert_eq!(
        refused("co = coroutine.create(print)"),
        "an image cannot hold a coroutine: the states sharing it would write it"
    );
    assert_eq!(
        refused("it = string.gmatch('abc', '.')"),
        "an image cannot hold a string.gmatch iterator: the states sharing it would write it"
    );
    // Setup may run Lua code: what it leaves unreachable is not frozen.
    let image = Image::new(|st| {
        cube_lua::stdlib::open_libs(st);
        run(st, "local f = function() return 1 end answer = f() + 41");
    });
    let mut a = State::from_image(&image);
    assert_eq!(run(&mut a, "return tostring(answer)")[0], "42");
}
