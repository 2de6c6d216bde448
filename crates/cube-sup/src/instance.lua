-- The body of a program instance's process (see sup.lua for the whole design). Kept
-- apart so that instance processes load only this (a few KB of heap each, where the
-- whole `programs` module would cost tens of KB in each of thousands of processes);
-- lualib.rs compiles it alone for them, and ahead of sup.lua for everyone else.

local M = ...

local function is_table(m)
    return type(m) == "table"
end

-- Waits for the OS program `ospid` to end, at most `ms` milliseconds; true if it did.
local function await_exit(ospid, ms)
    local m = process.receive(function(m)
        return is_table(m) and m.tag == "os_exit" and m.ospid == ospid
    end, ms)
    return m ~= nil
end

-- Stops the OS program and everything it started: the stop signal to its process
-- group, SIGKILL to the group after the stop timeout; then descendants that left the
-- group (setsid, double fork) get the stop signal and the rest of the stop timeout
-- before SIGKILL. The tree is scanned only once in the common case (nothing left).
local function stop_program(id, ospid, why)
    local timeout = M._stop_begin(id)
    local deadline = M._now() + timeout
    if not await_exit(ospid, timeout) then
        M._kill(id)
        await_exit(ospid, 5000)
    end
    if M._signal_leftovers(id) > 0 then
        while M._leftovers(id) > 0 and M._now() < deadline do
            process.sleep(20)
        end
        if M._leftovers(id) > 0 then
            M._kill(id)
        end
    end
    M._stopped(id, why)
end

-- Stays alive without a program (gave up, or never to be started) until shut down.
local function idle(id)
    while true do
        local m = process.receive()
        if is_table(m) and m.tag == "EXIT" then
            M._stopped(id, m.reason)
            process.exit(m.reason)
        end
    end
end

function M._instance(id)
    process.trap_exit(true)
    local plan = M._begin(id)
    if plan.fatal then
        return idle(id)
    end
    if plan.delay > 0 then
        local m = process.receive(function(m)
            return is_table(m) and m.tag == "EXIT"
        end, plan.delay)
        if m then
            M._stopped(id, m.reason)
            process.exit(m.reason)
        end
    end
    local ospid, err = M._spawn(id)
    if not ospid then
        -- Counted as a failed start (backoff): the supervisor starts us again.
        process.exit("spawn failed: " .. tostring(err))
    end
    local up = plan.startsecs <= 0
    if up then
        M._running(id)
    end
    while true do
        local m = process.receive(not up and plan.startsecs or nil)
        if m == nil then
            up = true
            M._running(id)
        elseif is_table(m) then
            if m.tag == "os_exit" and m.ospid == ospid then
                process.exit(M._exited(id, m.ospid, m.code, m.signal))
            elseif m.tag == "EXIT" then
                stop_program(id, ospid, m.reason)
                process.exit(m.reason)
            elseif m.tag == "health" then
                M._health_failed(id, m.reason)
                stop_program(id, ospid, "health: " .. m.reason)
                process.exit("health check failed: " .. m.reason)
            end
        end
    end
end
