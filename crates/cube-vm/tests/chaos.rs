//! Chaos: random workers of a two-level supervision tree are killed, hundreds of times;
//! the tree must recover every time, and afterwards no process and no message is left
//! over once the tree is stopped.

mod common;

use common::ok;

#[test]
fn a_supervision_tree_recovers_from_random_kills_without_leaks() {
    ok(r#"
        math.randomseed(7)
        -- An echo worker: answers {from=, n=} with n.
        local function echo()
            while true do
                local m = process.receive()
                process.send(m.from, m.n)
            end
        end
        local function worker_specs(prefix, n)
            local specs = {}
            for i = 1, n do
                specs[i] = {id = prefix .. i, start = function() return process.spawn_link(echo) end}
            end
            return specs
        end
        local function group(prefix)
            return function()
                return supervisor.start{strategy = "one_for_one", intensity = 10000, period = 1,
                                        children = worker_specs(prefix, 5)}
            end
        end
        local top = supervisor.start{strategy = "one_for_one", intensity = 10000, period = 1, children = {
            {id = "a", type = "supervisor", start = group("a")},
            {id = "b", type = "supervisor", start = group("b")},
        }}

        local function groups()
            local gs = {}
            for _, c in ipairs(supervisor.which_children(top)) do gs[#gs + 1] = c.pid end
            return gs
        end
        -- Every worker answers: the tree is whole again.
        local me = process.self()
        local function check_all_answer()
            local n = 0
            for _, g in ipairs(groups()) do
                for _, w in ipairs(supervisor.which_children(g)) do
                    assert(w.pid, "a worker is missing")
                    n = n + 1
                    process.send(w.pid, {from = me, n = n})
                    assert(process.receive(function(m) return m == n end, 5000) == n, "no answer")
                end
            end
            assert(n == 10, n)
        end

        check_all_answer()
        -- Kill for about a second of CPU time (at least 300 kills).
        local kills, round, t0 = 0, 0, os.clock()
        while round < 300 or (os.clock() - t0 < 1.0 and round < 20000) do
            round = round + 1
            local gs = groups()
            local g = gs[math.random(#gs)]
            local ws = supervisor.which_children(g)
            local victim = ws[math.random(#ws)].pid
            if victim then
                local ref = process.monitor(victim)
                process.exit(victim, "kill")
                local down = process.receive(function(m) return m.tag == "DOWN" and m.ref == ref end, 5000)
                assert(down and down.reason == "killed")
                kills = kills + 1
            end
            if round % 50 == 0 then check_all_answer() end
        end
        assert(kills == round and kills >= 300, kills)
        check_all_answer()

        -- Stop the tree: nothing may remain but this process, and no stray message.
        local ref = process.monitor(top)
        supervisor.stop(top)
        assert(process.receive(function(m) return m.tag == "DOWN" and m.ref == ref end, 5000))
        for _ = 1, 200 do
            if #process.list() == 1 then break end
            process.sleep(5)
        end
        assert(#process.list() == 1, "leaked processes: " .. #process.list())
        local stray = process.receive(0)
        assert(stray == nil, "leaked message")
    "#);
}
