-- "attempt to index" messages name the variable: local, global, field, upvalue, method, constant
local function try(f) print(select(2, pcall(f))) end
local loc
try(function() local l; return l.x end)
try(function() return undefined_global.x end)
try(function() local t = {} return t.a.b end)
try(function() return loc.x end)
try(function() local t = {} t:nomethod() end)
try(function() local s = "str" return s.x.y end)
try(function() local t = {} t.a.b = 1 end)
try(function() undefined_global.x = 1 end)
try(function() local t = {{}} return t[1][2][3] end)
try(function() return ("x"):nomethod() end)
try(function() local a = {b = {}} return a.b.c.d end)
try(function() local b = true return b[1] end)
try(function() return string.nofield.x end)
