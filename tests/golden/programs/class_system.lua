-- a class system with mixins, properties via __index/__newindex, tostring, equality and ordering
local function class(parent)
  local c = {}
  c.__index = function(obj, k)
    local getter = c["get_" .. k]
    if getter then return getter(obj) end
    return c[k]
  end
  c.__newindex = function(obj, k, v)
    local setter = c["set_" .. k]
    if setter then setter(obj, v) else rawset(obj, k, v) end
  end
  if parent then setmetatable(c, {__index = parent}) end
  c.new = function(...) local o = setmetatable({}, c) if c.init then c.init(o, ...) end return o end
  return c
end
local Shape = class()
function Shape.init(self, name) rawset(self, "_name", name) end
function Shape.get_name(self) return self._name end
function Shape.area() return 0 end
function Shape.describe(self) return string.format("%s with area %.2f", self.name, self:area()) end
Shape.__tostring = function(s) return "Shape<" .. s.name .. ">" end
Shape.__eq = function(a, b) return a:area() == b:area() end
Shape.__lt = function(a, b) return a:area() < b:area() end
Shape.__le = function(a, b) return a:area() <= b:area() end
local Rect = class(Shape)
Rect.__tostring, Rect.__eq, Rect.__lt, Rect.__le = Shape.__tostring, Shape.__eq, Shape.__lt, Shape.__le
function Rect.init(self, w, h) Shape.init(self, "rect") rawset(self, "w", w) rawset(self, "h", h) end
function Rect.area(self) return self.w * self.h end
function Rect.set_size(self, v) rawset(self, "w", v) rawset(self, "h", v) end
local Circle = class(Shape)
Circle.__tostring, Circle.__eq, Circle.__lt, Circle.__le = Shape.__tostring, Shape.__eq, Shape.__lt, Shape.__le
function Circle.init(self, r) Shape.init(self, "circle") rawset(self, "r", r) end
function Circle.area(self) return math.pi * self.r ^ 2 end
local r = Rect.new(2, 3)
local c = Circle.new(1)
print(tostring(r), tostring(c), r:describe(), c:describe())
r.size = 4
print(r.w, r.h, r:area(), rawget(r, "size"))
local shapes = {Rect.new(1, 1), Circle.new(2), Rect.new(3, 3), Circle.new(0.5), Rect.new(2, 2)}
table.sort(shapes, function(a, b) return a < b end)
local names = {} for i, s in ipairs(shapes) do names[i] = string.format("%s:%.3f", s.name, s:area()) end
print(table.concat(names, " "))
print(Rect.new(2, 8) == Rect.new(4, 4), Rect.new(1, 2) <= Rect.new(2, 1), Rect.new(1, 2) < Rect.new(2, 1))
