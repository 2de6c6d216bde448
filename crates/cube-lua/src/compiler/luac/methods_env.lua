local o = {}
o:m(1, 2)
o.a.b:c "s"
o:m{1, 2}
local r = o:m(...)
print(o:m())
function o.f(a, b, ...) local t = {...} return select('#', ...) end
function o:g() return self end
local s = ("x"):rep(3)
f(g(h(1)))
local _ENV = {}
y = 1
print(z)
