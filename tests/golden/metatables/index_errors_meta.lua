-- __index loops and chains that end in errors; long chains are limited ('loop in gettable')
local a = {}
local b = {}
setmetatable(a, {__index = b})
setmetatable(b, {__index = a})
print(pcall(function() return a.x end))
local c, d = {}, {}
setmetatable(c, {__newindex = d})
setmetatable(d, {__newindex = c})
print(pcall(function() c.x = 1 end))
local e = setmetatable({}, {__index = 5})
print(pcall(function() return e.x end))
local f = setmetatable({}, {__index = function(t, k) return nil end})
print(f.missing)
