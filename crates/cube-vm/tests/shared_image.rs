//! The standard library is shared copy-on-write between processes (DESIGN.md decision
//! 3, `cube_lua::image`): a process that writes a library table, a global, the string
//! metatable or the registry gets its own copy; no other process sees the write, and
//! every identity the reference Lua guarantees still holds in the writer.

mod common;

use common::ok;

/// Spawns `writer` (which writes something shared and reports back), then checks in a
/// fresh process and in the parent that nothing changed for them.
fn isolated(writer: &str, unchanged: &str) {
    ok(&format!(
        r#"
        local me = process.self()
        local function check() {unchanged} end
        process.spawn(function(parent)
            {writer}
            process.send(parent, "written")
        end, me)
        assert(process.receive(1000) == "written")
        check()
        process.spawn(function(parent)
            local ok, err = pcall(check)
            process.send(parent, ok or err)
        end, me)
        assert(process.receive(1000) == true)
        "#
    ));
}

#[test]
fn a_new_library_function_stays_in_its_process() {
    isolated(
        r#"string.trim = function(s) return (s:gsub("^%s+", "")) end
           assert(("  x"):trim() == "x")"#,
        r#"assert(string.trim == nil)"#,
    );
}

#[test]
fn globals_written_by_one_process_are_its_own() {
    isolated(
        r#"answer = 42; print = nil; assert(answer == 42 and _G.answer == 42)"#,
        r#"assert(answer == nil and type(print) == "function")"#,
    );
}

#[test]
fn string_metatable_changes_stay_local() {
    isolated(
        r#"getmetatable("").__index = function() return "patched" end
           assert(("x").len == "patched")"#,
        r#"assert(("abc"):len() == 3)"#,
    );
}

#[test]
fn raw_and_library_writes_to_shared_tables_are_copied() {
    isolated(
        r#"rawset(math, "tau", 2 * math.pi)
           table.insert(package.searchers, 1, function() end)
           table.sort(package.searchers, function(a, b) return tostring(a) < tostring(b) end)
           setmetatable(_G, {__index = function(_, k) return "dflt" end})
           assert(math.tau and #package.searchers == 5 and undefined_name == "dflt")"#,
        r#"assert(math.tau == nil and #package.searchers == 4)
           assert(getmetatable(_G) == nil and undefined_name == nil)"#,
    );
}

#[test]
fn require_and_package_loaded_stay_local() {
    isolated(
        r#"package.preload.mymod = function() return {v = 1} end
           assert(require("mymod").v == 1 and package.loaded.mymod)"#,
        r#"assert(package.loaded.mymod == nil and package.preload.mymod == nil)"#,
    );
}

#[test]
fn identities_hold_after_a_process_copies_the_library() {
    ok(r#"
        local me = process.self()
        process.spawn(function(parent)
            string.extra = true            -- the first write copies everything
            local ok, err = pcall(function()
                assert(getmetatable("").__index == string)
                assert(package.loaded.string == string and require("string") == string)
                assert(_G._G == _G and package.loaded._G == _G)
                assert(package.loaded.process == process)
                local reg = debug.getregistry()
                assert(reg[2] == _G and reg._LOADED == package.loaded)
                assert(reg[1] == coroutine.running())
                assert(io.output() == io.stdout and io.input() == io.stdin)
                -- and the library still works
                assert(string.format("%d", 7) == "7" and ("a,b"):find(",") == 2)
                assert(table.concat({1, 2}, "-") == "1-2")
            end)
            process.send(parent, ok or err)
        end, me)
        assert(process.receive(1000) == true)
    "#);
}

#[test]
fn each_process_has_its_own_random_generator() {
    ok(r#"
        local me = process.self()
        local function seq()
            math.randomseed(42)
            local t = {}
            for i = 1, 5 do t[i] = math.random(1000) end
            return table.concat(t, ",")
        end
        local expected = seq()
        for _ = 1, 4 do
            process.spawn(function(parent)
                local first = seq()
                process.sleep(1)           -- others draw meanwhile
                process.send(parent, first == seq() and first)
            end, me)
        end
        for _ = 1, 4 do assert(process.receive(1000) == expected) end
    "#);
}

#[test]
fn a_process_that_only_reads_the_library_copies_nothing() {
    // The registry write in `debug.getregistry` copies the image; a process that only
    // reads must not have done so, which `collectgarbage("count")` shows: its heap is a
    // few hundred bytes, where a copy of the standard library is tens of kilobytes.
    ok(r#"
        local me = process.self()
        process.spawn(function(parent)
            local s = string.format("%s-%d", "x", 1) .. string.rep("y", 3)
            local t = {}
            table.insert(t, s)
            for k in pairs(string) do t[#t + 1] = k end
            process.send(parent, collectgarbage("count") * 1024)
        end, me)
        local reader = process.receive(1000)
        process.spawn(function(parent)
            string.extra = 1
            process.send(parent, collectgarbage("count") * 1024)
        end, me)
        local writer = process.receive(1000)
        assert(reader < 4096, "reader heap " .. reader)
        assert(writer > 4 * reader, "writer heap " .. writer)
    "#);
}

#[test]
fn using_the_supervisor_library_copies_nothing_shared() {
    // The supervisor module loads into the process's own table on first use (the
    // shared module table stays empty): about 16 KB of closures, where copying the
    // image as well adds about 14 KB more (30 KB with cube-cli's libraries).
    ok(r#"
        local me = process.self()
        process.spawn(function(parent)
            assert(type(supervisor.start) == "function")
            assert(type(supervisor.which_children) == "function")
            process.send(parent, collectgarbage("count") * 1024)
        end, me)
        local user = process.receive(1000)
        process.spawn(function(parent)
            string.extra = 1
            assert(type(supervisor.start) == "function")
            process.send(parent, collectgarbage("count") * 1024)
        end, me)
        local copier = process.receive(1000)
        assert(user < 24 * 1024, "supervisor user heap " .. user)
        assert(copier > user + 8 * 1024, "copier heap " .. copier)
        -- The module of one process is not another's: a field added here stays here.
        supervisor.mine = true
        process.spawn(function(parent) process.send(parent, supervisor.mine == nil) end, me)
        assert(process.receive(1000) == true)
    "#);
}
