-- Tensors with Torch7's torch library: run with `cube-cli run examples/torch/basics.lua`.

-- Construction: sizes, nested tables, ranges.
local a = torch.Tensor{{1, 2, 3}, {4, 5, 6}}
print(a)                                  -- rows, then [torch.DoubleTensor of size 2x3]
print(a:size())                           -- a LongStorage: 2, 3
print(a:dim(), a:nElement(), a:size(2))   -- 2  6  3
print(torch.linspace(0, 1, 5))
print(torch.eye(3))

-- Elements are 1-based; a[i] of a matrix is a view of its row.
print(a[2][3])                            -- 6
a[1][1] = 10
print(a[1])

-- Views share storage: writing through a view changes the original.
local col = a:select(2, 2)                -- the second column
col:fill(0)
a:narrow(1, 2, 1):mul(2)                  -- double the second row in place
print(a)
print(a:t())                              -- the transpose, another view

-- Methods work in place; torch.f makes a new tensor.
local b = torch.ones(2, 3)
b:add(1)                                  -- b is now all 2
local c = torch.add(a, b)                 -- a + b, a and b unchanged
print(c)

-- Operators: + - * / as Torch7 defines them.
local m = torch.Tensor{{1, 2}, {3, 4}}
local v = torch.Tensor{1, 1}
print(m * m)                              -- matrix product
print(m * v)                              -- matrix-vector product
print(v * v)                              -- dot product: 2
print((m - 1) / 2)

-- Math and reductions.
torch.manualSeed(42)                      -- cube's own random streams, not Torch7's
local x = torch.randn(3, 4)
print(torch.sigmoid(x):sum(), x:mean(), x:std())
local values, indices = x:max(2)          -- the largest of each row and where it is
print(values, indices)

-- Single precision when asked.
print(a:float())
torch.setdefaulttensortype('torch.FloatTensor')
print(torch.zeros(2, 2))
torch.setdefaulttensortype('torch.DoubleTensor')

-- Errors name the shapes.
print(pcall(torch.mm, torch.Tensor(2, 3), torch.Tensor(4, 5)))

-- Files are safetensors, readable by numpy and PyTorch.
local path = os.tmpname()
torch.save(path, {weights = x, bias = torch.zeros(4)})
local saved = torch.load(path)
print(saved.weights:size(1), saved.bias:nElement())
os.remove(path)
