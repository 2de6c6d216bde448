-- flood: S sender processes each send M messages (the numbers 1..M) to the
-- main process as fast as they can; the main process receives all S*M of them
-- and prints their count and sum.
local s = tonumber(arg and arg[1]) or 100
local m = tonumber(arg and arg[2]) or 10000

local function sender(dest, count)
  for i = 1, count do
    process.send(dest, i)
  end
end

local me = process.self()
for _ = 1, s do
  process.spawn(sender, me, m)
end
local sum, total = 0, s * m
for _ = 1, total do
  sum = sum + process.receive()
end
io.write(string.format("flood %d %d %d %d\n", s, m, total, sum))
