-- Handwritten digits: scikit-learn's 8x8 digits (1797 images, exported once to
-- tests/data/digits.txt by scripts/export-digits) learnt by a small MLP or a small
-- convolutional network, with Torch7's nn and optim.
--
--   cube-cli run examples/torch/digits.lua [mlp|conv] [epochs] [path]
--
-- The split is fixed (every fifth image is a test image: 1438 to train on, 359 to
-- test), and so is the seed, so a run prints the same accuracy every time. The script
-- returns the test accuracy (the tests of cube-torch run it).
local kind = arg and arg[1] or 'mlp'
local epochs = tonumber(arg and arg[2]) or 20
local path = arg and arg[3] or 'tests/data/digits.txt'
torch.manualSeed(1)

-- One line per image: the label, then 64 pixels (0..16) in base 17.
local function load(file)
  local train_x, train_y, test_x, test_y = {}, {}, {}, {}
  local n = 0
  for line in io.lines(file) do
    if line:sub(1, 1) ~= '#' then
      n = n + 1
      local pixels = {}
      for i = 1, 64 do pixels[i] = tonumber(line:sub(i + 1, i + 1), 17) / 16 end
      local label = tonumber(line:sub(1, 1)) + 1       -- classes are 1..10 in Torch
      if n % 5 == 0 then
        test_x[#test_x + 1], test_y[#test_y + 1] = pixels, label
      else
        train_x[#train_x + 1], train_y[#train_y + 1] = pixels, label
      end
    end
  end
  return torch.Tensor(train_x), torch.Tensor(train_y), torch.Tensor(test_x), torch.Tensor(test_y)
end

local train_x, train_y, test_x, test_y = load(path)

-- Shuffle the training set once (fixed seed), so that contiguous batches mix digits.
local n = train_x:size(1)
local r = torch.rand(n)
local order = {}
for i = 1, n do order[i] = i end
table.sort(order, function(a, b) return r[a] < r[b] end)
local xs, ys = torch.zeros(n, 64), torch.zeros(n)
for i, k in ipairs(order) do xs[i]:copy(train_x[k]); ys[i] = train_y[k] end

local model
if kind == 'conv' then
  xs, test_x = xs:view(n, 1, 8, 8), test_x:view(test_x:size(1), 1, 8, 8)
  model = nn.Sequential()
    :add(nn.SpatialConvolution(1, 8, 3, 3))   -- 1x8x8 -> 8x6x6
    :add(nn.ReLU())
    :add(nn.SpatialMaxPooling(2, 2))          -- -> 8x3x3
    :add(nn.View(8 * 3 * 3))
    :add(nn.Linear(72, 10))
else
  model = nn.Sequential()
    :add(nn.Linear(64, 32))
    :add(nn.Tanh())
    :add(nn.Linear(32, 10))
end
local criterion = nn.CrossEntropyCriterion()
local params, grads = model:getParameters()
local config = {learningRate = 0.01}
local batch = 100

local function accuracy(x, y)
  model:evaluate()
  local _, predicted = model:forward(x):max(2)
  local correct = 0
  for i = 1, y:size(1) do
    if predicted[i][1] == y[i] then correct = correct + 1 end
  end
  model:training()
  return correct / y:size(1)
end

for epoch = 1, epochs do
  local total = 0
  for first = 1, n, batch do
    local size = math.min(batch, n - first + 1)
    local x, y = xs:narrow(1, first, size), ys:narrow(1, first, size)
    local function feval()
      grads:zero()
      local out = model:forward(x)
      local loss = criterion:forward(out, y)
      model:backward(x, criterion:backward(out, y))
      return loss, grads
    end
    local _, loss = optim.adam(feval, params, config)
    total = total + loss[1] * size
  end
  if epoch % 5 == 0 or epoch == epochs then
    print(string.format('%s epoch %d: loss %.4f', kind, epoch, total / n))
  end
end
local acc = accuracy(test_x, test_y)
print(string.format('%s test accuracy: %.1f%% of %d images', kind, 100 * acc, test_y:size(1)))
return acc
