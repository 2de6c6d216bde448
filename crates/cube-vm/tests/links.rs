//! Links, monitors, trapped exits and exit signals through the Lua `process` library,
//! with Erlang's semantics (DESIGN.md decision 6). Each test runs a Lua program as the
//! first process of a node, with 1 and 2 schedulers, and asserts inside Lua. Events are
//! ordered by messages and monitors (receive with generous timeouts), never by sleeps.

mod common;

use common::run_with;
use cube_vm::ExitReason;

/// Helpers every program gets: `down(ref)` waits for the DOWN of one monitor.
const PRELUDE: &str = r#"
    local function down(ref)
        local m = process.receive(function(m)
            return type(m) == "table" and m.tag == "DOWN" and m.ref == ref
        end, 5000)
        assert(m, "no DOWN message")
        return m
    end
    local function exit_from(pid)
        local m = process.receive(function(m)
            return type(m) == "table" and m.tag == "EXIT" and m.pid == pid
        end, 5000)
        assert(m, "no EXIT message")
        return m
    end
"#;

fn ok(src: &str) {
    common::ok_with(PRELUDE, src);
}

#[test]
fn normal_exit_does_not_kill_a_link() {
    ok(r#"
        local me = process.self()
        local child = process.spawn(function()
            local go = process.receive(5000)
            assert(go == "go")
        end)
        process.link(child)
        local ref = process.monitor(child)
        process.send(child, "go")
        assert(down(ref).reason == "normal")
        assert(process.is_alive(me))
        assert(#process.info(me).links == 0, "the link went with the child")
    "#);
}

#[test]
fn an_error_kills_a_linked_chain() {
    ok(r#"
        local me = process.self()
        -- c <- b <- a: each links to the next; c crashes when told.
        local c = process.spawn(function()
            process.receive(5000)
            error("boom")
        end)
        local function middle(next)
            process.link(next)
            process.send(me, "linked")
            process.receive()
        end
        local b = process.spawn(middle, c)
        assert(process.receive(5000) == "linked")
        local a = process.spawn(middle, b)
        assert(process.receive(5000) == "linked")
        local ra, rb, rc = process.monitor(a), process.monitor(b), process.monitor(c)
        process.send(c, "crash")
        local reason = down(rc).reason
        assert(reason:match("^test:%d+: boom$"), reason)
        assert(down(rb).reason == reason)
        assert(down(ra).reason == reason)
        assert(not process.is_alive(a) and not process.is_alive(b))
    "#);
}

#[test]
fn trap_exit_turns_signals_into_messages() {
    ok(r#"
        assert(process.trap_exit(true) == false)
        assert(process.trap_exit(true) == true)
        local me = process.self()
        assert(process.info(me).trap_exit == true)
        local bad = process.spawn_link(function()
            process.receive(5000)
            error("bad", 0)
        end)
        local good = process.spawn_link(function() process.receive(5000) end)
        process.send(bad, "go")
        local m = exit_from(bad)
        assert(m.tag == "EXIT" and m.pid == bad and m.reason == "bad", m.reason)
        process.send(good, "go")
        m = exit_from(good)
        assert(m.reason == "normal")
        -- exit(pid, reason) to a trapping process is a message too.
        local sender = process.spawn(function(to) process.exit(to, "custom") end, me)
        m = exit_from(sender)
        assert(m.reason == "custom")
        assert(process.is_alive(me))
        assert(process.trap_exit(false) == true)
    "#);
}

#[test]
fn kill_cannot_be_trapped_and_links_see_killed() {
    ok(r#"
        local me = process.self()
        local target = process.spawn(function()
            process.trap_exit(true)
            process.send(me, "trapping")
            while true do process.receive() end
        end)
        assert(process.receive(5000) == "trapping")
        local linked = process.spawn(function(t)
            process.link(t)
            process.send(me, "linked")
            process.receive()
        end, target)
        assert(process.receive(5000) == "linked")
        local watcher = process.spawn(function(t)
            process.trap_exit(true)
            process.link(t)
            process.send(me, "linked")
            local m = process.receive(function(m) return m.tag == "EXIT" end, 5000)
            process.send(me, {seen = m.reason, from = m.pid})
        end, target)
        assert(process.receive(5000) == "linked")
        local rt, rl = process.monitor(target), process.monitor(linked)
        process.exit(target, "ignored by a trapping process")
        process.exit(target, "kill")
        assert(down(rt).reason == "killed")
        assert(down(rl).reason == "killed")
        local seen = process.receive(5000)
        assert(seen.seen == "killed" and seen.from == target)
    "#);
}

#[test]
fn exit_normal_is_ignored_by_a_non_trapping_process() {
    ok(r#"
        local me = process.self()
        local p = process.spawn(function()
            local m = process.receive(5000)
            process.send(me, "survived " .. m)
        end)
        local ref = process.monitor(p)
        process.exit(p, "normal")
        process.send(p, "exit normal")
        assert(process.receive(function(m) return m == "survived exit normal" end, 5000))
        assert(down(ref).reason == "normal")
        -- Any other reason kills it.
        local q = process.spawn(function() process.receive() end)
        ref = process.monitor(q)
        process.exit(q, "shutdown")
        assert(down(ref).reason == "shutdown")
    "#);
}

#[test]
fn exit_to_self() {
    ok(r#"
        local me = process.self()
        local p = process.spawn(function()
            process.receive(5000)
            pcall(process.exit, process.self(), "bye")
            process.send(me, "not reached")
        end)
        local ref = process.monitor(p)
        process.send(p, "go")
        assert(down(ref).reason == "bye")
        assert(process.receive(0) == nil)
        process.trap_exit(true)
        process.exit(me, "to myself")
        local m = exit_from(me)
        assert(m.reason == "to myself")
    "#);
}

#[test]
fn monitor_down_order_and_fields() {
    ok(r#"
        local me = process.self()
        local p = process.spawn(function() process.receive(5000) error({}) end)
        local r1 = process.monitor(p)
        local r2 = process.monitor(p)
        assert(r1 ~= r2 and type(r1) == "string")
        assert(process.info(me).monitors == 2)
        process.send(p, "go")
        local m1 = process.receive(5000)
        local m2 = process.receive(5000)
        assert(m1.tag == "DOWN" and m1.ref == r1 and m1.pid == p)
        assert(m1.reason == "(no error message)", m1.reason)
        assert(m2.tag == "DOWN" and m2.ref == r2 and m2.pid == p and m2.reason == m1.reason)
        assert(process.info(me).monitors == 0)
        -- Monitors are one-way: the monitored process's end did not touch us.
        assert(process.is_alive(me))
    "#);
}

#[test]
fn monitor_of_a_dead_pid_gives_noproc_at_once() {
    ok(r#"
        local p = process.spawn(function() end)
        local ref0 = process.monitor(p)
        down(ref0)
        local ref = process.monitor(p)
        local m = process.receive(0)
        assert(m and m.tag == "DOWN" and m.ref == ref and m.pid == p and m.reason == "noproc")
    "#);
}

#[test]
fn demonitor_stops_the_down() {
    ok(r#"
        local me = process.self()
        local p = process.spawn(function() process.receive(5000) end)
        local ref = process.monitor(p)
        local ref2 = process.monitor(p)
        assert(process.demonitor(ref) == true)
        assert(process.demonitor(ref) == false)
        process.send(p, "go")
        assert(down(ref2).reason == "normal")
        assert(process.receive(0) == nil, "no DOWN for the removed monitor")
    "#);
}

#[test]
fn link_to_a_dead_pid() {
    ok(r#"
        local p = process.spawn(function() end)
        local ref = process.monitor(p)
        down(ref)
        local ok, err = pcall(process.link, p)
        assert(not ok and err == "noproc", err)
        process.trap_exit(true)
        assert(process.link(p) == true)
        local m = exit_from(p)
        assert(m.reason == "noproc")
        -- Uncaught, the noproc error ends the caller with reason "noproc".
        local q = process.spawn(function(dead)
            process.receive(5000)
            process.link(dead)
        end, p)
        ref = process.monitor(q)
        process.send(q, "go")
        assert(down(ref).reason == "noproc")
    "#);
}

#[test]
fn spawn_link_links_both_ways() {
    ok(r#"
        local me = process.self()
        local child = process.spawn_link(function() process.receive() end)
        local links = process.info(me).links
        assert(#links == 1 and links[1] == child)
        assert(process.info(child).links[1] == me)
        -- The parent crashing kills the child.
        local ref
        local parent = process.spawn(function()
            local c = process.spawn_link(function() process.receive() end)
            process.send(me, c)
            process.receive(5000)
            error("parent failed", 0)
        end)
        local c = process.receive(5000)
        ref = process.monitor(c)
        process.send(parent, "go")
        assert(down(ref).reason == "parent failed")
        -- unlink: the child's crash no longer reaches us.
        process.unlink(child)
        assert(#process.info(me).links == 0 and #process.info(child).links == 0)
        ref = process.monitor(child)
        process.exit(child, "gone")
        assert(down(ref).reason == "gone")
        assert(process.is_alive(me))
    "#);
}

#[test]
fn a_dead_process_releases_its_name() {
    ok(r#"
        local p = process.spawn(function() process.receive() end)
        process.register("victim", p)
        local ref = process.monitor(p)
        process.exit(p, "kill")
        assert(down(ref).reason == "killed")
        assert(process.whereis("victim") == nil)
        assert(process.info(p) == nil)
    "#);
}

#[test]
fn a_killed_main_process_reports_the_reason() {
    for schedulers in [1, 2] {
        let r = run_with(
            schedulers,
            "process.spawn_link(function() error('child died', 0) end) process.receive()",
        );
        match r {
            ExitReason::Error { message, .. } => {
                assert_eq!(message.as_deref(), Some("child died"))
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_busy_process_is_killed_after_its_slice() {
    ok(r#"
        local p = process.spawn(function() while true do end end)
        local ref = process.monitor(p)
        process.exit(p, "stop spinning")
        assert(down(ref).reason == "stop spinning")
    "#);
}
