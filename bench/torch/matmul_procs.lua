-- P processes each computing N products of two 1024x1024 float32 matrices at the same
-- time (bench/run-torch: candle's threads against the scheduler threads).
local procs = tonumber(arg and arg[1]) or 2
local n = tonumber(arg and arg[2]) or 5
local parent = process.self()
for p = 1, procs do
  process.spawn(function()
    torch.setdefaulttensortype('torch.FloatTensor')
    torch.manualSeed(p)
    local a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
    local c = torch.zeros(1024, 1024)
    for _ = 1, n do torch.mm(c, a, b) end
    process.send(parent, c[1][1])
  end)
end
local sum = 0
for _ = 1, procs do sum = sum + process.receive() end
print(string.format('checksum %.3f', sum))
