-- A supervisor on one cube node restarting workers that run on another (README
-- "Distribution"). In two terminals:
--
--   cube-cli node --sname workers --cookie secret
--   cube-cli run --sname boss --cookie secret examples/cluster/remote_workers.lua workers@HOST
--
-- The supervisor's children are started with node.spawn on the `workers` node (the
-- worker function travels as verified bytecode) and linked to the supervisor across
-- the nodes. Each worker asks this script for jobs and squares them; one job is bad,
-- its worker crashes on the other node, the exit signal crosses back and the
-- supervisor starts a fresh worker there, which goes on with the others.

local where = assert(arg[1], "usage: remote_workers.lua NODE (a cube node: cube-cli node --sname NAME)")
assert(node.ping(where) == "pong", "cannot reach " .. where)

local WORKERS = 3
local jobs = { 3, 1, 4, 1, 5, "nine", 2, 6, 5, 3 }

-- A worker, on the other node: ask for a job, square it, report, repeat.
local function worker(pool)
    local me = process.self()
    while true do
        process.send(pool, { tag = "ready", pid = me })
        local job = process.receive()
        local result = job.input * job.input
        process.send(pool, { tag = "done", pid = me, index = job.index, result = result, on = node.self() })
    end
end

local pool = process.self()
local children = {}
for i = 1, WORKERS do
    children[i] = {
        id = "worker" .. i,
        args = { pool, where },
        -- Runs inside the supervisor: spawn on the other node, then link to it (a
        -- worker that died in between gives an EXIT `noproc`, which restarts it too).
        start = function(pool, where)
            local pid = assert(node.spawn(where, worker, pool))
            process.link(pid)
            return pid
        end,
    }
end
local sup = supervisor.start { strategy = "one_for_one", intensity = 3, period = 5, children = children }

local next_job, remaining = 1, #jobs
local busy, watched, results, failures, nodes = {}, {}, {}, {}, {}
while remaining > 0 do
    local m = assert(process.receive(10000), "the workers stalled")
    if m.tag == "ready" then
        if not watched[m.pid] then
            process.monitor(m.pid)
            watched[m.pid] = true
        end
        if next_job <= #jobs then
            busy[m.pid] = next_job
            process.send(m.pid, { index = next_job, input = jobs[next_job] })
            next_job = next_job + 1
        end
    elseif m.tag == "done" then
        busy[m.pid] = nil
        results[m.index] = m.result
        nodes[m.on] = true
        remaining = remaining - 1
    elseif m.tag == "DOWN" and busy[m.pid] then
        failures[busy[m.pid]] = m.reason
        busy[m.pid] = nil
        remaining = remaining - 1
    end
end

for i, input in ipairs(jobs) do
    if results[i] then
        print(("job %2d: %s squared is %s"):format(i, tostring(input), tostring(results[i])))
    else
        local why = tostring(failures[i]):match("[^\n]*"):gsub("^.-:%d+: ", "")
        print(("job %2d: %s failed (%s)"):format(i, tostring(input), why))
    end
end

-- The other workers may have finished the jobs before the restarted one checked in:
-- wait for it, so that what follows sees the three workers again.
local crashed = 0
for _ in pairs(failures) do crashed = crashed + 1 end
local seen = 0
for _ in pairs(watched) do seen = seen + 1 end
while seen < WORKERS + crashed do
    local m = assert(process.receive(10000), "the restarted worker never checked in")
    if m.tag == "ready" and not watched[m.pid] then
        watched[m.pid] = true
        seen = seen + 1
    end
end

-- Three workers again, all on the other node (their pids name it: not <0.X.Y>), one of
-- them started after the crash.
local remote = 0
for _, c in ipairs(supervisor.which_children(sup)) do
    if c.pid and not tostring(c.pid):find("^<0%.") then
        remote = remote + 1
    end
end
print(("%d workers under the supervisor, all on %s; %d started in all"):format(
    remote, next(nodes) == where and "the other node" or "?", seen))
supervisor.stop(sup)
