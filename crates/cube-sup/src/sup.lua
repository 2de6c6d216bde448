-- The Lua half of cube-sup: the manager process, the process of each program instance,
-- and the `programs` library that Lua scripts on the node use.
--
-- Each instance of a managed OS program (program "web" with numprocs = 2 has instances
-- "web:0" and "web:1") is one cube process, a child of one OTP supervisor (the
-- `supervisor` library, strategy one_for_one) that the manager starts. The restart
-- policy maps onto OTP restart types: always = permanent, on-failure = transient,
-- never = temporary. When the OS program ends, the reaper thread (Rust) sends the
-- instance process an `os_exit` message; the process ends with reason "normal" if the
-- exit was expected and with the exit description otherwise, and the supervisor
-- restarts it or not by its restart type. A new instance process waits out the backoff
-- (computed on the Rust side from the failed starts in a row) before it spawns the
-- program again, and after `retries` failed starts it stays alive in state "fatal"
-- without spawning, until `start` is asked for.
--
-- The natives (M._*) are in lualib.rs; the state they share (instances, config, event
-- publishing) is Rust's (core.rs), so the control socket answers `status` without a
-- round trip through the VM.

local M = ...

-- The instance body is in instance.lua (compiled ahead of this file).

local function is_table(m)
    return type(m) == "table"
end

---------------------------------------------------------------------------------------
-- The manager: the node's first process under `cube-cli supervise`.
---------------------------------------------------------------------------------------

local function child_spec(inst)
    return {
        id = inst.id,
        restart = inst.restart,
        shutdown = inst.shutdown,
        args = { inst.id },
        start = function(id)
            return process.spawn(function(i)
                return programs._instance(i)
            end, id)
        end,
    }
end

function M._manager()
    process.trap_exit(true)
    process.register("cube_sup", process.self())
    local sup = assert(supervisor.start({ strategy = "one_for_one", intensity = 1e12, period = 1, children = {} }))
    -- Instances by id: {inst=, state="pending"|"started"}; `order` is start order.
    local known, order = {}, {}
    local ready = {}

    local function deps_ready(inst)
        for _, d in ipairs(inst.deps) do
            if not ready[d] then
                return false
            end
        end
        return true
    end

    -- Starts one instance (`k` is its entry in `known`). A child the supervisor already
    -- has is restarted (a fatal one is terminated first, so it starts over); a new one,
    -- or a temporary one OTP forgot after it ended, is added.
    local function start_one(k)
        local inst = k.inst
        if k.in_sup then
            if M._is_fatal(inst.id) then
                supervisor.terminate_child(sup, inst.id)
            end
            M._reset(inst.id)
            local ok, err = supervisor.restart_child(sup, inst.id)
            if ok or err == "running" then
                return true
            end
            supervisor.delete_child(sup, inst.id)
        else
            M._reset(inst.id)
        end
        local ok, err = supervisor.start_child(sup, child_spec(inst))
        k.in_sup = ok ~= nil
        return ok ~= nil, err
    end

    -- Starts the pending instances whose dependencies are ready.
    local function start_pending()
        for _, id in ipairs(order) do
            local k = known[id]
            if k and k.state == "pending" and deps_ready(k.inst) then
                k.state = "started"
                start_one(k)
            end
        end
    end

    local function add(inst, autostart)
        if not known[inst.id] then
            order[#order + 1] = inst.id
        end
        known[inst.id] = { inst = inst, state = autostart and "pending" or "stopped" }
    end

    local function stop_ids(ids)
        for i = #ids, 1, -1 do
            local id = ids[i]
            if known[id] then
                supervisor.terminate_child(sup, id)
                known[id].state = "stopped"
                M._mark_stopped(id)
            end
        end
    end

    local function forget(ids)
        stop_ids(ids)
        for _, id in ipairs(ids) do
            supervisor.delete_child(sup, id)
            known[id] = nil
            ready[id] = nil
        end
        local kept = {}
        for _, id in ipairs(order) do
            if known[id] then
                kept[#kept + 1] = id
            end
        end
        order = kept
    end

    for _, inst in ipairs(M._plan()) do
        add(inst, inst.autostart)
    end
    start_pending()

    local ops = {}
    function ops.start(m)
        -- Asked explicitly: start now, in order, even what was already started (a
        -- fatal instance starts over; a running one is left alone).
        for _, id in ipairs(m.ids) do
            local k = known[id]
            k.state = "started"
            start_one(k)
        end
        return { started = m.ids }
    end
    function ops.stop(m)
        stop_ids(m.ids)
        return { stopped = m.ids }
    end
    function ops.restart(m)
        stop_ids(m.ids)
        ops.start(m)
        return { restarted = m.ids }
    end
    function ops.reload(m)
        forget(m.stop)
        for _, inst in ipairs(M._apply_reload()) do
            add(inst, inst.autostart)
        end
        start_pending()
        return m.summary
    end
    function ops.add(m)
        for _, inst in ipairs(M._apply_reload()) do
            add(inst, inst.autostart)
        end
        start_pending()
        return m.summary
    end

    M._manager_ready()
    while true do
        local m = process.receive()
        if is_table(m) then
            if m.tag == "ready" then
                ready[m.id] = true
                start_pending()
            elseif m.tag == "ctl" then
                local ok, res = pcall(ops[m.op] or function()
                    error("unknown operation '" .. tostring(m.op) .. "'")
                end, m)
                if m.from then
                    process.send(m.from, { tag = "programs_reply", ref = m.ref, ok = ok, result = res })
                else
                    M._reply(m.id, ok, res)
                end
            elseif m.tag == "quit" then
                supervisor.stop(sup)
                M._reply(m.id, true, { stopped = order })
                return
            elseif m.tag == "EXIT" and m.pid == sup then
                process.exit(m.reason)
            end
        end
    end
end

---------------------------------------------------------------------------------------
-- The `programs` library for Lua code on the node (the same operations as the control
-- socket).
---------------------------------------------------------------------------------------

local function request(op, arg)
    local mgr = process.whereis("cube_sup")
    if not mgr then
        error("no program supervisor runs on this node (start one with cube-cli supervise)", 3)
    end
    local msg, err = M._request(op, arg)
    if not msg then
        return nil, err
    end
    local ref = process.monitor(mgr)
    msg.from = process.self()
    msg.ref = ref
    process.send(mgr, msg)
    local r = process.receive(function(m)
        return is_table(m) and m.ref == ref and (m.tag == "programs_reply" or m.tag == "DOWN")
    end)
    process.demonitor(ref)
    if r.tag == "DOWN" then
        return nil, "the program supervisor stopped"
    end
    if not r.ok then
        return nil, tostring(r.result)
    end
    return r.result
end

-- programs.start(name) starts a configured program (or group, or "name:i"), and
-- programs.start{name=, command=, args=, ...} adds a program (the keys of a
-- [programs.NAME] table of the config file) and starts it.
function M.start(what)
    if type(what) == "table" then
        return request("add", what)
    end
    return request("start", what)
end

function M.stop(name)
    return request("stop", name)
end

function M.restart(name)
    return request("restart", name)
end

-- -> list of {name=, instance=, id=, state=, pid=, uptime=, restarts=, last_exit=}
function M.status(name)
    return M._status(name)
end

-- Sends an OS signal ("HUP", 1, ...) to a program's instances.
function M.signal(name, sig)
    return M._signal(name, sig)
end

-- Events (spawn, running, exit, stop, restart, fatal, health_failure) arrive as
-- messages {tag="program_event", event=, id=, name=, ...} until process exit.
function M.subscribe()
    return M._subscribe()
end

return M
