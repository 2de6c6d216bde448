local a = 1
local function f(x, y, ...)
  local b = a + x
  local function g()
    local c = b + y
    return function(...) a = a + c; return b, ... end
  end
  return g
end
local t = {}
for i = 1, 3 do
  t[i] = function() return i end
end
for k, v in pairs(t) do
  t[k] = function() return k, v end
end
local x
repeat
  local y = x
  x = function() return y end
until y
function t.m(self, ...) return select("#", ...) end
function t:n(a) return self.m(a) end
return f, t
