-- spawn: N processes are spawned; each sends one reply (its index) to the
-- parent, which collects all N replies and prints their count and sum.
local n = tonumber(arg and arg[1]) or 100000

local function child(parent, i)
  process.send(parent, i)
end

local me = process.self()
for i = 1, n do
  process.spawn(child, me, i)
end
local sum = 0
for _ = 1, n do
  sum = sum + process.receive()
end
io.write(string.format("spawn %d %d\n", n, sum))
