-- method_calls: OOP with metatables; classes as tables with __index,
-- single inheritance chains, method calls with ':' (self), overrides and
-- super calls, a few metamethods (__add, __eq, __lt, __len, __call, __tostring).
local n = tonumber(arg and arg[1]) or 2000000

local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, { __index = parent }) end
  c.new = function(...)
    local o = setmetatable({}, c)
    o:init(...)
    return o
  end
  return c
end

-- a toggle / counter hierarchy in the style of the "method call" benchmark
local Toggle = class()
function Toggle:init(state) self.state = state end
function Toggle:value() return self.state end
function Toggle:activate() self.state = not self.state; return self end

local NthToggle = class(Toggle)
function NthToggle:init(state, max)
  Toggle.init(self, state)
  self.max, self.counter = max, 0
end
function NthToggle:activate()
  self.counter = self.counter + 1
  if self.counter >= self.max then
    self.state = not self.state
    self.counter = 0
  end
  return self
end

-- three-level hierarchy with a deep __index chain
local Shape = class()
function Shape:init(name) self.name = name end
function Shape:area() return 0 end
function Shape:describe() return self.name end
local Rect = class(Shape)
function Rect:init(w, h) Shape.init(self, "rect"); self.w, self.h = w, h end
function Rect:area() return self.w * self.h end
local Square = class(Rect)
function Square:init(s) Rect.init(self, s, s); self.name = "square" end
function Square:scale(k) self.w = self.w * k; self.h = self.h * k; return self end

-- a vector value type with arithmetic metamethods
local Vec = class()
function Vec:init(x, y) self.x, self.y = x, y end
Vec.__add = function(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
Vec.__eq = function(a, b) return a.x == b.x and a.y == b.y end
Vec.__lt = function(a, b) return a.x * a.x + a.y * a.y < b.x * b.x + b.y * b.y end
Vec.__len = function(a) return math.abs(a.x) + math.abs(a.y) end
Vec.__call = function(a, k) return a.x * k + a.y end
Vec.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
function Vec:dot(o) return self.x * o.x + self.y * o.y end

local total = 0

local t = Toggle.new(true)
local v = 0
for i = 1, n do
  if t:activate():value() then v = v + 1 end
end
total = total + v

local nt = NthToggle.new(true, 3)
v = 0
for i = 1, n do
  if nt:activate():value() then v = v + 1 end
end
total = total + v

local shapes = {}
for i = 1, 100 do
  if i % 3 == 0 then shapes[i] = Square.new(i % 7 + 1)
  elseif i % 3 == 1 then shapes[i] = Rect.new(i % 5 + 1, i % 11 + 1)
  else shapes[i] = Shape.new("blob") end
end
local area = 0
for r = 1, n / 100 do
  for i = 1, 100 do
    local s = shapes[i]
    area = area + s:area() + #s:describe()
  end
end
total = total + area

local acc = Vec.new(0, 0)
local step = Vec.new(1, -2)
local eqs, lts, lens = 0, 0, 0
for i = 1, n / 5 do
  acc = acc + step
  if acc == Vec.new(i, -2 * i) then eqs = eqs + 1 end
  if step < acc then lts = lts + 1 end
  lens = (lens + #acc + acc(3) + acc:dot(step)) % 1000000007
end
total = total + eqs + lts + lens

print(string.format("method_calls n=%d total=%d last=%s", n, total, tostring(acc)))
