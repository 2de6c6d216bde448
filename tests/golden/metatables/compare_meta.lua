-- __eq (only same types, both tables), __lt, __le and the __lt fallback for __le
local log = {}
local mt = {}
mt.__eq = function(a, b) log[#log + 1] = "eq" return a.v == b.v end
mt.__lt = function(a, b) log[#log + 1] = "lt" return a.v < b.v end
mt.__le = function(a, b) log[#log + 1] = "le" return a.v <= b.v end
local function new(v) return setmetatable({v = v}, mt) end
local a, b, c = new(1), new(2), new(1)
print(a == c, a ~= c, a == b, a < b, a <= c, a > b, b >= a)
print(table.concat(log, " "))
print(a == 1, rawequal(a, c))
local only_lt = {__lt = function(x, y) return x.v < y.v end}
local p = setmetatable({v = 1}, only_lt)
local q = setmetatable({v = 2}, only_lt)
print(p <= q, q <= p)
local eq2 = {__eq = function() return true end}
local x, y = setmetatable({}, eq2), setmetatable({}, {__eq = function() return true end})
print(x == y, x == setmetatable({}, eq2))
local r = setmetatable({}, {__eq = function() return 1 end})
print(r == setmetatable({}, getmetatable(r)))
print(pcall(function() return a < 1 end))
local m2 = {__lt = function() return "yes" end}
print(setmetatable({}, m2) < setmetatable({}, m2))
