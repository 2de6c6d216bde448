-- A ring of N processes passing a token M times around (Erlang's classic ring).
-- usage: cube-cli run examples/ring.lua [N] [M]
local n = tonumber(arg[1]) or 1000
local m = tonumber(arg[2]) or 100

-- Each member forwards every token to the next one; the last one reports back.
local function member(next_pid)
  while true do
    local token = process.receive()
    if token == "stop" then
      process.send(next_pid, "stop")
      return
    end
    process.send(next_pid, token + 1)
  end
end

local me = process.self()
local first = me
local next_pid = me
for _ = 1, n - 1 do
  next_pid = process.spawn(member, next_pid)
end
first = next_pid

local t0 = os.clock()
local hops = 0
for _ = 1, m do
  process.send(first, 0)
  hops = hops + process.receive() + 1
end
process.send(first, "stop")
assert(process.receive() == "stop")
print(("ring of %d processes: %d rounds, %d message hops"):format(n, m, hops))
