//! OTP supervisors through the Lua `supervisor` library: strategies, restart types,
//! restart intensity, shutdown with timeout and kill, the child-management calls,
//! simple_one_for_one and supervision trees. Each test runs a Lua program as the first
//! process of a node (with 1 and 2 schedulers) and asserts inside Lua. Events are
//! ordered by monitors and calls to the supervisor, never by sleeps: a process that ends
//! sends its exit signals to its links before the DOWNs to its monitors, so once a test
//! sees a worker's DOWN, the supervisor's EXIT is queued before any later call.

mod common;

use common::run_with;
use cube_vm::ExitReason;

/// Helpers every program gets:
/// - `worker(...)`: a start function body: spawns a process that crashes or exits
///   when told (`"crash"`, `"stop"`), reporting `{tag="started", name=}` to `me`.
/// - `down(ref)`: waits for the DOWN of one monitor.
/// - `pids(sup)`: id -> pid of the supervisor's children.
/// - `crash(pid)`: makes a worker crash and waits until it is gone.
const PRELUDE: &str = r#"
    local me = process.self()
    local function down(ref)
        local m = process.receive(function(m)
            return type(m) == "table" and m.tag == "DOWN" and m.ref == ref
        end, 5000)
        assert(m, "no DOWN message")
        return m
    end
    local function loop()
        while true do
            local m = process.receive()
            if m == "crash" then error("crashed on purpose") end
            if m == "stop" then return end
        end
    end
    local function pids(sup)
        local t = {}
        for _, c in ipairs(supervisor.which_children(sup)) do t[c.id] = c.pid end
        return t
    end
    local function crash(pid, how)
        local ref = process.monitor(pid)
        process.send(pid, how or "crash")
        return down(ref)
    end
"#;

fn ok(src: &str) {
    common::ok_with(PRELUDE, src);
}

#[test]
fn one_for_one_restarts_only_the_crashed_child() {
    ok(r#"
        local sup = supervisor.start{strategy = "one_for_one", intensity = 5, children = {
            {id = "a", start = function() return process.spawn(loop) end},
            {id = "b", start = function() return process.spawn(loop) end},
            {id = "c", start = function() return process.spawn(loop) end},
        }}
        local before = pids(sup)
        local order = {}
        for i, c in ipairs(supervisor.which_children(sup)) do order[i] = c.id end
        assert(table.concat(order, ",") == "a,b,c", "start order")
        crash(before.b)
        local after = pids(sup)
        assert(after.a == before.a and after.c == before.c)
        assert(after.b ~= before.b and process.is_alive(after.b))
    "#);
}

#[test]
fn one_for_all_restarts_every_child() {
    ok(r#"
        local sup = supervisor.start{strategy = "one_for_all", intensity = 5, children = {
            {id = "a", start = function() return process.spawn(loop) end},
            {id = "b", start = function() return process.spawn(loop) end},
            {id = "c", start = function() return process.spawn(loop) end},
        }}
        local before = pids(sup)
        local refs = {}
        for id, pid in pairs(before) do refs[id] = process.monitor(pid) end
        crash(before.b)
        -- The others are shut down: their DOWN reason is "shutdown".
        assert(down(refs.a).reason == "shutdown")
        assert(down(refs.c).reason == "shutdown")
        local after = pids(sup)
        for _, id in ipairs{"a", "b", "c"} do
            assert(after[id] ~= before[id] and process.is_alive(after[id]), id)
        end
    "#);
}

#[test]
fn rest_for_one_restarts_the_child_and_the_ones_after_it() {
    ok(r#"
        local sup = supervisor.start{strategy = "rest_for_one", intensity = 5, children = {
            {id = "a", start = function() return process.spawn(loop) end},
            {id = "b", start = function() return process.spawn(loop) end},
            {id = "c", start = function() return process.spawn(loop) end},
        }}
        local before = pids(sup)
        crash(before.b)
        local after = pids(sup)
        assert(after.a == before.a, "a is before b: untouched")
        assert(after.b ~= before.b and after.c ~= before.c)
        assert(not process.is_alive(before.c))
    "#);
}

#[test]
fn restart_types() {
    ok(r#"
        local function spec(id, restart)
            return {id = id, restart = restart, start = function() return process.spawn(loop) end}
        end
        local sup = supervisor.start{intensity = 10, children = {
            spec("perm", "permanent"), spec("trans1", "transient"), spec("trans2", "transient"),
            spec("temp", "temporary"),
        }}
        local before = pids(sup)
        crash(before.perm, "stop")        -- permanent: restarted even after "normal"
        crash(before.trans1, "stop")      -- transient, normal exit: not restarted
        crash(before.trans2, "crash")     -- transient, crash: restarted
        crash(before.temp, "crash")       -- temporary: never restarted, spec dropped
        local after = pids(sup)
        assert(after.perm and after.perm ~= before.perm, "permanent restarted")
        assert(after.trans1 == false, "transient after normal exit stays down")
        assert(after.trans2 and after.trans2 ~= before.trans2, "transient restarted after crash")
        assert(after.temp == nil, "temporary spec removed")
        local n = supervisor.count_children(sup)
        assert(n.specs == 3 and n.active == 2 and n.workers == 3 and n.supervisors == 0)
    "#);
}

#[test]
fn exceeding_the_intensity_shuts_the_supervisor_down() {
    ok(r#"
        process.trap_exit(true) -- the supervisor is linked to us and will end abnormally
        local sup = supervisor.start{intensity = 2, period = 60, children = {
            {id = "a", start = function() return process.spawn(loop) end},
            {id = "b", start = function() return process.spawn(loop) end},
        }}
        local sref = process.monitor(sup)
        local b = pids(sup).b
        local bref = process.monitor(b)
        crash(pids(sup).a)
        crash(pids(sup).a)
        assert(process.is_alive(sup), "two restarts are within the intensity")
        local a = pids(sup).a
        crash(a) -- the third restart in the period is one too many
        assert(down(sref).reason == "shutdown")
        assert(down(bref).reason == "shutdown", "the other child was shut down")
        assert(not process.is_alive(b))
    "#);
}

#[test]
fn shutdown_escalates_to_kill_for_a_child_that_ignores_it() {
    ok(r#"
        local sup = supervisor.start{children = {
            {id = "stubborn", shutdown = 50, start = function()
                return process.spawn(function()
                    process.trap_exit(true) -- an exit signal becomes a message it ignores
                    while true do process.receive() end
                end)
            end},
            {id = "polite", start = function() return process.spawn(loop) end},
        }}
        local p = pids(sup)
        local sref, pref = process.monitor(p.stubborn), process.monitor(p.polite)
        assert(supervisor.terminate_child(sup, "stubborn") == true)
        assert(down(sref).reason == "killed")
        assert(supervisor.terminate_child(sup, "polite") == true)
        assert(down(pref).reason == "shutdown")
        local n = supervisor.count_children(sup)
        assert(n.specs == 2 and n.active == 0)
    "#);
}

#[test]
fn child_management_calls() {
    ok(r#"
        local sup = supervisor.start{children = {
            {id = "a", start = function() return process.spawn(loop) end},
        }}
        -- start_child with a full spec (its start function travels as a parcel).
        local tag = "hello"
        local b = supervisor.start_child(sup, {id = "b", args = {7}, start = function(n)
            return process.spawn(function(n, tag)
                process.send(me, {tag = tag, n = n})
                loop()
            end, n, tag)
        end})
        local m = process.receive(5000)
        assert(m.tag == "hello" and m.n == 7)
        assert(pids(sup).b == b)
        local _, err = supervisor.start_child(sup, {id = "b", start = function() end})
        assert(err == "already_started", err)
        -- restart_child / delete_child on a running child are errors.
        assert(select(2, supervisor.restart_child(sup, "b")) == "running")
        assert(select(2, supervisor.delete_child(sup, "b")) == "running")
        assert(supervisor.terminate_child(sup, "b") == true)
        assert(pids(sup).b == false)
        assert(not process.is_alive(b))
        assert(select(2, supervisor.start_child(sup, {id = "b", start = function() end})) == "already_present")
        local b2 = supervisor.restart_child(sup, "b")
        assert(b2 and b2 ~= b and process.is_alive(b2))
        assert(process.receive(5000).n == 7, "restarted with the same args")
        assert(supervisor.terminate_child(sup, "b") == true)
        assert(supervisor.delete_child(sup, "b") == true)
        assert(pids(sup).b == nil)
        assert(select(2, supervisor.terminate_child(sup, "zzz")) == "not_found")
        local n = supervisor.count_children(sup)
        assert(n.specs == 1 and n.active == 1 and n.workers == 1)
        -- A start function that fails: the child is not added.
        local none, why = supervisor.start_child(sup, {id = "bad", start = function() error("nope") end})
        assert(none == nil and why:find("nope"), why)
        assert(supervisor.count_children(sup).specs == 1)
    "#);
}

#[test]
fn simple_one_for_one_starts_instances_with_args() {
    ok(r#"
        local sup = supervisor.start{strategy = "simple_one_for_one", children = {
            {id = "echo", args = {"prefix"}, restart = "transient", start = function(prefix, n)
                return process.spawn(function(prefix, n)
                    process.send(me, prefix .. n)
                    loop()
                end, prefix, n)
            end},
        }}
        assert(#supervisor.which_children(sup) == 0, "no instances yet")
        local p1 = supervisor.start_child(sup, {1})
        local p2 = supervisor.start_child(sup, {2})
        assert(process.receive(5000) == "prefix1")
        assert(process.receive(5000) == "prefix2")
        local list = supervisor.which_children(sup)
        assert(#list == 2 and list[1].pid == p1 and list[2].pid == p2)
        -- A crashed instance is restarted with its args; a normal exit removes it.
        crash(p1)
        assert(process.receive(5000) == "prefix1")
        crash(p2, "stop")
        list = supervisor.which_children(sup)
        assert(#list == 1 and list[1].pid ~= p1)
        assert(supervisor.terminate_child(sup, list[1].pid) == true)
        assert(supervisor.count_children(sup).specs == 0)
    "#);
}

#[test]
fn a_two_level_tree() {
    ok(r#"
        local sup = supervisor.start{strategy = "one_for_one", children = {
            {id = "w1", start = function() return process.spawn(loop) end},
            {id = "lower", type = "supervisor", start = function()
                return supervisor.start{strategy = "one_for_one", children = {
                    {id = "x", start = function() return process.spawn(loop) end},
                    {id = "y", start = function() return process.spawn(loop) end},
                }}
            end},
            {id = "w2", start = function() return process.spawn(loop) end},
        }}
        local top = pids(sup)
        local lower = top.lower
        local low = pids(lower)
        crash(low.x)
        local low2 = pids(lower)
        assert(low2.x ~= low.x and low2.y == low.y, "the lower supervisor restarted x")
        local top2 = pids(sup)
        assert(top2.w1 == top.w1 and top2.w2 == top.w2 and top2.lower == lower,
            "the upper supervisor restarted nothing")
        local n = supervisor.count_children(sup)
        assert(n.supervisors == 1 and n.workers == 2 and n.active == 3)
        -- Shutdown propagates down the tree.
        local refs = {}
        for _, pid in ipairs{lower, low2.x, low2.y} do refs[#refs + 1] = process.monitor(pid) end
        assert(supervisor.terminate_child(sup, "lower") == true)
        for _, r in ipairs(refs) do assert(down(r).reason == "shutdown") end
    "#);
}

#[test]
fn the_parent_ending_stops_the_tree() {
    ok(r#"
        local done = {}
        local parent = process.spawn(function()
            local sup = supervisor.start{children = {
                {id = "a", start = function() return process.spawn(loop) end},
            }}
            process.send(me, {sup = sup, a = supervisor.which_children(sup)[1].pid})
            process.receive() -- until told to end
        end)
        local m = process.receive(5000)
        local sref, aref = process.monitor(m.sup), process.monitor(m.a)
        process.send(parent, "end")
        assert(down(sref).reason == "normal")
        assert(down(aref).reason == "shutdown")
    "#);
}

#[test]
fn worker_pool_example() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/worker_pool.lua"
    );
    let src = std::fs::read_to_string(path).expect("examples/worker_pool.lua");
    for schedulers in [1, 2] {
        assert_eq!(run_with(schedulers, &src), ExitReason::Normal);
    }
}

#[test]
fn stop_and_a_child_that_fails_to_start() {
    ok(r#"
        local sup = supervisor.start{children = {
            {id = "a", start = function() return process.spawn(loop) end},
        }}
        local a = pids(sup).a
        local aref = process.monitor(a)
        assert(supervisor.stop(sup) == true)
        assert(not process.is_alive(sup))
        assert(down(aref).reason == "shutdown")
        -- A child that cannot start fails the whole supervisor, after the ones started
        -- before it are stopped again.
        process.trap_exit(true)
        local first
        local none, why = supervisor.start{children = {
            {id = "ok", start = function()
                local p = process.spawn(loop)
                process.send(me, p)
                return p
            end},
            {id = "bad", start = function() error("cannot start") end},
        }}
        assert(none == nil and why:find("cannot start"), why)
        first = process.receive(5000)
        assert(not process.is_alive(first))
    "#);
}
