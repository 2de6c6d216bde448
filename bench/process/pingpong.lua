-- pingpong: N round trips between the main process and one partner.
-- The main process sends i, the partner answers with i; the main process
-- sums the answers. Sending 0 stops the partner.
local n = tonumber(arg and arg[1]) or 200000

local function pong(peer)
  while true do
    local k = process.receive()
    if k == 0 then return end
    process.send(peer, k)
  end
end

local partner = process.spawn(pong, process.self())
local sum = 0
for i = 1, n do
  process.send(partner, i)
  sum = sum + process.receive()
end
process.send(partner, 0)
io.write(string.format("pingpong %d %d\n", n, sum))
