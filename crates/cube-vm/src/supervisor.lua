-- The `supervisor` library: OTP supervisors on top of the `process` library.
--
-- A supervisor is a process that traps exits, starts its children in order, links to
-- each, restarts them by its strategy when they exit, and terminates them in reverse
-- order. Its behaviour follows Erlang/OTP's supervisor.erl; where this file differs or
-- has to choose, a comment says why.
--
-- Transport: a child spec's `start` function cannot travel in a message (only
-- `process.spawn`'s function can carry functions, in its upvalues). So the caller's side
-- turns each `start` into a ticket with `supervisor._parcel` (a native, see
-- supervisor.rs) and the supervisor process makes the function again with
-- `supervisor._claim`. With tickets, a spec is plain data: it goes to the new
-- supervisor as an upvalue of the spawned function, and to `start_child` in a message.
--
-- The supervisor process refers to this library through the global `supervisor` (its
-- own copy, installed in every process), never through upvalues: upvalues of a spawned
-- function are deep-copied, and this module table holds natives that cannot be.

-- The module table comes from supervisor.rs (it is already the global `supervisor`).
local M = ... or {}

local DEFAULTS = {
    strategy = "one_for_one",
    intensity = 1,
    period = 5,
    restart = "permanent",
    worker_shutdown = 5000,
    -- OTP's default for a child supervisor: wait for its whole subtree to stop.
    supervisor_shutdown = "infinity",
}

local STRATEGIES = {
    one_for_one = true,
    one_for_all = true,
    rest_for_one = true,
    simple_one_for_one = true,
}

local RESTARTS = { permanent = true, transient = true, temporary = true }

-- Message tags private to this library.
local CALL, REPLY, ACK = "$sup_call", "$sup_reply", "$sup_ack"

-- Every pid of a process shares one metatable, the one of its own pid.
local function is_pid(v)
    return type(v) == "userdata" and getmetatable(v) == getmetatable(process.self())
end

-- Checks a child spec and fills in the defaults; `start` becomes a ticket (see top).
local function normalize_child(c, i)
    if type(c) ~= "table" then
        error(("child spec #%s must be a table"):format(i), 3)
    end
    if type(c.start) ~= "function" then
        error(("child spec %s: 'start' must be a function"):format(tostring(c.id or i)), 3)
    end
    local restart = c.restart or DEFAULTS.restart
    if not RESTARTS[restart] then
        error(("child spec %s: bad restart type '%s'"):format(tostring(c.id or i), tostring(restart)), 3)
    end
    local kind = c.type or "worker"
    local shutdown = c.shutdown
    if shutdown == nil then
        shutdown = kind == "supervisor" and DEFAULTS.supervisor_shutdown or DEFAULTS.worker_shutdown
    end
    return {
        id = c.id == nil and i or c.id,
        start = M._parcel(c.start),
        args = c.args or {},
        restart = restart,
        shutdown = shutdown,
        type = kind,
    }
end

---------------------------------------------------------------------------------------
-- The client side: functions called in any process.
---------------------------------------------------------------------------------------

-- supervisor.start{strategy=, intensity=, period=, children={...}} -> pid
--
-- Like OTP's start_link: the new supervisor is linked to the caller (its parent), and
-- this returns once all children have started. If a child fails to start, the
-- supervisor terminates the ones already started and exits; this returns nil and the
-- reason (a caller that does not trap exits dies of the link first, as in OTP).
function M.start(spec)
    if type(spec) ~= "table" then
        error("supervisor.start expects a table", 2)
    end
    local strategy = spec.strategy or DEFAULTS.strategy
    if not STRATEGIES[strategy] then
        error("unknown supervisor strategy '" .. tostring(strategy) .. "'", 2)
    end
    local children = {}
    for i, c in ipairs(spec.children or {}) do
        children[i] = normalize_child(c, i)
    end
    if strategy == "simple_one_for_one" and #children ~= 1 then
        error("simple_one_for_one needs exactly one child spec (the template)", 2)
    end
    local config = {
        strategy = strategy,
        intensity = spec.intensity or DEFAULTS.intensity,
        period = spec.period or DEFAULTS.period,
        children = children,
    }
    local parent = process.self()
    local sup = process.spawn_link(function()
        return supervisor._run(parent, config)
    end)
    -- Wait for the ack or the supervisor's death, whichever comes first.
    local ref = process.monitor(sup)
    local m = process.receive(function(m)
        return type(m) == "table"
            and ((m.tag == ACK and m.pid == sup) or (m.tag == "DOWN" and m.ref == ref))
    end)
    if m.tag == "DOWN" then
        return nil, m.reason
    end
    process.demonitor(ref)
    return sup
end

-- A synchronous request, as gen_server:call: the monitor reference is the unique tag
-- of the reply, and a DOWN instead of a reply means the supervisor is gone.
local function call(sup, request)
    if type(sup) == "string" then
        sup = process.whereis(sup) or error("no supervisor registered as '" .. sup .. "'", 3)
    end
    local ref = process.monitor(sup)
    process.send(sup, { tag = CALL, ref = ref, from = process.self(), request = request })
    local m = process.receive(function(m)
        return type(m) == "table" and m.ref == ref and (m.tag == REPLY or m.tag == "DOWN")
    end)
    if m.tag == "DOWN" then
        error("supervisor " .. tostring(sup) .. " is not running (" .. tostring(m.reason) .. ")", 3)
    end
    if not process.demonitor(ref) then
        -- The supervisor ended right after replying: drop the DOWN that is on its way.
        process.receive(function(d)
            return type(d) == "table" and d.tag == "DOWN" and d.ref == ref
        end)
    end
    if m.ok then
        return m.value
    end
    return nil, m.error
end

-- -> list of {id=, pid=, type=} in start order; pid is false for a child not running.
function M.which_children(sup)
    return call(sup, { op = "which_children" })
end

-- -> {specs=, active=, supervisors=, workers=}
function M.count_children(sup)
    return call(sup, { op = "count_children" })
end

-- A child spec (a list of extra arguments for simple_one_for_one) -> pid, or nil, err.
function M.start_child(sup, spec_or_args)
    local arg = spec_or_args or {}
    -- A spec carries a start function; anything else is a simple_one_for_one arg list.
    if type(arg) == "table" and arg.start ~= nil then
        arg = normalize_child(arg, "?")
        return call(sup, { op = "start_child", spec = arg })
    end
    return call(sup, { op = "start_child", args = arg })
end

-- By id (by pid for simple_one_for_one) -> true, or nil, err.
function M.terminate_child(sup, id)
    return call(sup, { op = "terminate_child", id = id })
end

-- Restarts a terminated child by id -> pid, or nil, err.
function M.restart_child(sup, id)
    return call(sup, { op = "restart_child", id = id })
end

-- Stops the supervisor and its whole tree; returns once it is gone (gen_server:stop).
-- The reason defaults to "normal", so a linked caller is not taken down with it.
function M.stop(sup, reason)
    local ref = process.monitor(sup)
    process.send(sup, { tag = CALL, ref = ref, from = process.self(), request = { op = "stop", reason = reason } })
    process.receive(function(m)
        return type(m) == "table" and m.tag == "DOWN" and m.ref == ref
    end)
    return true
end

-- Removes a terminated child's spec by id -> true, or nil, err.
function M.delete_child(sup, id)
    return call(sup, { op = "delete_child", id = id })
end

---------------------------------------------------------------------------------------
-- The supervisor process. Its state `S`:
--   strategy, intensity, period, parent,
--   children: child records in start order {id, start, args, restart, shutdown, type,
--             pid (false when not running)},
--   template: the child spec of a simple_one_for_one supervisor,
--   restarts: times (M._now(), monotonic seconds as OTP counts) of recent restarts.
---------------------------------------------------------------------------------------

local function index_of(S, child)
    for i, c in ipairs(S.children) do
        if c == child then
            return i
        end
    end
end

local function find_by_id(S, id)
    for _, c in ipairs(S.children) do
        if (S.template and c.pid == id) or (not S.template and c.id == id) then
            return c
        end
    end
end

local function find_by_pid(S, pid)
    for _, c in ipairs(S.children) do
        if c.pid == pid then
            return c
        end
    end
end

local function remove_child(S, child)
    local i = index_of(S, child)
    if i then
        table.remove(S.children, i)
    end
end

-- Runs a child's start function here, in the supervisor, and links to the pid it
-- returns. Returns true (the pid may be false: a start function that returns nothing
-- means "ignore", as OTP's `ignore`), or false and the reason.
local function start_child_process(child)
    local ok, pid, err = pcall(child.start, table.unpack(child.args))
    if not ok then
        return false, tostring(pid)
    end
    if pid == nil or pid == false then
        if err ~= nil then
            return false, tostring(err)
        end
        child.pid = false
        return true
    end
    if not is_pid(pid) then
        return false, "start function returned " .. tostring(pid) .. ", not a pid"
    end
    -- Trapping exits, linking to a pid that already died gives an EXIT "noproc"
    -- message, which the main loop handles like any other exit of the child.
    process.link(pid)
    child.pid = pid
    return true
end

-- OTP's shutdown/2: stop one child and wait until it is gone. The monitor comes first,
-- then the unlink, so the end of the child is seen as a DOWN and no EXIT of it arrives
-- later to be mistaken for a crash (one that already arrived is dropped here).
local function shutdown_child(child)
    local pid = child.pid
    if not pid then
        return
    end
    child.pid = false
    local ref = process.monitor(pid)
    process.unlink(pid)
    local function down(timeout)
        return process.receive(function(m)
            return type(m) == "table" and m.tag == "DOWN" and m.ref == ref
        end, timeout)
    end
    local died = process.receive(function(m)
        return type(m) == "table" and m.tag == "EXIT" and m.pid == pid
    end, 0)
    if died then
        down()
        return
    end
    if child.shutdown == "brutal_kill" then
        process.exit(pid, "kill")
        down()
        return
    end
    process.exit(pid, "shutdown")
    local timeout = child.shutdown ~= "infinity" and child.shutdown or nil
    if not down(timeout) then
        -- It ignored "shutdown" (it traps exits) for too long: kill it, untrappably.
        process.exit(pid, "kill")
        down()
    end
end

-- Terminates the given children in reverse order; temporary ones are forgotten, as
-- OTP never restarts them.
local function terminate_list(S, list)
    for i = #list, 1, -1 do
        local child = list[i]
        shutdown_child(child)
        if child.restart == "temporary" then
            remove_child(S, child)
        end
    end
end

local function terminate_all(S)
    local list = {}
    for i, c in ipairs(S.children) do
        list[i] = c
    end
    terminate_list(S, list)
end

-- Ends the supervisor after stopping all its children.
local function stop(S, reason)
    terminate_all(S)
    process.exit(reason)
end

-- OTP's add_restart: counts this restart; more than `intensity` within `period`
-- seconds means restarting does not help, and the supervisor gives up.
local function add_restart(S)
    local now = (M._now or os.time)()
    local recent = { now }
    for _, t in ipairs(S.restarts) do
        if now - t < S.period then
            recent[#recent + 1] = t
        end
    end
    S.restarts = recent
    if #recent > S.intensity then
        stop(S, "shutdown")
    end
end

-- Starts `list` in order. When one fails, the ones started so far are stopped again,
-- the failure counts as a restart, and the whole list is tried again (add_restart
-- ends the supervisor when this keeps failing).
local function restart_list(S, list)
    while true do
        local failed = false
        for i, child in ipairs(list) do
            if index_of(S, child) and not start_child_process(child) then
                local started = {}
                for j = 1, i - 1 do
                    started[j] = list[j]
                end
                terminate_list(S, started)
                failed = true
                break
            end
        end
        if not failed then
            return
        end
        add_restart(S)
    end
end

-- A child exited: restart it (and the ones its strategy couples it with) if its
-- restart type says so.
local function child_exited(S, child, reason)
    child.pid = false
    local abnormal = reason ~= "normal" and reason ~= "shutdown"
    local restart = child.restart == "permanent" or (child.restart == "transient" and abnormal)
    if not restart then
        -- OTP forgets temporary children and ended simple_one_for_one instances.
        if child.restart == "temporary" or S.template then
            remove_child(S, child)
        end
        return
    end
    add_restart(S)
    local group
    if S.strategy == "one_for_all" then
        group = {}
        for i, c in ipairs(S.children) do
            group[i] = c
        end
    elseif S.strategy == "rest_for_one" then
        group = {}
        for i = index_of(S, child), #S.children do
            group[#group + 1] = S.children[i]
        end
    else
        group = { child }
    end
    -- Stop the others of the group (newest first), then start the group in order.
    local others = {}
    for _, c in ipairs(group) do
        if c ~= child then
            others[#others + 1] = c
        end
    end
    terminate_list(S, others)
    local still = {}
    for _, c in ipairs(group) do
        if index_of(S, c) then
            still[#still + 1] = c
        end
    end
    restart_list(S, still)
end

local handlers = {}

function handlers.which_children(S)
    local out = {}
    for i, c in ipairs(S.children) do
        out[i] = { id = c.id, pid = c.pid, type = c.type }
    end
    return true, out
end

function handlers.count_children(S)
    local n = { specs = #S.children, active = 0, supervisors = 0, workers = 0 }
    for _, c in ipairs(S.children) do
        if c.pid then
            n.active = n.active + 1
        end
        if c.type == "supervisor" then
            n.supervisors = n.supervisors + 1
        else
            n.workers = n.workers + 1
        end
    end
    return true, n
end

function handlers.start_child(S, req)
    local child
    if S.template then
        if req.spec then
            return false, "simple_one_for_one takes a list of arguments, not a child spec"
        end
        -- As OTP: the instance's arguments are the template's followed by these.
        local t = S.template
        local args = {}
        for _, a in ipairs(t.args) do
            args[#args + 1] = a
        end
        for _, a in ipairs(req.args) do
            args[#args + 1] = a
        end
        child = { id = t.id, start = t.start, args = args, restart = t.restart, shutdown = t.shutdown, type = t.type }
    else
        if not req.spec then
            return false, "a child spec is needed (with a start function)"
        end
        child = req.spec
        child.start = supervisor._claim(child.start)
        local existing = find_by_id(S, child.id)
        if existing then
            return false, existing.pid and "already_started" or "already_present"
        end
    end
    S.children[#S.children + 1] = child
    local ok, err = start_child_process(child)
    if not ok then
        remove_child(S, child)
        return false, err
    end
    if not child.pid and S.template then
        remove_child(S, child) -- an ignored instance is not kept (OTP)
    end
    return true, child.pid
end

function handlers.terminate_child(S, req)
    local child = find_by_id(S, req.id)
    if not child then
        return false, "not_found"
    end
    shutdown_child(child)
    if child.restart == "temporary" or S.template then
        remove_child(S, child)
    end
    return true, true
end

function handlers.restart_child(S, req)
    if S.template then
        return false, "simple_one_for_one"
    end
    local child = find_by_id(S, req.id)
    if not child then
        return false, "not_found"
    end
    if child.pid then
        return false, "running"
    end
    local ok, err = start_child_process(child)
    if not ok then
        return false, err
    end
    return true, child.pid
end

function handlers.delete_child(S, req)
    if S.template then
        return false, "simple_one_for_one"
    end
    local child = find_by_id(S, req.id)
    if not child then
        return false, "not_found"
    end
    if child.pid then
        return false, "running"
    end
    remove_child(S, child)
    return true, true
end

function handlers.stop(S, req)
    stop(S, req.reason or "normal") -- no reply: the caller waits for our DOWN
end

local function handle_call(S, m)
    local req = type(m.request) == "table" and m.request or {}
    local handler = handlers[req.op]
    local ok, value
    if handler then
        ok, value = handler(S, req)
    else
        ok, value = false, "unknown request '" .. tostring(req.op) .. "'"
    end
    local reply = { tag = REPLY, ref = m.ref, ok = ok }
    if ok then
        reply.value = value
    else
        reply.error = value
    end
    process.send(m.from, reply)
end

-- The body of a supervisor process (called through the global, see top).
function M._run(parent, config)
    process.trap_exit(true)
    local S = {
        strategy = config.strategy,
        intensity = config.intensity,
        period = config.period,
        parent = parent,
        children = {},
        restarts = {},
    }
    for i, c in ipairs(config.children) do
        c.start = supervisor._claim(c.start)
        if S.strategy == "simple_one_for_one" then
            S.template = c -- started later, by start_child
        else
            S.children[i] = c
        end
    end
    for _, child in ipairs(S.children) do
        local ok, err = start_child_process(child)
        if not ok then
            -- As OTP's init: a child that cannot start fails the whole supervisor.
            stop(S, "failed to start child " .. tostring(child.id) .. ": " .. tostring(err))
        end
    end
    process.send(parent, { tag = ACK, pid = process.self() })
    while true do
        local m = process.receive()
        if type(m) == "table" then
            if m.tag == "EXIT" then
                if m.pid == S.parent then
                    -- The parent ended or asked us to: take the subtree down with us.
                    stop(S, m.reason)
                end
                local child = find_by_pid(S, m.pid)
                if child then
                    child_exited(S, child, m.reason)
                end
                -- Any other EXIT is of a process we no longer supervise: ignore it.
            elseif m.tag == CALL then
                handle_call(S, m)
            end
        end
    end
end

return M
