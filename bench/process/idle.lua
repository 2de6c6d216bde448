-- idle: N processes that each tell the parent they are running and then
-- block in receive forever. The parent waits for all N, prints, and ends
-- the node. The runner measures the peak resident set size of the whole OS
-- process and subtracts a run with N = 0.
local n = tonumber(arg and arg[1]) or 100000

local function idle(parent)
  process.send(parent, 1)
  process.receive()
end

local me = process.self()
for _ = 1, n do
  process.spawn(idle, me)
end
local ready = 0
for _ = 1, n do
  ready = ready + process.receive()
end
io.write(string.format("idle %d %d\n", n, ready))
