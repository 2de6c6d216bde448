-- A small network learns XOR with Torch7's nn and optim:
-- run with `cube-cli run examples/torch/xor.lua` (or `cargo run --release -- run ...`).
torch.manualSeed(42)                      -- same seed, same weights, same training

local inputs = torch.Tensor{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
local labels = torch.Tensor{1, 2, 2, 1}   -- class 1: x1 == x2, class 2: x1 ~= x2

local model = nn.Sequential()
  :add(nn.Linear(2, 8))
  :add(nn.Tanh())
  :add(nn.Linear(8, 2))
print(model)
local criterion = nn.CrossEntropyCriterion()

-- One flat tensor of all the weights and one of their gradients, shared with the
-- modules: optim updates the first, backward fills the second.
local params, grads = model:getParameters()
local config = {learningRate = 0.5, momentum = 0.9}

local function feval()
  grads:zero()
  local out = model:forward(inputs)
  local loss = criterion:forward(out, labels)
  model:backward(inputs, criterion:backward(out, labels))
  return loss, grads
end

for epoch = 1, 300 do
  local _, fs = optim.sgd(feval, params, config)
  if epoch % 50 == 0 then print(string.format('epoch %3d  loss %.5f', epoch, fs[1])) end
end

local probs = nn.SoftMax():forward(model:forward(inputs))
for i = 1, 4 do
  local p, k = probs[i]:max(1)
  print(string.format('%d xor %d -> class %d (p = %.3f), expected %d',
    inputs[i][1], inputs[i][2], k[1], p[1], labels[i]))
end
