-- binary_trees: allocate and walk many short-lived binary trees plus one
-- long-lived tree (allocation and garbage collector throughput).
local N = tonumber(arg and arg[1]) or 14

local function make(depth)
  if depth == 0 then return { false, false } end
  depth = depth - 1
  return { make(depth), make(depth) }
end

local function check(tree)
  local l = tree[1]
  if l then return 1 + check(l) + check(tree[2]) end
  return 1
end

local mindepth = 4
local maxdepth = math.max(mindepth + 2, N)

local stretch = maxdepth + 1
print(string.format("stretch tree of depth %d\t check: %d", stretch, check(make(stretch))))

local longlived = make(maxdepth)

for depth = mindepth, maxdepth, 2 do
  local iters = 2 ^ (maxdepth - depth + mindepth)
  local c = 0
  for _ = 1, iters do c = c + check(make(depth)) end
  print(string.format("%d\t trees of depth %d\t check: %d", iters, depth, c))
end

print(string.format("long lived tree of depth %d\t check: %d", maxdepth, check(longlived)))
