-- Values passed through resume/yield and wrap in every result-count shape, on the
-- direct switch paths (plain calls) and the general ones (hooks, metamethods, errors).
local function show(...)
  local t = table.pack(...)
  local parts = {}
  for i = 1, t.n do parts[#parts + 1] = tostring(t[i]) end
  print(t.n, table.concat(parts, " "))
end

-- yield's results, as many as the caller wants
local co = coroutine.create(function(...)
  show(...)
  local a = coroutine.yield()
  show(a)
  local b, c, d = coroutine.yield(1)
  show(b, c, d)
  show(coroutine.yield(1, 2))
  coroutine.yield(1, 2, 3)
  local e = (coroutine.yield())
  show(e)
  return "end", nil, 7
end)
show(coroutine.resume(co, "x", nil, "z"))
show(coroutine.resume(co, 10, 20))
show(coroutine.resume(co))
show(coroutine.resume(co, "p", "q", "r", "s"))
coroutine.resume(co, "dropped")
show(coroutine.resume(co, 5, 6))
show(coroutine.resume(co, 99))
show(coroutine.resume(co))
print(coroutine.status(co))

-- wrap's results, as many as the caller wants
local g = coroutine.wrap(function(...)
  local n = select("#", ...)
  while true do
    n = select("#", coroutine.yield(n, ...))
  end
end)
show(g())
show(g(1))
local one = g(1, 2, 3)
print(one)
local x, y, z, w = g(nil, nil)
print(x, y, z, w)
g()
show((g(4, 5)))
show(g(4, 5), "after")
local t = { g(6, 7, 8) }
print(#t, t[1], t[4])

-- a wrap function as an iterator, nested generators
local function gen(k)
  return coroutine.wrap(function()
    for i = 1, k do coroutine.yield(i, i * i) end
  end)
end
for i, sq in gen(3) do print("gen", i, sq) end
local outer = coroutine.wrap(function()
  for v in gen(3) do coroutine.yield(v * 10) end
end)
print(outer(), outer(), outer())

-- yield inside a metamethod, and a wrap function as a metamethod
local mt = { __index = function(_, key) return coroutine.yield(key) end }
co = coroutine.create(function()
  local obj = setmetatable({}, mt)
  return obj.alpha .. obj.beta
end)
show(coroutine.resume(co))
show(coroutine.resume(co, "A"))
show(coroutine.resume(co, "B"))
local counter = coroutine.wrap(function()
  local i = 0
  while true do i = i + 1; coroutine.yield(i) end
end)
local obj = setmetatable({}, { __index = counter })
print(obj.a, obj.b, obj.c)
local addmt = setmetatable({}, { __add = coroutine.wrap(function(a, b)
  while true do a, b = coroutine.yield("sum") end
end) })
print(addmt + 1, 2 + addmt)

-- yields across pcall, errors after yields
co = coroutine.create(function()
  local ok2, v = pcall(function()
    local r = coroutine.yield("in pcall")
    error("boom " .. r, 0)
  end)
  coroutine.yield(ok2, v)
  error({ code = 1 })
end)
show(coroutine.resume(co))
show(coroutine.resume(co, "r"))
local ok3, e = coroutine.resume(co)
print(ok3, type(e), e.code)
show(coroutine.resume(co))
local bad = coroutine.wrap(function() coroutine.yield(1); error("wrapped") end)
print(bad())
print(pcall(bad))
print(pcall(bad))

-- with a hook on the coroutine (call and return events are still reported)
local events = {}
co = coroutine.create(function(a)
  local b = coroutine.yield(a + 1)
  return b * 2
end)
debug.sethook(co, function(ev) events[#events + 1] = ev end, "cr")
show(coroutine.resume(co, 1))
show(coroutine.resume(co, 5))
debug.sethook(co)
print(#events > 0, events[1])
-- with a hook on the resumer
local seen = 0
debug.sethook(function() seen = seen + 1 end, "r")
local h = coroutine.wrap(function() coroutine.yield(1); coroutine.yield(2) end)
local r1, r2 = h(), h()
debug.sethook()
print(r1, r2, seen > 0)

-- running/status from inside and outside, many switches
local main = coroutine.running()
co = coroutine.create(function()
  local me, ismain = coroutine.running()
  coroutine.yield(coroutine.status(me), ismain, coroutine.status(main) == "running")
end)
show(coroutine.resume(co))
local sum = 0
local acc = coroutine.wrap(function(v)
  while true do sum = sum + v; v = coroutine.yield(sum) end
end)
for i = 1, 1000 do acc(i) end
print(sum)
