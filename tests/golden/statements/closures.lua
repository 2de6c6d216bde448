-- closures: shared upvalues between closures, per-iteration loop variables, counters
local function counter()
  local n = 0
  return function() n = n + 1 return n end, function() return n end
end
local inc, get = counter()
inc() inc()
print(get())
local inc2, get2 = counter()
inc2()
print(get(), get2())
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
print(fs[1](), fs[2](), fs[3]())
local gs = {}
for _, v in ipairs{"a", "b", "c"} do gs[#gs + 1] = function() return v end end
print(gs[1](), gs[2](), gs[3]())
local hs = {}
local j = 1
while j <= 3 do local k = j; hs[j] = function() k = k + 10 return k end; j = j + 1 end
print(hs[1](), hs[1](), hs[2](), hs[3]())
local shared = {}
do
  local x = 0
  shared.set = function(v) x = v end
  shared.get = function() return x end
end
shared.set(42) print(shared.get())
local function outer()
  local a = 1
  local function mid()
    local function inner() a = a + 1 return a end
    return inner
  end
  return mid(), function() return a end
end
local f1, f2 = outer()
f1() f1()
print(f2())
local adders = {}
for i = 1, 3 do
  local base = i * 100
  adders[i] = function(x) return base + x end
end
print(adders[1](1), adders[3](3))
local function fib_memo()
  local memo = {}
  local function fib(n)
    if n < 2 then return n end
    if memo[n] then return memo[n] end
    local v = fib(n - 1) + fib(n - 2)
    memo[n] = v
    return v
  end
  return fib
end
print(fib_memo()(80))
