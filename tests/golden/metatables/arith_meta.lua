-- arithmetic metamethods __add __sub __mul __div __mod __pow __unm, with either operand
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
V.__mul = function(a, b)
  if type(a) == "number" then return vec(a * b.x, a * b.y) end
  if type(b) == "number" then return vec(a.x * b, a.y * b) end
  return a.x * b.x + a.y * b.y
end
V.__div = function(a, b) return vec(a.x / b, a.y / b) end
V.__mod = function(a, b) return vec(a.x % b, a.y % b) end
V.__pow = function(a, b) return vec(a.x ^ b, a.y ^ b) end
V.__unm = function(a) return vec(-a.x, -a.y) end
V.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
local a, b = vec(1, 2), vec(3, 4)
print(tostring(a + b), tostring(a - b), a * b, tostring(2 * a), tostring(a * 3))
print(tostring(b / 2), tostring(b % 2), tostring(a ^ 2), tostring(-a))
local seen = {}
local L = setmetatable({}, {__add = function(x, y) return "add:" .. type(x) .. "," .. type(y) end,
  __unm = function(x, y) seen[1] = rawequal(x, y) return "unm" end})
print(L + 1, 1 + L, "s" + L, -L, seen[1])
print(pcall(function() return a + 1 end))
print(pcall(function() return {} + 1 end))
local N = setmetatable({}, {__add = function(p, q) return type(p) .. "+" .. type(q) end})
print("10" + N, N + "x")
