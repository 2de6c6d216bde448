-- ring: N processes in a ring pass a token M hops in total.
-- Each process first receives the pid of its successor, then forwards the
-- token (the number of hops left) until it reaches 0; the process holding
-- the token at 0 reports its index to the main process.
local n = tonumber(arg and arg[1]) or 10000
local m = tonumber(arg and arg[2]) or 1000000

local function node(main, index)
  local next = process.receive()
  while true do
    local k = process.receive()
    if k == 0 then
      process.send(main, index)
      return
    end
    process.send(next, k - 1)
  end
end

local me = process.self()
local pids = {}
for i = 1, n do
  pids[i] = process.spawn(node, me, i)
end
for i = 1, n do
  process.send(pids[i], pids[i % n + 1])
end
process.send(pids[1], m)
local last = process.receive()
io.write(string.format("ring %d %d %d\n", n, m, last))
