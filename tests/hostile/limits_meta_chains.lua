-- expect: ok: 13 C stack overflow
-- Issue 9 item 8: every place PUC counts C levels stops at its limit with its message.
local n = 0
local function check(ok, e)
  if not ok and string.find(tostring(e), "C stack overflow", 1, true) then n = n + 1
  else print("unexpected", ok, e) end
end
local mt = {}
mt.__index = function(t, k) return t[k] end
mt.__newindex = function(t, k, v) t[k] = v end
mt.__concat = function(a, b) return a .. b end
mt.__lt = function(a, b) return a < b end
mt.__le = function(a, b) return a <= b end
mt.__eq = function(a, b) return a == setmetatable({}, mt) end
mt.__len = function(a) return #a end
mt.__add = function(a, b) return a + b end
mt.__unm = function(a) return -a end
mt.__tostring = function(a) return tostring(a) end
local x = setmetatable({}, mt)
check(pcall(function() return x.k end))
check(pcall(function() x.k = 1 end))
check(pcall(function() return x .. "s" end))
check(pcall(function() return x < x end))
check(pcall(function() return x <= x end))
check(pcall(function() return x == setmetatable({}, mt) end))
check(pcall(function() return #x end))
check(pcall(function() return x + 1 end))
check(pcall(function() return -x end))
check(pcall(tostring, x))
local function s() table.sort({3, 2, 1}, function(a, b) s() return a < b end) end
check(pcall(s))
local function g() return (string.gsub("a", "a", g)) end
check(pcall(g))
local function l() return load(function() return assert(l()) and nil end) end
check(l())
print(n .. " C stack overflow")
