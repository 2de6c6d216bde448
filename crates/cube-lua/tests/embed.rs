//! Tests of the high-level embedding API (`cube_lua::api`).

use cube_lua::api::{Error, MultiValue, Value, Variadic};
use cube_lua::{Function, Lua, Table, UserData, UserDataMethods};
use std::collections::HashMap;

#[test]
fn eval_and_exec() {
    let lua = Lua::new();
    assert_eq!(lua.load("1 + 2").eval::<i64>().unwrap(), 3);
    lua.load("x = 'hello'").exec().unwrap();
    assert_eq!(lua.globals().get::<_, String>("x").unwrap(), "hello");
    let (a, b): (f64, Option<String>) = lua.load("return 1.5, nil").eval().unwrap();
    assert_eq!((a, b), (1.5, None));
    let f = lua
        .load("local a, b = ... return a * b")
        .into_function()
        .unwrap();
    assert_eq!(f.call::<_, i32>((6, 7)).unwrap(), 42);
}

#[test]
fn conversions_round_trip() {
    let lua = Lua::new();
    let id = lua
        .load("return function(...) return ... end")
        .eval::<Function>()
        .unwrap();
    assert!(id.call::<_, bool>(true).unwrap());
    assert_eq!(id.call::<_, u32>(7u32).unwrap(), 7);
    assert_eq!(id.call::<_, i8>(-5i8).unwrap(), -5);
    assert_eq!(id.call::<_, f32>(0.5f32).unwrap(), 0.5);
    assert_eq!(id.call::<_, String>("héllo").unwrap(), "héllo");
    assert_eq!(
        id.call::<_, Vec<i64>>(vec![1, 2, 3]).unwrap(),
        vec![1, 2, 3]
    );
    let mut m = HashMap::new();
    m.insert("a".to_string(), 1i64);
    m.insert("b".to_string(), 2i64);
    assert_eq!(id.call::<_, HashMap<String, i64>>(m.clone()).unwrap(), m);
    assert_eq!(id.call::<_, Option<i64>>(None::<i64>).unwrap(), None);
    let bytes = lua.create_string(b"\xff\x00x");
    let s: cube_lua::LuaString = id.call(&bytes).unwrap();
    assert_eq!(s.as_bytes(), b"\xff\x00x");
    assert!(s.to_str().is_err());
    // Tuples up to 8, with missing values as nil.
    let r: (i32, i32, i32, i32, i32, i32, i32, Option<i32>) =
        id.call((1, 2, 3, 4, 5, 6, 7)).unwrap();
    assert_eq!(r, (1, 2, 3, 4, 5, 6, 7, None));
    let Variadic(all) = id.call::<_, Variadic<i64>>((1, 2, 3)).unwrap();
    assert_eq!(all, vec![1, 2, 3]);
    let mv: MultiValue = id.call(("x", 1)).unwrap();
    assert_eq!(mv.len(), 2);
    assert_eq!(mv[1], Value::Number(1.0));
    // Numbers from strings and strings from numbers, as Lua coerces.
    assert_eq!(id.call::<_, i64>("12").unwrap(), 12);
    assert_eq!(id.call::<_, String>(2.5).unwrap(), "2.5");
    assert_eq!(lua.load("10 / 4").eval::<String>().unwrap(), "2.5");
}

#[test]
fn conversion_errors() {
    let lua = Lua::new();
    let e = lua.load("{}").eval::<f64>().unwrap_err();
    assert_eq!(e.to_string(), "expected number, got table");
    assert!(matches!(
        lua.load("1.5").eval::<i32>(),
        Err(Error::FromLua { .. })
    ));
    assert!(matches!(
        lua.load("300").eval::<u8>(),
        Err(Error::FromLua { .. })
    ));
    assert!(matches!(
        lua.load("-1").eval::<usize>(),
        Err(Error::FromLua { .. })
    ));
    assert!(matches!(
        lua.load("2^63").eval::<i64>(),
        Err(Error::FromLua { .. })
    ));
    assert!(lua.globals().set("big", i64::MAX).is_err());
    assert_eq!(lua.load("2^53").eval::<i64>().unwrap(), 1 << 53);
}

#[test]
fn lua_errors_reach_rust() {
    let lua = Lua::new();
    match lua.load("error('boom')").set_name("=chunk").exec() {
        Err(Error::Runtime { message, traceback }) => {
            assert_eq!(message, "chunk:1: boom");
            assert!(traceback.unwrap().contains("stack traceback"));
        }
        other => panic!("{other:?}"),
    }
    match lua.load("x = = 1").set_name("=bad").exec() {
        Err(Error::Syntax(m)) => assert!(m.starts_with("bad:1:"), "{m}"),
        other => panic!("{other:?}"),
    }
    let e = lua.load("error({})").exec().unwrap_err();
    assert!(e.message().contains("table"), "{e}");
    // The state is still usable.
    assert_eq!(lua.load("1").eval::<i32>().unwrap(), 1);
}

#[test]
fn callbacks() {
    let lua = Lua::new();
    let add = lua
        .create_function(|_, (a, b): (i64, String)| Ok(format!("{b}{a}")))
        .unwrap();
    lua.globals().set("add", add).unwrap();
    assert_eq!(lua.load("add(1, 'x')").eval::<String>().unwrap(), "x1");
    // Argument errors read like the standard library's.
    let e = lua.load("add({}, 'x')").set_name("=t").exec().unwrap_err();
    assert_eq!(
        e.message(),
        "t:1: bad argument #1 to 'add' (expected i64, got table)"
    );
    // Errors from Rust can be caught with pcall.
    let fail = lua
        .create_function(|_, ()| -> cube_lua::api::Result<()> { Err(Error::runtime("nope")) })
        .unwrap();
    lua.globals().set("fail", fail).unwrap();
    let (ok, msg): (bool, String) = lua.load("pcall(fail)").eval().unwrap();
    assert!(!ok);
    assert_eq!(msg, "nope");
    // Panics become Lua errors.
    let p = lua
        .create_function(|_, ()| -> cube_lua::api::Result<()> { panic!("oops") })
        .unwrap();
    lua.globals().set("p", p).unwrap();
    let (ok, msg): (bool, String) = lua.load("pcall(p)").eval().unwrap();
    assert!(!ok && msg.contains("oops"), "{msg}");
    // Multiple results and variadic arguments.
    let sum = lua
        .create_function(|_, Variadic(xs): Variadic<f64>| Ok((xs.iter().sum::<f64>(), xs.len())))
        .unwrap();
    lua.globals().set("sum", sum).unwrap();
    let (s, n): (f64, usize) = lua.load("sum(1, 2, 3.5)").eval().unwrap();
    assert_eq!((s, n), (6.5, 3));
    // Mutable state.
    let mut count = 0;
    let counter = lua
        .create_function_mut(move |_, ()| {
            count += 1;
            Ok(count)
        })
        .unwrap();
    lua.globals().set("counter", counter).unwrap();
    assert_eq!(
        lua.load("counter() + counter() + counter()")
            .eval::<i32>()
            .unwrap(),
        6
    );
}

#[test]
fn callbacks_call_back_into_lua() {
    let lua = Lua::new();
    let apply = lua
        .create_function(|lua, (f, x): (Function, i64)| {
            let t = lua.create_table();
            t.set("v", x)?;
            f.call::<_, i64>(t)
        })
        .unwrap();
    lua.globals().set("apply", apply).unwrap();
    let r: i64 = lua
        .load("apply(function(t) return t.v * 2 end, 21)")
        .eval()
        .unwrap();
    assert_eq!(r, 42);
    // Re-entry through Lua: a callback calling a Lua function calling the callback.
    lua.load("function rec(n) if n == 0 then return 0 end return apply(function(t) return rec(t.v - 1) + 1 end, n) end")
        .exec()
        .unwrap();
    assert_eq!(lua.load("rec(20)").eval::<i64>().unwrap(), 20);
    // Errors inside propagate out of both layers.
    let e = lua
        .load("apply(function() error('deep') end, 1)")
        .exec()
        .unwrap_err();
    assert!(e.message().ends_with("deep"), "{e}");
    // A callback cannot yield.
    let co = lua
        .load("local co = coroutine.wrap(function() apply(function() coroutine.yield(1) end, 0) end) return pcall(co)")
        .eval::<(bool, String)>()
        .unwrap();
    assert!(!co.0 && co.1.contains("yield"), "{}", co.1);
}

#[test]
fn tables_raw_and_meta() {
    let lua = Lua::new();
    let t = lua.create_table();
    t.set(1, "a").unwrap();
    t.set(2, "b").unwrap();
    t.raw_set("k", 3.5).unwrap();
    assert_eq!(t.len().unwrap(), 2);
    assert_eq!(t.raw_len(), 2);
    assert!(t.raw_set(Value::Nil, 1).is_err());
    let mut keys: Vec<String> = t
        .pairs::<Value, Value>()
        .map(|kv| format!("{:?}", kv.unwrap().0))
        .collect();
    keys.sort();
    assert_eq!(keys.len(), 3);
    let seq: Vec<String> = t.sequence_values().collect::<Result<_, _>>().unwrap();
    assert_eq!(seq, vec!["a", "b"]);
    // Metamethods: get/set/len honour them, raw_* do not.
    let proxy: Table = lua
        .load("return setmetatable({}, {__index = function(_, k) return k .. '!' end, __len = function() return 99 end})")
        .eval()
        .unwrap();
    assert_eq!(proxy.get::<_, String>("x").unwrap(), "x!");
    assert_eq!(proxy.raw_get::<_, Option<String>>("x").unwrap(), None);
    assert_eq!(proxy.len().unwrap(), 99);
    assert_eq!(proxy.raw_len(), 0);
    let mt = lua.create_table();
    mt.set("__index", &t).unwrap();
    let child = lua.create_table();
    child.set_metatable(Some(&mt)).unwrap();
    assert_eq!(child.get::<_, f64>("k").unwrap(), 3.5);
    assert!(child.metatable().unwrap() == mt);
}

#[test]
fn handles_survive_collection() {
    let lua = Lua::new();
    let base = lua.pinned_handles();
    {
        let t = lua.create_table();
        for i in 1..=100 {
            t.set(i, format!("value {i}")).unwrap();
        }
        let s = lua.create_string("a string only Rust holds");
        let f = lua
            .load("local n = 0 return function() n = n + 1 return n end")
            .eval::<Function>()
            .unwrap();
        for _ in 0..20 {
            lua.load("collectgarbage() local x = {} for i = 1, 1000 do x[i] = {tostring(i)} end collectgarbage()")
                .exec()
                .unwrap();
        }
        lua.gc_collect().unwrap();
        assert_eq!(t.get::<_, String>(50).unwrap(), "value 50");
        assert_eq!(s.to_str().unwrap(), "a string only Rust holds");
        assert_eq!(f.call::<_, i32>(()).unwrap(), 1);
        assert_eq!(f.call::<_, i32>(()).unwrap(), 2);
        // Pairs iteration with collections in between.
        let mut n = 0;
        for kv in t.pairs::<i64, String>() {
            let (k, v) = kv.unwrap();
            assert_eq!(v, format!("value {k}"));
            lua.load("collectgarbage()").exec().unwrap();
            n += 1;
        }
        assert_eq!(n, 100);
        assert!(lua.pinned_handles() > base);
    }
    assert_eq!(lua.pinned_handles(), base);
}

#[test]
fn no_pin_leaks() {
    let lua = Lua::new();
    let f = lua.create_function(|lua, t: Table| {
        let v: Vec<i64> = t.get("xs")?;
        lua.create_sequence_from(v.iter().map(|x| x * 2))
    });
    lua.globals().set("f", f.unwrap()).unwrap();
    let base = lua.pinned_handles();
    for _ in 0..100 {
        let r: Vec<i64> = lua.load("f({xs = {1, 2, 3}})").eval().unwrap();
        assert_eq!(r, vec![2, 4, 6]);
        let _ = lua.load("f(1)").exec().unwrap_err();
        let _: HashMap<String, Value> = lua.load("{a = {}, b = print, c = 'x'}").eval().unwrap();
    }
    assert_eq!(lua.pinned_handles(), base);
}

struct Counter {
    n: i64,
    name: String,
}

impl UserData for Counter {
    fn add_methods(m: &mut UserDataMethods<Self>) {
        m.add_method("get", |_, this, ()| Ok(this.n));
        m.add_method_mut("add", |_, this, by: Option<i64>| {
            this.n += by.unwrap_or(1);
            Ok(this.n)
        });
        m.add_function("new", |lua, n: i64| {
            lua.create_userdata(Counter {
                n,
                name: "made in Lua".into(),
            })
        });
        m.add_meta_method("__tostring", |_, this, ()| {
            Ok(format!("Counter({}, {})", this.name, this.n))
        });
        m.add_meta_function("__add", |_, (a, b): (cube_lua::AnyUserData, i64)| {
            let n = a.borrow::<Counter>()?.n;
            Ok(n + b)
        });
        m.add_meta_method("__index", |_, this, key: String| {
            Ok(format!("{}.{key}", this.name))
        });
    }
}

#[test]
fn userdata_methods() {
    let lua = Lua::new();
    let c = lua
        .create_userdata(Counter {
            n: 10,
            name: "c".into(),
        })
        .unwrap();
    lua.globals().set("c", &c).unwrap();
    assert_eq!(
        lua.load("c:add() c:add(5) return c:get()")
            .eval::<i64>()
            .unwrap(),
        16
    );
    assert_eq!(c.borrow::<Counter>().unwrap().n, 16);
    assert_eq!(
        lua.load("tostring(c)").eval::<String>().unwrap(),
        "Counter(c, 16)"
    );
    assert_eq!(lua.load("c + 4").eval::<i64>().unwrap(), 20);
    assert_eq!(
        lua.load("c.whatever").eval::<String>().unwrap(),
        "c.whatever"
    );
    assert_eq!(lua.load("c.new(3):get()").eval::<i64>().unwrap(), 3);
    // Wrong self and wrong argument types.
    let e = lua.load("c.get(1)").set_name("=u").exec().unwrap_err();
    assert!(e.message().contains("bad argument #1"), "{e}");
    let e = lua.load("c:add('x')").set_name("=u").exec().unwrap_err();
    assert!(e.message().contains("bad argument #1 to 'add'"), "{e}");
    c.borrow_mut::<Counter>().unwrap().n = 0;
    assert_eq!(lua.load("c:get()").eval::<i64>().unwrap(), 0);
    assert!(c.borrow::<String>().is_err());
}

struct DropFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);
impl UserData for DropFlag {}
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn userdata_dropped_when_collected() {
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let lua = Lua::new();
    let ud = lua.create_userdata(DropFlag(flag.clone())).unwrap();
    lua.globals().set("u", ud).unwrap();
    lua.load("collectgarbage()").exec().unwrap();
    assert!(!flag.load(std::sync::atomic::Ordering::SeqCst));
    lua.load("u = nil collectgarbage()").exec().unwrap();
    assert!(flag.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn handles_keep_state_alive_and_check_ownership() {
    let t = {
        let lua = Lua::new();
        lua.load("{1, 2, 3}").eval::<Table>().unwrap()
    };
    assert_eq!(t.len().unwrap(), 3);
    let other = Lua::new();
    assert!(other.globals().set("t", &t).is_err());
}

#[test]
fn environments_and_bare_states() {
    let lua = Lua::new_bare();
    assert!(lua.load("print('x')").exec().is_err());
    let env = lua.create_table();
    env.set("y", 5).unwrap();
    let r: i64 = lua
        .load("return y * 2")
        .set_environment(env)
        .eval()
        .unwrap();
    assert_eq!(r, 10);
}

/// A script cannot reach a Rust callback's private upvalues (the boxed closure and the
/// address of its `Lua`) through the debug library, so it can neither forge the address
/// nor free the closure while it runs. Before natives' upvalues were private, this
/// script made the host dereference address 16 (SIGSEGV), so the scenario runs in a
/// child process: a crash fails this test instead of killing the test binary.
#[test]
fn script_cannot_corrupt_a_callback() {
    const CHILD: &str = "CUBE_EMBED_CALLBACK_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "script_cannot_corrupt_a_callback", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "child ended with {:?}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
        return;
    }
    let lua = Lua::new();
    let answer = lua.create_function(|_, ()| Ok(42)).unwrap();
    // Calls Lua, which tries to free this closure's userdata while it runs.
    let name = String::from("still here");
    let reenter = lua
        .create_function(move |lua, f: Function| {
            f.call::<_, ()>(())?;
            lua.load("collectgarbage()").exec()?;
            Ok(name.clone())
        })
        .unwrap();
    lua.globals().set("answer", answer).unwrap();
    lua.globals().set("reenter", reenter).unwrap();
    lua.globals().set("p", Value::LightUserData(16)).unwrap();
    let r: String = lua
        .load(
            r##"local seen = {}
            for i = 1, 2 do
                seen[#seen + 1] = select("#", debug.getupvalue(answer, i))
                seen[#seen + 1] = select("#", debug.setupvalue(answer, i, i == 2 and p or nil))
            end
            seen[#seen + 1] = debug.getinfo(answer, "u").nups
            seen[#seen + 1] = answer()
            seen[#seen + 1] = reenter(function()
                debug.setupvalue(reenter, 1, nil)
                debug.setupvalue(reenter, 2, p)
            end)
            return table.concat(seen, " ")"##,
        )
        .eval()
        .unwrap();
    assert_eq!(r, "0 0 0 0 0 42 still here");
}
