//! Tests of the io, package and debug libraries. Expected strings were observed with
//! PUC-Rio Lua 5.2.4 (Debian's lua5.2) running the same snippets.

use cube_lua::host::{Cx, Val};
use cube_lua::State;
use std::path::PathBuf;

fn new_state() -> State {
    let mut st = State::new_bare();
    cube_lua::stdlib::open_libs(&mut st);
    st
}

/// Runs `src` and returns its results rendered as `tostring` would, tab-separated.
fn run(st: &mut State, src: &str) -> String {
    match call(st, src) {
        Ok(out) => out.join("\t"),
        Err(e) => panic!("error: {e}"),
    }
}

/// Runs `src` expecting an error; returns the error message.
fn run_err(st: &mut State, src: &str) -> String {
    match call(st, src) {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// Runs `src`: its results shown as `show` does, or the error shown so.
fn call(st: &mut State, src: &str) -> Result<Vec<String>, String> {
    st.push_chunk(src.as_bytes(), "=test").expect("compiles");
    let base = st.top() - 1;
    let ok = st.pcall(0, -1).is_ok();
    let top = st.top();
    let shown: Vec<String> = st.cx(|cx| (base..top).map(|i| show(cx, cx.stack_at(i))).collect());
    st.set_top(base);
    if ok {
        Ok(shown)
    } else {
        Err(shown.into_iter().next().unwrap_or_default())
    }
}

/// Strings as their text, other values as `Val`'s debug form (`nil`, `true`, `1`...).
fn show<'n>(_cx: &Cx<'n>, v: Val<'n>) -> String {
    match v {
        Val::Str(s) => s.to_str_lossy().into_owned(),
        other => format!("{other:?}"),
    }
}

/// A fresh temporary directory for one test.
fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cube_libs2_{}_{}", tag, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn lua_str(p: &std::path::Path) -> String {
    format!("{:?}", p.to_str().expect("utf-8 path"))
}

#[test]
fn io_read_formats() {
    let d = temp_dir("read");
    let file = d.join("n.txt");
    std::fs::write(&file, "  12.5e1x 0x1p4 - 7\n.5 abc").unwrap();
    let mut st = new_state();
    let src = format!(
        r#"local f = io.open({})
        local r = {{}}
        local function add(...)
          for i = 1, select('#', ...) do r[#r + 1] = tostring((select(i, ...))) end
          r[#r + 1] = "|" end
        add(f:read("*n", "*n")) add(f:read("*n")) add(f:read("*l")) add(f:read("*n"))
        add(f:read(1)) add(f:read("*n")) add(f:read("*a"))
        add(f:read("*a"), f:read(0), f:read("*l"), f:read(1))
        add(f:seek("set", 2), f:read(3), f:seek(), f:seek("end"))
        f:close()
        add(tostring(f), io.type(f), io.type(io.stdout), io.type(42))
        local s = "" for i = 1, #r do s = s .. r[i] .. " " end
        return s"#,
        lua_str(&file)
    );
    assert_eq!(
        run(&mut st, &src),
        "125 nil | nil | x 0x1p4 - 7 | 0.5 |   | nil | abc |  nil nil nil | 2 12. 5 26 | file (closed) closed file file nil | "
    );
}

#[test]
fn io_write_lines_and_seek() {
    let d = temp_dir("write");
    let file = lua_str(&d.join("w.txt"));
    let mut st = new_state();
    let src = format!(
        r#"local g = io.open({f}, "w")
        local same = g:write("a", 1, "\n", "line2\n", 10/3) == g
        g:close()
        local s = ""
        for l in io.lines({f}) do s = s .. "[" .. l .. "]" end
        for a, b in io.lines({f}, 1, "*L") do s = s .. "<" .. a .. "|" .. tostring(b) .. ">" end
        local h = io.open({f}, "r+") h:write("X") h:seek("set")
        local all = h:read("*a") h:close()
        return same, s, all"#,
        f = file
    );
    assert_eq!(
        run(&mut st, &src),
        "true\t[a1][line2][3.3333333333333]<a|1\n><l|ine2\n><3|.3333333333333>\tX1\nline2\n3.3333333333333"
    );
}

#[test]
fn io_errors() {
    let mut st = new_state();
    assert_eq!(
        run(&mut st, r#"return io.open("/nonexistent/x")"#),
        "nil\t/nonexistent/x: No such file or directory\t2"
    );
    assert_eq!(
        run(&mut st, r#"return pcall(io.open, "x", "rw")"#),
        "false\tbad argument #2 to 'io.open' (invalid mode)"
    );
    assert_eq!(
        run(&mut st, r#"return pcall(io.lines, "/nonexistent/f")"#),
        "false\tcannot open file '/nonexistent/f' (No such file or directory)"
    );
    assert_eq!(
        run(
            &mut st,
            r#"local f = io.tmpfile() f:close() return pcall(f.read, f)"#
        ),
        "false\tattempt to use a closed file"
    );
    assert_eq!(
        run(&mut st, r#"return io.stdout:close()"#),
        "nil\tcannot close standard file"
    );
    assert_eq!(
        run(&mut st, r#"return pcall(io.read, "x")"#),
        "false\tbad argument #1 to 'io.read' (invalid option)"
    );
    assert_eq!(
        run(&mut st, r#"return pcall(io.write, {})"#),
        "false\tbad argument #1 to 'io.write' (string expected, got table)"
    );
    assert_eq!(
        run(&mut st, r#"return io.stdin:seek("set", 0) == nil"#),
        "true"
    );
}

#[test]
fn io_tmpfile_popen_and_default_files() {
    let mut st = new_state();
    assert_eq!(
        run(
            &mut st,
            r#"local t = io.tmpfile() t:write("tmp", 1) t:seek("set") return t:read("*a")"#
        ),
        "tmp1"
    );
    assert_eq!(
        run(
            &mut st,
            r#"local p = io.popen("echo hi; exit 3") return p:read("*a"), p:close()"#
        ),
        "hi\n\tnil\texit\t3"
    );
    assert_eq!(
        run(
            &mut st,
            r#"return io.input() == io.stdin, io.output() == io.stdout"#
        ),
        "true\ttrue"
    );
    let d = temp_dir("default");
    let file = lua_str(&d.join("in.txt"));
    std::fs::write(d.join("in.txt"), "l1\nl2\n").unwrap();
    let src = format!(
        r#"io.input({f}) local a, b = io.read("*l", "*l") local c = io.read()
        io.close(io.input()) local ok, e = pcall(io.read)
        return a, b, c, e"#,
        f = file
    );
    assert_eq!(
        run(&mut st, &src),
        "l1\tl2\tnil\tstandard input file is closed"
    );
}

#[test]
fn require_from_path_and_preload() {
    let d = temp_dir("require");
    std::fs::write(
        d.join("m.lua"),
        "local n, x = ... return {name = n, file = x}",
    )
    .unwrap();
    std::fs::create_dir_all(d.join("a")).unwrap();
    std::fs::write(d.join("a/init.lua"), "return (...)").unwrap();
    std::fs::write(d.join("syn.lua"), "x = = 1").unwrap();
    let dir = d.to_str().unwrap();
    let mut st = new_state();
    let src = format!(
        r#"package.path = "{dir}/?.lua;{dir}/?/init.lua"
        package.cpath = "{dir}/?.so"
        local m = require "m"
        local again = require("m") == m and package.loaded.m == m
        package.preload.pre = function(...) return select('#', ...) end
        return m.name, m.file == "{dir}/m.lua", again, require "a", require "pre""#
    );
    assert_eq!(run(&mut st, &src), "m\ttrue\ttrue\ta\t2");
    let msg = run(&mut st, r#"local ok, e = pcall(require, "x.y") return e"#);
    let expected = format!(
        "module 'x.y' not found:\n\tno field package.preload['x.y']\n\tno file '{dir}/x/y.lua'\n\tno file '{dir}/x/y/init.lua'\n\tno file '{dir}/x/y.so'\n\tno file '{dir}/x.so'"
    );
    assert_eq!(msg, expected);
    let msg = run(&mut st, r#"local ok, e = pcall(require, "syn") return e"#);
    assert_eq!(
        msg,
        format!("error loading module 'syn' from file '{dir}/syn.lua':\n\t{dir}/syn.lua:1: unexpected symbol near '='")
    );
    assert_eq!(
        run(
            &mut st,
            &format!(r#"return package.searchpath("a.b", "{dir}/?.lua;/x/?.lua")"#)
        ),
        format!("nil\t\n\tno file '{dir}/a/b.lua'\n\tno file '/x/a/b.lua'")
    );
}

#[test]
fn package_defaults_and_module() {
    let mut st = new_state();
    assert_eq!(run(&mut st, "return package.config"), "/\n;\n?\n!\n-\n");
    assert_eq!(
        run(
            &mut st,
            "return package.loaders == package.searchers, #package.searchers"
        ),
        "true\t4"
    );
    assert_eq!(
        run(
            &mut st,
            r#"module("mymod.sub", package.seeall) return _NAME, _PACKAGE, _M == mymod.sub, print ~= nil"#
        ),
        "mymod.sub\tmymod.\ttrue\ttrue"
    );
    let e = run_err(&mut st, r#"require "nosuch_module_cube""#);
    assert!(e.starts_with("test:1: module 'nosuch_module_cube' not found:\n\tno field package.preload['nosuch_module_cube']\n\tno file '"), "{e}");
}

#[test]
fn debug_traceback() {
    let mut st = new_state();
    let src = "local function lvl() error('deep') end\nlocal ok, m = xpcall(lvl, debug.traceback)\nreturn m";
    assert_eq!(
        run(&mut st, src),
        "test:1: deep\nstack traceback:\n\t[C]: in function 'error'\n\ttest:1: in function <test:1>\n\t[C]: in function 'xpcall'\n\ttest:2: in main chunk"
    );
    assert_eq!(
        run(&mut st, "return debug.traceback('hi', 1)"),
        "hi\nstack traceback:\n\ttest:1: in main chunk"
    );
    assert_eq!(
        run(&mut st, "local t = {} return debug.traceback(t) == t"),
        "true"
    );
    assert_eq!(
        run(&mut st, "return debug.traceback(12)"),
        "12\nstack traceback:\n\ttest:1: in main chunk"
    );
    let src = "local co = coroutine.create(function(a) local x = 5 coroutine.yield(1) end)\ncoroutine.resume(co, 7)\nreturn debug.traceback(co), debug.getlocal(co, 1, 2)";
    assert_eq!(
        run(&mut st, src),
        "stack traceback:\n\t[C]: in function 'yield'\n\ttest:1: in function <test:1>\tx\t5"
    );
}

#[test]
fn debug_getinfo_and_locals() {
    let mut st = new_state();
    // Local 4 is n1 (already active at the call); a register past the locals
    // is a temporary.
    let src = r#"local function f(a, b, ...)
      local c = 3
      local n1, v1 = debug.getlocal(1, 1)
      local n3 = debug.getlocal(1, 3)
      local n4 = debug.getlocal(1, 4)
      local nv, vv = debug.getlocal(1, -1)
      return debug.getinfo(1, "nSltu"), n1 .. v1 .. n3 .. n4 .. nv .. vv
    end
    local t, locs = f(1, 2, "va", "vb")
    local s = ""
    for _, k in ipairs{"name","namewhat","what","source","short_src","currentline","linedefined","lastlinedefined","nups","nparams","isvararg","istailcall"} do
      s = s .. k .. "=" .. tostring(t[k]) .. " "
    end
    local p = debug.getinfo(print)
    return s, locs, p.what, p.short_src, p.currentline, p.func == print, debug.getinfo(100)"#;
    assert_eq!(
        run(&mut st, src),
        "name=f namewhat=local what=Lua source==test short_src=test currentline=7 linedefined=1 lastlinedefined=8 nups=1 nparams=2 isvararg=true istailcall=false \ta1cn1(*vararg)va\tC\t[C]\t-1\ttrue\tnil"
    );
    assert_eq!(
        run(&mut st, "return pcall(debug.getlocal, 100, 1)"),
        "false\tbad argument #1 to 'debug.getlocal' (level out of range)"
    );
    assert_eq!(
        run(&mut st, "return pcall(debug.getinfo, {})"),
        "false\tbad argument #1 to 'debug.getinfo' (function or level expected)"
    );
    assert_eq!(
        run(&mut st, "local x = 1 debug.setlocal(1, 1, 99) return x"),
        "99"
    );
    assert_eq!(
        run(&mut st, "local function tc() return debug.getinfo(1, 't').istailcall end local function tc2() return tc() end return tc2()"),
        "true"
    );
}

/// A native's upvalues are private (unlike PUC-Rio, which shows them named ""): the
/// debug library neither reads nor replaces them, so natives that keep their state there
/// (gmatch's position, wrap's coroutine, io.lines' file) cannot be corrupted from Lua.
#[test]
fn debug_cannot_reach_native_upvalues() {
    let mut st = new_state();
    let src = r##"local it = string.gmatch("a1b2", "%a")
    local w = coroutine.wrap(function() coroutine.yield(1) return 2 end)
    local out = {}
    for _, f in ipairs{it, w, print} do
        out[#out + 1] = select("#", debug.getupvalue(f, 1))
        out[#out + 1] = select("#", debug.setupvalue(f, 1, "x"))
        out[#out + 1] = debug.getinfo(f, "u").nups
        out[#out + 1] = select(2, pcall(debug.upvalueid, f, 1))
    end
    local function l() return out end
    out[#out + 1] = select(2, pcall(debug.upvaluejoin, l, 1, it, 1))
    debug.setupvalue(it, 3, 1e300)
    debug.setupvalue(w, 1, {})
    out[#out + 1] = it() .. it() .. tostring((it()))
    out[#out + 1] = w() + w()
    return table.concat(out, " ")"##;
    let id_err = "bad argument #2 to 'debug.upvalueid' (invalid upvalue index)";
    let per_fn = format!("0 0 0 {id_err}");
    assert_eq!(
        run(&mut st, src),
        format!(
            "{per_fn} {per_fn} {per_fn} bad argument #4 to 'debug.upvaluejoin' \
             (invalid upvalue index) abnil 3"
        )
    );
}

#[test]
fn debug_upvalues_metatables_hooks() {
    let mut st = new_state();
    let src = r#"local up1, up2 = 10, 20
    local function g() return up1 + up2 end
    local n1 = debug.getupvalue(g, 1)
    local n2, v2 = debug.getupvalue(g, 2)
    local none = debug.getupvalue(g, 3)
    local set = debug.setupvalue(g, 1, 5)
    local same = debug.upvalueid(g, 1) == debug.upvalueid(g, 1)
    local ok, e = pcall(debug.upvalueid, g, 3)
    local function h() return up2 end
    debug.upvaluejoin(g, 1, h, 1)
    return n1, n2, v2, none, set, up1, same, e, g()"#;
    assert_eq!(
        run(&mut st, src),
        "up1\tup2\t20\tnil\tup1\t5\ttrue\tbad argument #2 to 'debug.upvalueid' (invalid upvalue index)\t40"
    );
    assert_eq!(
        run(
            &mut st,
            r#"local r = debug.setmetatable(10, {__index = {x = 1}}) local x = (5).x debug.setmetatable(10, nil) return r, x, debug.getmetatable("").__index == string"#
        ),
        "10\t1\ttrue"
    );
    assert_eq!(
        run(
            &mut st,
            r#"debug.sethook(print, "lrc", 3) local a, b, c = debug.gethook() debug.sethook() local d, e, f = debug.gethook() return a == print, b, c, d, e, f"#
        ),
        "true\tcrl\t3\tnil\t\t0"
    );
    assert_eq!(
        run(&mut st, "return type(debug.getregistry()), debug.getuservalue(io.stdout), pcall(debug.setuservalue, io.stdout, 1)"),
        "table\tnil\tfalse\tbad argument #2 to 'debug.setuservalue' (table expected, got number)"
    );
}
