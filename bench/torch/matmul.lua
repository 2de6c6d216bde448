-- N products of two 1024x1024 float32 matrices (bench/run-torch times the run with N
-- and with 0 and takes the difference). Prints a checksum.
local n = tonumber(arg and arg[1]) or 10
local size = tonumber(arg and arg[2]) or 1024
torch.manualSeed(1)
torch.setdefaulttensortype('torch.FloatTensor')
local a, b = torch.rand(size, size), torch.rand(size, size)
local c = torch.zeros(size, size)
for _ = 1, n do torch.mm(c, a, b) end
print(string.format('checksum %.3f', n > 0 and c[1][1] or 0))
