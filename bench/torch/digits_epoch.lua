-- N training epochs of the digits MLP of examples/torch/digits.lua (64-32-10, tanh,
-- cross-entropy, Adam, batches of 100, the 1438 training images), in float32 as
-- PyTorch's default (bench/run-torch times the run with N and with 0 and takes the
-- difference, so loading the data is not counted).
local n = tonumber(arg and arg[1]) or 5
local path = arg and arg[2] or 'tests/data/digits.txt'
torch.setdefaulttensortype('torch.FloatTensor')
torch.manualSeed(1)
local xs, ys = {}, {}
local k = 0
for line in io.lines(path) do
  if line:sub(1, 1) ~= '#' then
    k = k + 1
    if k % 5 ~= 0 then
      local pixels = {}
      for i = 1, 64 do pixels[i] = tonumber(line:sub(i + 1, i + 1), 17) / 16 end
      xs[#xs + 1], ys[#ys + 1] = pixels, tonumber(line:sub(1, 1)) + 1
    end
  end
end
local x, y = torch.Tensor(xs), torch.Tensor(ys)
local model = nn.Sequential():add(nn.Linear(64, 32)):add(nn.Tanh()):add(nn.Linear(32, 10))
local criterion = nn.CrossEntropyCriterion()
local params, grads = model:getParameters()
local config, batch, total = {learningRate = 0.01}, 100, 0
for _ = 1, n do
  for first = 1, x:size(1), batch do
    local size = math.min(batch, x:size(1) - first + 1)
    local xb, yb = x:narrow(1, first, size), y:narrow(1, first, size)
    local _, loss = optim.adam(function()
      grads:zero()
      local out = model:forward(xb)
      local l = criterion:forward(out, yb)
      model:backward(xb, criterion:backward(out, yb))
      return l, grads
    end, params, config)
    total = total + loss[1]
  end
end
print(string.format('checksum %.3f', total))
