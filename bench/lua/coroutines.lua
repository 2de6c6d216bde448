-- coroutines: generators built with coroutine.wrap, chained into pipelines
-- (producer -> filter -> map -> consumer), plus coroutine.create/resume/
-- status with values passed both ways through yield/resume.
local n = tonumber(arg and arg[1]) or 2000000

local wrap, yield = coroutine.wrap, coroutine.yield

local function range(a, b)
  return wrap(function()
    for i = a, b do yield(i) end
  end)
end

local function filter(pred, gen)
  return wrap(function()
    for v in gen do
      if pred(v) then yield(v) end
    end
  end)
end

local function map(f, gen)
  return wrap(function()
    for v in gen do yield(f(v)) end
  end)
end

local function take(k, gen)
  return wrap(function()
    for v in gen do
      if k <= 0 then return end
      k = k - 1
      yield(v)
    end
  end)
end

local total = 0

-- a four-stage pipeline
local s = 0
for v in map(function(x) return x * x % 1000 end,
             filter(function(x) return x % 3 ~= 0 end, range(1, n))) do
  s = s + v
end
total = total + s

-- many short-lived generators
local c = 0
for i = 1, n / 20 do
  for v in take(5, range(i, i + 100)) do c = c + v end
end
total = total + c

-- sieve of Eratosthenes as a chain of filtering coroutines (one nested
-- coroutine per prime found; kept below ~100 primes because the reference
-- implementation limits nested resumes to about 200 C levels)
local function sieve(limit)
  local gen = range(2, limit)
  local primes = {}
  while true do
    local p = gen()
    if not p then break end
    primes[#primes + 1] = p
    local src = gen
    gen = filter(function(x) return x % p ~= 0 end, src)
  end
  return primes
end
local primes
for _ = 1, math.max(1, n / 20000) do
  primes = sieve(500)
  total = total + #primes + primes[#primes]
end

-- two-way communication: an accumulator coroutine receiving values
local acc = coroutine.create(function(first)
  local sum = first
  while true do
    local x = yield(sum)
    if x == nil then break end
    sum = (sum + x) % 1000000007
  end
  return "done", sum
end)
local ok, cur = coroutine.resume(acc, 0)
for i = 1, n do ok, cur = coroutine.resume(acc, i) end
local ok2, tag, final = coroutine.resume(acc, nil)
total = total + final
assert(coroutine.status(acc) == "dead" and tag == "done" and cur == final)

-- recursive generator: in-order walk of a generated binary tree
local function build(lo, hi)
  if lo > hi then return nil end
  local mid = math.floor((lo + hi) / 2)
  return { v = mid, l = build(lo, mid - 1), r = build(mid + 1, hi) }
end
local function walk(t)
  if t then walk(t.l); yield(t.v); walk(t.r) end
end
local tree = build(1, math.floor(n / 10))
local w, prev, ordered = 0, 0, true
for v in wrap(function() walk(tree) end) do
  if v <= prev then ordered = false end
  prev = v; w = w + v
end
total = total + w

print(string.format("coroutines n=%d total=%d primes=%d ordered=%s", n, total, #primes, tostring(ordered)))
