-- xpcall with debug.traceback as the handler: the message line and the frames of Lua functions
local function inner() local x = nil return x + 1 end
local function middle() return (inner()) end
local function outer() middle() end
local ok, tb = xpcall(outer, debug.traceback)
print(ok)
print(tb)
local ok2, tb2 = xpcall(function() error({}) end, debug.traceback)
print(ok2, type(tb2))
local ok3, tb3 = xpcall(function() error("lvl2", 2) end, function(m) return "H:" .. m end)
print(ok3, tb3)
