-- yield across pcall, from metamethods, from iterators, from table.sort comparators? (no: C boundary)
local co = coroutine.create(function()
  local ok, v = pcall(function()
    local x = coroutine.yield("in pcall")
    error("after yield " .. x)
  end)
  coroutine.yield(ok, v)
  return "finished"
end)
print(coroutine.resume(co))
print(coroutine.resume(co, "X"))
print(coroutine.resume(co))
local mt = {__index = function(t, k) return coroutine.yield("index " .. k) end,
  __add = function(a, b) return coroutine.yield("add") end,
  __lt = function(a, b) return coroutine.yield("lt") end,
  __concat = function(a, b) return coroutine.yield("concat") end,
  __eq = function(a, b) return coroutine.yield("eq") end,
  __call = function(self, x) return coroutine.yield("call " .. x) end}
local o = setmetatable({}, mt)
local co2 = coroutine.wrap(function()
  local r = {}
  r[1] = o.foo
  r[2] = o + 1
  r[3] = tostring(o < setmetatable({}, mt))
  r[4] = o .. "s"
  r[5] = tostring(o == setmetatable({}, mt))
  r[6] = o(7)
  return table.concat(r, ",")
end)
print(co2())
print(co2("v1"))
print(co2("v2"))
print(co2(true))
print(co2("v4"))
print(co2(false))
print(co2("v6"))
local function iter() return coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i, i * i) end end) end
for i, sq in iter() do io.write(i, "=", sq, " ") end print()
local co3 = coroutine.create(function() table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end) end)
print(coroutine.resume(co3))
local co4 = coroutine.create(function() return xpcall(function() coroutine.yield(1) return 2 end, debug.traceback) end)
print(coroutine.resume(co4))
print(coroutine.resume(co4))
