-- Hogwild: four processes train one digits MLP at the same time, each on its quarter
-- of the training images, all reading and updating the same weights in place without
-- locks (torch.share: the one thing cube's processes share).
--
--   cube-cli run examples/torch/hogwild.lua [epochs] [path]
--
-- Each worker keeps a model of its own; before every batch it copies the shared
-- weights into it, computes a gradient, and subtracts it from the shared weights
-- directly. Updates from different workers may overlap and a few be lost: that is
-- Hogwild's bargain, and with small steps it learns as well as one process would.
-- The images arrive in each worker as copies (spawn arguments are messages); the
-- shared weights arrive as themselves.
local epochs = tonumber(arg and arg[1]) or 10
local path = arg and arg[2] or 'tests/data/digits.txt'
local WORKERS = 4
torch.manualSeed(1)

-- The format and the split of examples/torch/digits.lua.
local function load(file)
  local sets = {train = {x = {}, y = {}}, test = {x = {}, y = {}}}
  local n = 0
  for line in io.lines(file) do
    if line:sub(1, 1) ~= '#' then
      n = n + 1
      local pixels = {}
      for i = 1, 64 do pixels[i] = tonumber(line:sub(i + 1, i + 1), 17) / 16 end
      local set = n % 5 == 0 and sets.test or sets.train
      set.x[#set.x + 1], set.y[#set.y + 1] = pixels, tonumber(line:sub(1, 1)) + 1
    end
  end
  return torch.Tensor(sets.train.x), torch.Tensor(sets.train.y),
         torch.Tensor(sets.test.x), torch.Tensor(sets.test.y)
end

local function build()
  return nn.Sequential():add(nn.Linear(64, 32)):add(nn.Tanh()):add(nn.Linear(32, 10))
end

local train_x, train_y, test_x, test_y = load(path)
local model = build()
local params = model:getParameters()
local shared = torch.share(params)          -- the weights every worker updates

local function worker(parent, id, weights, x, y)
  local mine = build()
  local p, g = mine:getParameters()
  local criterion = nn.CrossEntropyCriterion()
  local batch, rate = 20, 0.3
  for _ = 1, epochs do
    for first = 1, x:size(1), batch do
      local size = math.min(batch, x:size(1) - first + 1)
      local xb, yb = x:narrow(1, first, size), y:narrow(1, first, size)
      p:copy(weights)                        -- read the shared weights
      g:zero()
      local out = mine:forward(xb)
      criterion:forward(out, yb)
      mine:backward(xb, criterion:backward(out, yb))
      weights:add(-rate, g)                  -- write them back, in place
    end
  end
  process.send(parent, id)
end

local part = math.floor(train_x:size(1) / WORKERS)
for id = 1, WORKERS do
  local first = (id - 1) * part + 1
  process.spawn(worker, process.self(), id, shared,
                train_x:narrow(1, first, part), train_y:narrow(1, first, part))
end
for _ = 1, WORKERS do process.receive() end

params:copy(shared)
model:evaluate()
local _, predicted = model:forward(test_x):max(2)
local correct = 0
for i = 1, test_y:size(1) do
  if predicted[i][1] == test_y[i] then correct = correct + 1 end
end
local acc = correct / test_y:size(1)
print(string.format('%d workers, %d epochs: test accuracy %.1f%% of %d images',
                    WORKERS, epochs, 100 * acc, test_y:size(1)))
return acc
