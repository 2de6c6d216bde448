-- debug.traceback from nested functions, coroutines and with explicit levels
local function lvl3() return debug.traceback("at 3", 1) end
local function lvl2() local r = lvl3() return r end
local function lvl1() local r = lvl2() return r end
print(lvl1())
print(debug.traceback("skip two", 2))
local co = coroutine.create(function() local x = 1 coroutine.yield() end)
coroutine.resume(co)
print(debug.traceback(co))
print(debug.traceback(co, "co msg"))
print(debug.traceback(co, "co level 1", 1))
local t = {}
function t.field() return debug.traceback() end
print(t.field())
local obj = {} function obj:meth() return debug.traceback("m") end
print(obj:meth())
