-- Lua workers on a cube node, driven from an Erlang shell (README "Distribution").
--
--   cube-cli node --sname cube --cookie secret --script examples/cluster/workers.lua
--   erl -sname erl -setcookie secret
--   1> {pool, cube@HOST} ! {self(), square, 7}.
--   2> flush().
--   Shell got {result,49}
--
-- The pool (registered as `pool`) runs each request in a worker process of its own,
-- linked to it, so a job that fails ends its worker only: the caller gets
-- {error, Reason} and the pool goes on. Requests are Erlang tuples; they arrive as
-- tuples (`term.type(m) == "tuple"`) whose atoms are `term.atom` values.

local A = term.atom

-- One request: {From, Job, Arg}, in a process of its own. (The jobs are made here:
-- a spawned function takes copies of its upvalues, and tables of functions are not
-- copied between processes.)
local function work(from, job, arg)
  local jobs = {
    square = function(x) return x * x end,
    fib = function(n)
      local a, b = 0, 1
      for _ = 1, n do a, b = b, a + b end
      return a
    end,
    fail = function(why) error(why, 0) end,
  }
  local f = jobs[tostring(job)]
  if not f then
    process.send(from, term.tuple(A"error", "unknown job " .. tostring(job)))
    return
  end
  local ok, result = pcall(f, arg)
  if ok then
    process.send(from, term.tuple(A"result", result))
  else
    process.send(from, term.tuple(A"error", tostring(result)))
  end
end

process.register("pool", process.self())
process.trap_exit(true)
print("pool up on " .. node.self())
io.stdout:flush()
while true do
  local m = process.receive()
  if term.type(m) == "tuple" and #m == 3 and term.type(m[1]) == "pid" then
    process.spawn_link(work, m[1], m[2], m[3])
  end
  -- Anything else (and the workers' EXIT messages) is dropped.
end
