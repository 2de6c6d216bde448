-- generators and pipelines with coroutines: producer/filter/consumer, permutations
local function producer(items) return coroutine.wrap(function() for _, v in ipairs(items) do coroutine.yield(v) end end) end
local function filter(pred, src) return coroutine.wrap(function() for v in src do if pred(v) then coroutine.yield(v) end end end) end
local function map(f, src) return coroutine.wrap(function() for v in src do coroutine.yield(f(v)) end end) end
local out = {}
for v in map(function(x) return x * x end, filter(function(x) return x % 2 == 1 end, producer{1, 2, 3, 4, 5, 6, 7})) do out[#out + 1] = v end
print(table.concat(out, " "))
local function permgen(a, n)
  n = n or #a
  if n <= 1 then coroutine.yield(a) else
    for i = 1, n do
      a[n], a[i] = a[i], a[n]
      permgen(a, n - 1)
      a[n], a[i] = a[i], a[n]
    end
  end
end
local function permutations(a) return coroutine.wrap(function() permgen(a) end) end
local perms = {}
for p in permutations{"a", "b", "c"} do perms[#perms + 1] = table.concat(p) end
print(#perms, table.concat(perms, " "))
local fib = coroutine.wrap(function() local a, b = 0, 1 while true do coroutine.yield(a) a, b = b, a + b end end)
local fs = {} for i = 1, 15 do fs[i] = fib() end
print(table.concat(fs, ","))
