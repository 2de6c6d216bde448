-- _ENV is an ordinary upvalue: per-function environments; setting it via debug.setupvalue affects every closure sharing it
local function make(env)
  local _ENV = env
  return function() return name end
end
local a = make({name = "A"})
local b = make({name = "B"})
print(a(), b())
local function globalreader() return shared end
local uname, uval = debug.getupvalue(globalreader, 1)
print(uname, uval == _G)
local print, G, debug = print, _G, debug
shared = "from _G"
print(globalreader())
debug.setupvalue(globalreader, 1, {shared = "swapped"})
print(globalreader())
print(shared, "(the main chunk shares the same _ENV upvalue)")
debug.setupvalue(globalreader, 1, G)
print(_ENV == _G, type(_ENV))
local function setglobal(v) result = v end
setglobal(42)
print(result, _G.result)
