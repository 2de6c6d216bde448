-- "attempt to perform arithmetic on" messages with variable kinds, and for strings that are not numbers
local function try(f) print(select(2, pcall(f))) end
local up
try(function() local x; return x + 1 end)
try(function() return g_undefined * 2 end)
try(function() local t = {} return t.n - 1 end)
try(function() return up / 2 end)
try(function() return 2 ^ {} end)
try(function() local s = "abc" return s % 2 end)
try(function() return -{} end)
try(function() local t = {} return -t.x end)
try(function() return "10" + "x" end)
try(function() local a, b = 1, nil return a + b end)
try(function() local t = {} return 1 + t[1] end)
