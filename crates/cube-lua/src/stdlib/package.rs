//! The `package` library and `require` (`loadlib.c` of Lua 5.2.4, built as Debian builds
//! it, with the 5.1 compatibility functions `module`, `package.seeall`,
//! `package.loaders`).
//!
//! C modules cannot be loaded: the C searchers still walk `package.cpath` so that
//! "module not found" messages list the same files as PUC's, and a C library that is
//! found fails to load with the message PUC gives when built without `dlopen`.
//!
//! `require` calls the searchers and the loader through continuations (they may be Lua
//! functions), never by re-entering the VM.

use crate::gc::Gc;
use crate::state::{Args, LResult, Ret, State};
use crate::table::Table;
use crate::thread::{Cont, Status};
use crate::value::Value;

/// Debian's default `package.path` for Lua 5.2.
const DEFAULT_PATH: &str = "/usr/local/share/lua/5.2/?.lua;/usr/local/share/lua/5.2/?/init.lua;\
/usr/local/lib/lua/5.2/?.lua;/usr/local/lib/lua/5.2/?/init.lua;/usr/share/lua/5.2/?.lua;\
/usr/share/lua/5.2/?/init.lua;./?.lua";
/// Debian's default `package.cpath` for Lua 5.2.
const DEFAULT_CPATH: &str = "/usr/local/lib/lua/5.2/?.so;/usr/lib/x86_64-linux-gnu/lua/5.2/?.so;\
/usr/lib/lua/5.2/?.so;/usr/local/lib/lua/5.2/loadall.so;./?.so";
const CONFIG: &str = "/\n;\n?\n!\n-\n";
/// Why a C library cannot be loaded (PUC's message without dynamic-library support).
const NO_DLL: &str = "dynamic libraries not enabled; check your Lua installation";

pub fn open(st: &mut State) {
    let pkg = super::new_lib(st, "package");
    st.register(
        pkg,
        &[
            ("loadlib", loadlib),
            ("searchpath", searchpath),
            ("seeall", seeall),
        ],
    );
    let searchers = st.new_table();
    let fns: [(&'static str, crate::value::NativeFn); 4] = [
        ("searcher_preload", searcher_preload),
        ("searcher_Lua", searcher_lua),
        ("searcher_C", searcher_c),
        ("searcher_Croot", searcher_croot),
    ];
    for (i, (name, f)) in fns.into_iter().enumerate() {
        let v = st.new_native(name, f, vec![Value::Table(pkg)]);
        searchers.get_mut().set_int(i as i64 + 1, v);
    }
    st.set_field(pkg, "searchers", Value::Table(searchers));
    st.set_field(pkg, "loaders", Value::Table(searchers));
    set_path(st, pkg, "path", &["LUA_PATH_5_2", "LUA_PATH"], DEFAULT_PATH);
    set_path(
        st,
        pkg,
        "cpath",
        &["LUA_CPATH_5_2", "LUA_CPATH"],
        DEFAULT_CPATH,
    );
    let cfg = st.new_str(CONFIG.as_bytes());
    st.set_field(pkg, "config", cfg);
    let loaded = st.loaded_table();
    st.set_field(pkg, "loaded", Value::Table(loaded));
    let preload = st.new_table();
    let reg = st.registry;
    st.set_field(reg, "_PRELOAD", Value::Table(preload));
    st.set_field(pkg, "preload", Value::Table(preload));
    for (name, f) in [
        ("require", require as crate::value::NativeFn),
        ("module", module),
    ] {
        let v = st.new_native(name, f, vec![Value::Table(pkg)]);
        st.set_global(name, v);
    }
}

/// `setpath`: the first environment variable set, with ";;" standing for the default.
fn set_path(st: &mut State, pkg: Gc<Table>, field: &str, vars: &[&str], default: &str) {
    let env = vars.iter().find_map(std::env::var_os);
    let path = match env {
        None => default.as_bytes().to_vec(),
        Some(p) => {
            use std::os::unix::ffi::OsStrExt;
            let p = p.as_bytes().to_vec();
            let marked = replace(&p, b";;", b";\x01;");
            replace(&marked, b"\x01", default.as_bytes())
        }
    };
    let v = st.new_string(path);
    st.set_field(pkg, field, v);
}

/// Every occurrence of `from` in `s` replaced by `to` (`luaL_gsub`).
fn replace(s: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if !from.is_empty() && s[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// `searchpath`: the first readable file of `path` for `name`, or the "no file" lines.
fn search_path(name: &[u8], path: &[u8], sep: &[u8], dirsep: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let name = if sep.is_empty() {
        name.to_vec()
    } else {
        replace(name, sep, dirsep)
    };
    let mut msg = Vec::new();
    for template in path.split(|&c| c == b';').filter(|t| !t.is_empty()) {
        let file = replace(template, b"?", &name);
        if readable(&file) {
            return Ok(file);
        }
        msg.extend_from_slice(b"\n\tno file '");
        msg.extend_from_slice(&file);
        msg.push(b'\'');
    }
    Err(msg)
}

fn readable(file: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    std::fs::File::open(std::ffi::OsStr::from_bytes(file)).is_ok()
}

fn searchpath(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    let path = st.check_str(a, 2)?;
    let sep = st
        .opt_str(a, 3)?
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| b".".to_vec());
    let rep = st
        .opt_str(a, 4)?
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| b"/".to_vec());
    match search_path(name.as_bytes(), path.as_bytes(), &sep, &rep) {
        Ok(file) => {
            st.push_str(&file);
            Ok(Ret::Values(1))
        }
        Err(msg) => {
            st.push(Value::Nil);
            st.push_str(&msg);
            Ok(Ret::Values(2))
        }
    }
}

fn loadlib(st: &mut State, _a: Args) -> LResult<Ret> {
    st.push(Value::Nil);
    st.push_str(NO_DLL.as_bytes());
    st.push_str(b"absent");
    Ok(Ret::Values(3))
}

// ----- searchers -----

/// The package table, upvalue of the searchers, `require` and `module`.
fn pkg_table(st: &mut State) -> Gc<Table> {
    match st.upvalue(0) {
        Value::Table(t) => t,
        _ => st.globals,
    }
}

fn searcher_preload(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    let pkg = pkg_table(st);
    let Value::Table(preload) = st.get_field(pkg, "preload") else {
        return Err(st.rt_error("'package.preload' must be a table"));
    };
    let loader = preload.get(&Value::Str(name));
    if loader.is_nil() {
        let msg = format!("\n\tno field package.preload['{}']", name.to_str_lossy());
        st.push_str(msg.as_bytes());
    } else {
        st.push(loader);
    }
    Ok(Ret::Values(1))
}

/// `findfile`: searches `package[field]` for `name`.
fn find_file(st: &mut State, name: &[u8], field: &str) -> LResult<Result<Vec<u8>, Vec<u8>>> {
    let pkg = pkg_table(st);
    let v = st.get_field(pkg, field);
    let Some(path) = st.coerce_to_str(&v) else {
        let msg = format!("'package.{field}' must be a string");
        return Err(st.rt_error(&msg));
    };
    Ok(search_path(name, path.as_bytes(), b".", b"/"))
}

/// `checkload` for a failure: "error loading module ...".
fn load_error(st: &mut State, name: &[u8], file: &[u8], why: &str) -> Value {
    let msg = format!(
        "error loading module '{}' from file '{}':\n\t{}",
        String::from_utf8_lossy(name),
        String::from_utf8_lossy(file),
        why
    );
    st.rt_error(&msg)
}

fn searcher_lua(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    let file = match find_file(st, name.as_bytes(), "path")? {
        Ok(f) => f,
        Err(msg) => {
            st.push_str(&msg);
            return Ok(Ret::Values(1));
        }
    };
    let fname = String::from_utf8_lossy(&file).into_owned();
    let loaded = super::base::read_source_file(&fname)
        .map_err(|m| crate::SyntaxError { message: m })
        .and_then(|src| super::base::load_source(st, &src, &format!("@{fname}"), b"bt"));
    match loaded {
        Ok(f) => {
            st.push(f);
            st.push_str(&file);
            Ok(Ret::Values(2))
        }
        Err(e) => Err(load_error(st, name.as_bytes(), &file, &e.message)),
    }
}

/// The C searcher: a library found on `cpath` cannot be loaded.
fn searcher_c(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    match find_file(st, name.as_bytes(), "cpath")? {
        Ok(file) => Err(load_error(st, name.as_bytes(), &file, NO_DLL)),
        Err(msg) => {
            st.push_str(&msg);
            Ok(Ret::Values(1))
        }
    }
}

/// The all-in-one searcher: looks for the root of a dotted name on `cpath`.
fn searcher_croot(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    let Some(dot) = name.as_bytes().iter().position(|&c| c == b'.') else {
        return Ok(Ret::Values(0));
    };
    let root = name.as_bytes()[..dot].to_vec();
    match find_file(st, &root, "cpath")? {
        Ok(file) => Err(load_error(st, name.as_bytes(), &file, NO_DLL)),
        Err(msg) => {
            st.push_str(&msg);
            Ok(Ret::Values(1))
        }
    }
}

// ----- require -----

/// `require(name)`. Frame layout while it runs: `base` = name, `base+1` = _LOADED,
/// `base+2` = searchers; the continuation's `ctx` is the searcher index and its data
/// the "not found" message built so far.
fn require(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    st.set_top(a.base + 1);
    st.set_stack(a.base, Value::Str(name));
    let loaded = st.loaded_table();
    st.push(Value::Table(loaded));
    let cur = loaded.get(&Value::Str(name));
    if cur.truthy() {
        st.push(cur);
        return Ok(Ret::Values(1));
    }
    let pkg = pkg_table(st);
    let searchers = st.get_field(pkg, "searchers");
    if !matches!(searchers, Value::Table(_)) {
        return Err(st.rt_error("'package.searchers' must be a table"));
    }
    st.push(searchers);
    next_searcher(st, a.base, 1, Vec::new())
}

/// Calls searcher `i`, or raises "module not found" when there are no more.
fn next_searcher(st: &mut State, base: usize, i: usize, msg: Vec<u8>) -> LResult<Ret> {
    let name = st.stack_at(base);
    let Value::Table(searchers) = st.stack_at(base + 2) else {
        return Err(st.rt_error("'package.searchers' must be a table"));
    };
    let searcher = searchers.get_int(i as i64);
    if searcher.is_nil() {
        let n = name
            .as_str()
            .map(|s| s.to_str_lossy().into_owned())
            .unwrap_or_default();
        let m = format!("module '{}' not found:{}", n, String::from_utf8_lossy(&msg));
        return Err(st.rt_error(&m));
    }
    st.set_top(base + 3);
    st.push(searcher);
    st.push(name);
    let mut cont = Cont::new(searcher_k, i);
    cont.data = Some(Box::new(msg));
    Ok(Ret::Call {
        nargs: 1,
        nresults: 2,
        cont,
    })
}

fn frame_base(st: &State) -> usize {
    st.frame_base()
}

/// After a searcher: call the loader it found, or collect its message and go on.
fn searcher_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, .. } = status else {
        return Ok(Ret::Values(0));
    };
    st.own_image();
    let base = frame_base(st);
    let mut msg = cont
        .data
        .take()
        .and_then(|d| d.downcast::<Vec<u8>>().ok())
        .map(|b| *b)
        .unwrap_or_default();
    let (found, extra) = (st.stack_at(first), st.stack_at(first + 1));
    if found.is_function() {
        let name = st.stack_at(base);
        st.set_top(base + 3);
        st.push(found);
        st.push(name);
        st.push(extra);
        return Ok(Ret::Call {
            nargs: 2,
            nresults: 1,
            cont: Cont::new(loader_k, 0),
        });
    }
    if let Some(s) = st.coerce_to_str(&found) {
        msg.extend_from_slice(s.as_bytes());
    }
    next_searcher(st, base, cont.ctx + 1, msg)
}

/// After the loader: `_LOADED[name]` = its result, or true if it set nothing.
fn loader_k(st: &mut State, status: Status, _cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, .. } = status else {
        return Ok(Ret::Values(0));
    };
    let base = frame_base(st);
    let result = st.stack_at(first);
    let name = st.stack_at(base);
    let Value::Table(loaded) = st.stack_at(base + 1) else {
        return Ok(Ret::Values(0));
    };
    if !result.is_nil() {
        let _ = loaded.get_mut().set(name, result);
    }
    let mut v = loaded.get(&name);
    if v.is_nil() {
        v = Value::Bool(true);
        let _ = loaded.get_mut().set(name, v);
    }
    st.set_top(first);
    st.push(v);
    Ok(Ret::Values(1))
}

// ----- module (5.1 compatibility) -----

/// `package.seeall(m)`: `m` reads globals through its metatable.
fn seeall(st: &mut State, a: Args) -> LResult<Ret> {
    st.own_image();
    let m = st.check_table(a, 1)?;
    let mt = match m.meta {
        Some(mt) => mt,
        None => {
            let mt = st.new_table();
            m.get_mut().meta = Some(mt);
            mt
        }
    };
    let g = st.globals;
    st.set_field(mt, "__index", Value::Table(g));
    Ok(Ret::Values(0))
}

/// `luaL_pushmodule`: `_LOADED[name]`, or a (nested) global table created for it.
fn find_module(st: &mut State, name: &[u8]) -> LResult<Gc<Table>> {
    st.own_image();
    let loaded = st.loaded_table();
    let key = st.new_str(name);
    if let Value::Table(t) = loaded.get(&key) {
        return Ok(t);
    }
    let mut t = st.globals;
    for part in name.split(|&c| c == b'.') {
        let k = st.new_str(part);
        t = match t.get(&k) {
            Value::Nil => {
                let n = st.new_table();
                let _ = t.get_mut().set(k, Value::Table(n));
                n
            }
            Value::Table(n) => n,
            _ => {
                let m = format!(
                    "name conflict for module '{}'",
                    String::from_utf8_lossy(name)
                );
                return Err(st.rt_error(&m));
            }
        };
    }
    let _ = loaded.get_mut().set(key, Value::Table(t));
    Ok(t)
}

/// `module(name, ...)`: creates or reuses the module table, makes it the caller's
/// `_ENV`, then applies the option functions.
fn module(st: &mut State, a: Args) -> LResult<Ret> {
    let name = st.check_str(a, 1)?;
    let m = find_module(st, name.as_bytes())?;
    if st.get_field(m, "_NAME").is_nil() {
        st.set_field(m, "_M", Value::Table(m));
        st.set_field(m, "_NAME", Value::Str(name));
        let bytes = name.as_bytes();
        let pkg_end = bytes
            .iter()
            .rposition(|&c| c == b'.')
            .map(|i| i + 1)
            .unwrap_or(0);
        let p = st.new_str(&bytes[..pkg_end]);
        st.set_field(m, "_PACKAGE", p);
    }
    set_caller_env(st, m)?;
    st.set_top(a.base + a.len);
    st.push(Value::Table(m));
    apply_option(st, a.base, a.len + 1, 2)
}

/// Sets the first upvalue of the Lua function that called `module`.
fn set_caller_env(st: &mut State, m: Gc<Table>) -> LResult<()> {
    let frames = &st.cur.frames;
    let caller = frames.len().checked_sub(2).map(|i| &frames[i].kind);
    let Some(crate::thread::FrameKind::Lua(cl)) = caller else {
        return Err(st.rt_error("'module' not called from a Lua function"));
    };
    if let Some(uv) = cl.upvals.first() {
        uv.get_mut().set(Value::Table(m));
    }
    Ok(())
}

/// Calls option `i` (argument index) of `module` with the module table, in turn.
fn apply_option(st: &mut State, base: usize, mslot: usize, i: usize) -> LResult<Ret> {
    let m = st.stack_at(base + mslot - 1);
    if i >= mslot {
        st.set_top(base + mslot);
        return Ok(Ret::Values(1));
    }
    let f = st.stack_at(base + i - 1);
    st.set_top(base + mslot);
    st.push(f);
    st.push(m);
    Ok(Ret::Call {
        nargs: 1,
        nresults: 0,
        cont: Cont::new(option_k, i),
    })
}

fn option_k(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let Status::Ok { first, .. } = status else {
        return Ok(Ret::Values(0));
    };
    let base = frame_base(st);
    let mslot = first - base;
    apply_option(st, base, mslot, cont.ctx + 1)
}
