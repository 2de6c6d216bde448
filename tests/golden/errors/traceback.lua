-- debug.traceback output inside nested Lua functions (with levels and messages)
local function c() return debug.traceback("msg here", 1) end
local function b() return c() end
local function a() return (b()) end
print(a())
print(debug.traceback("no level"))
print(debug.traceback())
print(debug.traceback(42))
print(debug.traceback(nil) == nil)
local t = {} print(debug.traceback(t) == t)
local function f() error("in f") end
print(select(2, xpcall(f, debug.traceback)))
