-- getmetatable and setmetatable return values across types
local t = {}
local mt = {}
print(setmetatable(t, mt) == t, getmetatable(t) == mt)
print(getmetatable("s") == getmetatable("other"), getmetatable("s").__index == string)
print(getmetatable({}), getmetatable(1), getmetatable(true), getmetatable(nil))
setmetatable(t, nil)
print(getmetatable(t))
local p = setmetatable({}, {__metatable = {fake = true}})
print(getmetatable(p).fake)
