-- other runtime errors: table index nil/NaN, for loop errors, string methods on numbers, integer overflow free
local function try(f) print(select(2, pcall(f))) end
try(function() local t = {} t[nil] = 1 end)
try(function() local t = {} t[0/0] = 1 end)
try(function() return ("x"):bad() end)
try(function() return (5):rep(2) end)
try(function() local t = setmetatable({}, {__index = function() error("from __index") end}) return t.k end)
try(function() return #nil end)
try(function() return next({}, 1) end)
try(function() local a = {} a.b.c.d = 1 end)
print(rawget({}, nil))
