-- a class system with inheritance via __index, super calls, and tostring
local Class = {}
Class.__index = Class
function Class:extend(name)
  local cls = setmetatable({name = name}, {__index = self, __call = function(c, ...) return c:new(...) end})
  cls.__index = cls
  cls.__tostring = function(o) return cls.name .. "(" .. o:describe() .. ")" end
  return cls
end
function Class:new(...) local o = setmetatable({}, self) o:init(...) return o end
local Animal = Class:extend("Animal")
function Animal:init(name) self.name = name end
function Animal:describe() return self.name end
function Animal:speak() return self.name .. " makes a sound" end
local Dog = Animal:extend("Dog")
function Dog:init(name, breed) Animal.init(self, name) self.breed = breed end
function Dog:describe() return Animal.describe(self) .. ", " .. self.breed end
function Dog:speak() return self.name .. " barks" end
local a, d = Animal("cat"), Dog("rex", "lab")
print(tostring(a), tostring(d))
print(a:speak(), d:speak())
print(getmetatable(d) == Dog, getmetatable(Dog).__index == Animal, d.init == Dog.init)
print(rawget(d, "speak"), d.extend == Class.extend)
