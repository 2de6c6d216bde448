-- A pool of workers under a supervisor.
--
-- The script is the dispatcher: three workers ask it for jobs, it hands each job to a
-- worker that is ready, and collects the results. One job is bad (it is not a number):
-- the worker that takes it crashes, the dispatcher records that job as failed, and the
-- supervisor starts a fresh worker in its place, which asks for work like the others.
-- The summary is printed in job order, so it is the same on every run.
--
--   cube-cli run examples/worker_pool.lua

local WORKERS = 3
local jobs = { 3, 1, 4, 1, 5, "nine", 2, 6, 5, 3 }

-- A worker: ask for a job, square it, report, repeat. `job.input * job.input` raises
-- an error for the bad job, which ends (crashes) the worker.
local function worker(pool)
    local me = process.self()
    while true do
        process.send(pool, { tag = "ready", pid = me })
        local job = process.receive()
        process.send(pool, { tag = "done", pid = me, index = job.index, result = job.input * job.input })
    end
end

local pool = process.self()
local children = {}
for i = 1, WORKERS do
    children[i] = {
        id = "worker" .. i,
        args = { pool },
        -- Runs inside the supervisor: spawn_link links the worker to it.
        start = function(pool) return process.spawn_link(worker, pool) end,
    }
end
local sup = supervisor.start { strategy = "one_for_one", intensity = 3, period = 5, children = children }

local next_job = 1
local busy = {}      -- worker pid -> index of the job it is doing
local watched = {}   -- worker pid -> true once we monitor it
local results, failures = {}, {}
local remaining = #jobs
local crashes = 0

while remaining > 0 do
    local m = process.receive(5000)
    assert(m, "the pool stalled")
    if m.tag == "ready" then
        if not watched[m.pid] then
            -- Monitor each worker so a crash in the middle of a job is noticed.
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
        remaining = remaining - 1
    elseif m.tag == "DOWN" then
        local index = busy[m.pid]
        if index then
            crashes = crashes + 1
            busy[m.pid] = nil
            failures[index] = m.reason
            remaining = remaining - 1
        end
    end
end

local sum = 0
for i, input in ipairs(jobs) do
    if results[i] then
        print(("job %2d: %s squared is %s"):format(i, tostring(input), tostring(results[i])))
        sum = sum + results[i]
    else
        -- Only the first line of the reason: it may carry a traceback.
        local why = tostring(failures[i]):match("[^\n]*"):gsub("^.-:%d+: ", "")
        print(("job %2d: %s failed (%s)"):format(i, tostring(input), why))
    end
end

-- The crashed worker was replaced: still three workers, all alive, one with a new pid.
local alive = 0
for _, c in ipairs(supervisor.which_children(sup)) do
    if c.pid and process.is_alive(c.pid) then
        alive = alive + 1
    end
end
print(("%d jobs, %d done, %d failed; sum of squares %d"):format(#jobs, #jobs - crashes, crashes, sum))
print(("workers: %d alive after %d restart(s)"):format(alive, crashes))
assert(crashes == 1 and alive == WORKERS and sum == 126)
supervisor.stop(sup)
