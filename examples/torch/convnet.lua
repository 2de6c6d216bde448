-- A small convolutional network tells horizontal bars from vertical ones in noisy
-- 6x6 images: run with `cube-cli run examples/torch/convnet.lua`.
torch.manualSeed(7)

-- The data: even images have a bright row, odd ones a bright column.
local n = 24
local images, labels = torch.zeros(n, 1, 6, 6), torch.zeros(n)
for i = 1, n do
  local k = 1 + math.floor(torch.rand(1)[1] * 6)
  local img = images[i][1]
  img:copy(torch.rand(6, 6):mul(0.3))
  if i % 2 == 0 then
    img:select(1, k):add(1); labels[i] = 1   -- horizontal
  else
    img:select(2, k):add(1); labels[i] = 2   -- vertical
  end
end

local model = nn.Sequential()
  :add(nn.SpatialConvolution(1, 4, 3, 3))   -- 1x6x6 -> 4x4x4
  :add(nn.ReLU())
  :add(nn.SpatialMaxPooling(2, 2))          -- -> 4x2x2
  :add(nn.View(4 * 2 * 2))                  -- -> 16 per image (the batch is kept)
  :add(nn.Linear(16, 2))
print(model)
local criterion = nn.CrossEntropyCriterion()
local params, grads = model:getParameters()

local function accuracy()
  local out = model:forward(images)
  local correct = 0
  for i = 1, n do
    local _, k = out[i]:max(1)
    if k[1] == labels[i] then correct = correct + 1 end
  end
  return correct
end

print(string.format('before training: %d/%d', accuracy(), n))
local function feval()
  grads:zero()
  local out = model:forward(images)
  local loss = criterion:forward(out, labels)
  model:backward(images, criterion:backward(out, labels))
  return loss, grads
end
local config = {learningRate = 0.05}
for step = 1, 150 do
  local _, fs = optim.adam(feval, params, config)
  if step % 50 == 0 then print(string.format('step %3d  loss %.5f', step, fs[1])) end
end
print(string.format('after training: %d/%d', accuracy(), n))
