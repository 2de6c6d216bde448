-- local _ENV tables redirect global access; _ENV as an upvalue; restoring globals
local print, tostring = print, tostring
x = "global x"
do
  local _ENV = {y = "inner y"}
  x = "inner x"
  print(x, y, z)
end
print(x)
local function with_env(env)
  local _ENV = env
  return a + b
end
print(with_env({a = 1, b = 2}))
local saved = _ENV
do
  local _ENV = setmetatable({}, {__index = saved})
  newglobal = 5
  print(newglobal, saved.newglobal, type(string))
end
print(newglobal)
