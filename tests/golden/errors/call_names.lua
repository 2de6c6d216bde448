-- "attempt to call" messages: global, local, field, method, upvalue, plain value
local function try(f) print(select(2, pcall(f))) end
local up = 5
try(function() nofunc() end)
try(function() local f = 1; f() end)
try(function() local t = {} t.field() end)
try(function() local t = {} t:method() end)
try(function() up() end)
try(function() (nil)() end)
try(function() local t = {} t[1]() end)
try(function() string.nothing("x") end)
try(function() local t = {a = {}} t.a.b.c() end)
try(function() ("abc")() end)
try(function() local x = {} return x.y.z() end)
