-- closures: creating many closures, calling them, shared upvalues that are
-- updated after the creating function returned, closures in loops (fresh
-- upvalue per iteration), higher-order functions.
local n = tonumber(arg and arg[1]) or 3000000

local function make_counter(start)
  local count = start
  return function(d) count = count + d; return count end,
         function() return count end
end

local function compose(f, g)
  return function(x) return f(g(x)) end
end

local function map(t, f)
  local r = {}
  for i = 1, #t do r[i] = f(t[i]) end
  return r
end

local function fold(t, f, acc)
  for i = 1, #t do acc = f(acc, t[i]) end
  return acc
end

local total = 0

-- counters sharing one upvalue between two closures
for i = 1, n do
  local inc, get = make_counter(i)
  inc(1); inc(2)
  total = (total + get()) % 1000000007
end

-- closures created in a loop capture a fresh local each iteration
local fs = {}
for i = 1, 1000 do fs[i] = function(x) return x + i end end
for r = 1, n / 1000 do
  local acc = 0
  for i = 1, 1000 do acc = fs[i](acc) end
  total = (total + acc) % 1000000007
end

-- composition chains
local add1 = function(x) return x + 1 end
local dbl = function(x) return x * 2 end
for i = 1, n / 10 do
  local f = compose(compose(add1, dbl), compose(dbl, add1))
  total = (total + f(i)) % 1000000007
end

-- map/fold with anonymous closures capturing a loop variable
local data = {}
for i = 1, 100 do data[i] = i end
for k = 1, n / 100 do
  local m = map(data, function(x) return x * k end)
  total = (total + fold(m, function(a, b) return a + b end, 0)) % 1000000007
end

-- nested closures: three levels of upvalues, updated from the inside
local function outer()
  local a = 0
  return function()
    local b = 0
    return function()
      a = a + 1; b = b + 2
      return a + b
    end
  end
end
local mk = outer()
for i = 1, n / 100 do
  local f = mk()
  for j = 1, 20 do total = (total + f()) % 1000000007 end
end

print(string.format("closures n=%d total=%d", n, total))
