-- A small tour: closures, metatables, coroutines and string patterns.
local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c = counter()
c(); c()
print("counter:", c())

local Vec = {}
Vec.__index = Vec
Vec.__add = function(a, b) return setmetatable({x = a.x + b.x, y = a.y + b.y}, Vec) end
Vec.__tostring = function(v) return ("(%g, %g)"):format(v.x, v.y) end
local v = setmetatable({x = 1, y = 2}, Vec) + setmetatable({x = 3, y = 4}, Vec)
print("vector:", tostring(v))

local gen = coroutine.wrap(function()
  for word in ("cube runs lua"):gmatch("%a+") do coroutine.yield(word:upper()) end
end)
print("words:", gen(), gen(), gen())
print(("arguments: %d"):format(select("#", ...)))
