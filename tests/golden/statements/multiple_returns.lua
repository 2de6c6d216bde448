-- multiple results: truncation in the middle of lists, parentheses, in table constructors and args
local function f() return 1, 2, 3 end
local function none() end
print(f())
print(f(), f())
print((f()))
print(#{f(), f()}, #{f(), nil}, #{none()}, #{none(), none()})
print(none(), select('#', none()), select('#', (none())))
local a, b, c, d = f(), 10
print(a, b, c, d)
local t = {f(), x = f()}
print(#t, t.x)
print(string.rep("ab", f()))
print(math.max(f()), math.max(f(), 0))
local function g() return f() end
print(g())
local function h() return (f()) end
print(h())
local function many(n) local r = {} for i = 1, n do r[i] = i end return table.unpack(r) end
print(select('#', many(250)), (select(250, many(250))))
