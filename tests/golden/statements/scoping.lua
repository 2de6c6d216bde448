-- local scoping: shadowing, do blocks, local function recursion vs local f = function
local x = 1
do local x = 2; print(x) end
print(x)
local x = x + 10
print(x)
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
print(fact(10))
local g = function(n) return n end
local g = function(n) if n == 0 then return "base" end return g(n - 1) end
print(g(3))
local a, a = 1, 2
print(a)
if true then local y = 5 end
print(y)
for i = 1, 2 do local i = i * 2 io.write(i, " ") end print()
local t = {} function t.f() return "t.f" end function t:m() return self == t end
print(t.f(), t:m())
local obj = {name = "o"} function obj.greet(self, s) return s .. self.name end
print(obj:greet("hi "))
