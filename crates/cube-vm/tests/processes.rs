//! Processes and messages through the Lua `process` library: each test runs a Lua
//! program as the first process of a node and asserts inside Lua; the program must end
//! normally.

mod common;

use common::{ok, run_with};
use cube_vm::ExitReason;

#[test]
fn ping_pong() {
    ok(r#"
        local me = process.self()
        local echo = process.spawn(function()
            while true do
                local m = process.receive()
                if m.stop then return end
                process.send(m.from, {n = m.n + 1})
            end
        end)
        local n = 0
        for i = 1, 1000 do
            process.send(echo, {from = me, n = n})
            n = process.receive().n
        end
        assert(n == 1000)
        process.send(echo, {stop = true})
    "#);
}

#[test]
fn selective_receive_keeps_the_others_in_order() {
    ok(r#"
        local me = process.self()
        for i = 1, 6 do process.send(me, i) end
        assert(process.receive(function(m) return m % 2 == 0 end) == 2)
        assert(process.receive(function(m) return m > 4 end) == 5)
        assert(process.receive() == 1)
        assert(process.receive() == 3)
        assert(process.receive() == 4)
        assert(process.receive() == 6)
        assert(process.receive(0) == nil)
    "#);
}

#[test]
fn a_match_function_waits_for_a_later_message() {
    ok(r#"
        local me = process.self()
        process.spawn(function(parent)
            process.send(parent, "noise")
            process.sleep(20)
            process.send(parent, "wanted")
        end, me)
        assert(process.receive(function(m) return m == "wanted" end, 5000) == "wanted")
        assert(process.receive(0) == "noise")
    "#);
}

#[test]
fn receive_times_out_and_sleep_keeps_messages() {
    ok(r#"
        local t0 = os.clock()
        assert(process.receive(30) == nil)
        assert(process.receive(function() return false end, 10) == nil)
        local me = process.self()
        process.send(me, "kept")
        process.sleep(20)
        assert(process.receive(0) == "kept")
    "#);
}

#[test]
fn registered_names() {
    ok(r#"
        local me = process.self()
        local p = process.spawn(function()
            local m = process.receive()
            process.send(m, "hello from server")
        end)
        assert(process.register("server", p))
        assert(process.whereis("server") == p)
        assert(not pcall(process.register, "server", me))
        process.send("server", me)
        assert(process.receive(2000) == "hello from server")
        process.sleep(20)
        assert(process.whereis("server") == nil, "a dead process loses its name")
        assert(process.register("me", me))
        assert(process.unregister("me"))
        assert(process.whereis("me") == nil)
    "#);
}

#[test]
fn spawn_copies_upvalues_and_functions_with_fresh_globals() {
    ok(r#"
        GLOBAL_IN_PARENT = 1
        local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
        local config = {name = "w", list = {1, 2, 3}}
        config.self = config
        local me = process.self()
        process.spawn(function(x)
            process.send(me, {
                fact = fact(x),
                name = config.name,
                cyclic = config.self == config,
                n = #config.list,
                global = GLOBAL_IN_PARENT,
            })
        end, 5)
        local r = process.receive(2000)
        assert(r.fact == 120 and r.name == "w" and r.cyclic and r.n == 3)
        assert(r.global == nil, "spawned processes get fresh globals")
    "#);
}

#[test]
fn pids_compare_and_index_tables() {
    ok(r#"
        local me = process.self()
        local p = process.spawn(function(parent) process.send(parent, process.self()) end, me)
        local q = process.receive(2000)
        assert(q == p)
        local t = {[p] = "child"}
        assert(t[q] == "child")
        assert(tostring(p):match("^<0%.%d+%.0>$"))
        assert(process.is_alive(me))
    "#);
}

#[test]
fn a_busy_process_does_not_stop_the_others() {
    // One scheduler: only preemption lets the main process go on.
    let r = run_with(
        1,
        r#"
        process.spawn(function() while true do end end)
        local me = process.self()
        local p = process.spawn(function() process.send(me, "alive") end)
        assert(process.receive(5000) == "alive")
    "#,
    );
    assert_eq!(r, ExitReason::Normal);
}

#[test]
fn many_processes_each_reply_once() {
    ok(r#"
        local me = process.self()
        local n = 10000
        for i = 1, n do
            process.spawn(function(i) process.send(me, i) end, i)
        end
        local sum = 0
        for i = 1, n do sum = sum + process.receive(10000) end
        assert(sum == n * (n + 1) / 2)
    "#);
}

#[test]
fn a_crashing_process_does_not_take_the_node_down() {
    ok(r#"
        local me = process.self()
        local bad = process.spawn(function() error("child failure") end)
        process.sleep(20)
        assert(not process.is_alive(bad))
        process.spawn(function() process.send(me, "still here") end)
        assert(process.receive(2000) == "still here")
    "#);
}

#[test]
fn unsendable_values_raise_in_the_sender() {
    ok(r#"
        local me = process.self()
        local ok, err = pcall(process.send, me, {cb = print})
        assert(not ok and err:find("cannot send a function value"), err)
        ok, err = pcall(process.send, me, coroutine.create(print))
        assert(not ok and err:find("cannot send a thread value"), err)
        process.send(me, {nested = {true, false, 1.5, "s"}})
        local m = process.receive(0)
        assert(m.nested[1] == true and m.nested[3] == 1.5)
    "#);
}

#[test]
fn exit_ends_the_process_with_a_reason() {
    assert_eq!(
        run_with(1, "process.exit('normal') error('not reached')"),
        ExitReason::Normal
    );
    match run_with(1, "process.exit('shutdown')") {
        ExitReason::Error { message, .. } => assert_eq!(message.as_deref(), Some("shutdown")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn uncaught_errors_carry_message_and_traceback() {
    match run_with(2, "local function f() error('boom') end f()") {
        ExitReason::Error { message, traceback } => {
            assert_eq!(message.as_deref(), Some("test:1: boom"));
            assert!(traceback.unwrap().contains("in function 'f'"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn info_reports_the_heap_size_of_other_processes() {
    ok(r#"
        local me = process.self()
        local small = process.spawn(function(parent)
            process.send(parent, "ready")
            process.receive()
        end, me)
        local big = process.spawn(function(parent)
            local keep = {}
            for i = 1, 20000 do keep[i] = {i} end
            process.send(parent, "ready")
            process.receive()
            return keep
        end, me)
        assert(process.receive(1000) == "ready" and process.receive(1000) == "ready")
        local s, b = process.info(small).heap_size, process.info(big).heap_size
        assert(s > 0 and s < 8192, "small heap " .. s)
        assert(b > 20000 * 16, "big heap " .. b)
        local mine = process.info(me).heap_size
        assert(math.abs(mine - collectgarbage("count") * 1024) < 4096, "own heap " .. mine)
        process.exit(small, "kill"); process.exit(big, "kill")
    "#);
}

#[test]
fn monotonic_time_measures_a_sleep_in_every_unit() {
    ok(r#"
        local t = process.monotonic_time
        local a_ns, a_us, a_ms, a_s = t(), t("microsecond"), t("millisecond"), t("second")
        process.sleep(30)
        local d_ns, d_us, d_ms = t() - a_ns, t("microsecond") - a_us, t("millisecond") - a_ms
        assert(d_ns >= 30e6 and d_us >= 30e3 and d_ms >= 30, d_ns .. " " .. d_us .. " " .. d_ms)
        assert(d_ms < 60000, "a minute passed?")
        assert(t("second") >= a_s and a_s == math.floor(a_s))
        assert(t("native") >= a_ns)
        -- the same clock in every process
        local me = process.self()
        process.spawn(function() process.send(me, t()) end)
        local other = process.receive(5000)
        assert(other >= a_ns and other <= t())
        assert(not pcall(t, "hour") and not pcall(t, 42))
    "#);
}
