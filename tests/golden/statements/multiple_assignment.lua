-- multiple assignment: evaluation before assignment, swaps, extra/missing values
local a, b, c = 1, 2
print(a, b, c)
a, b = b, a
print(a, b)
local x, y = 1, 2, 3
print(x, y)
local t = {}
local i = 1
i, t[i] = i + 1, 20
print(i, t[1], t[2])
local function mr() return 10, 20, 30 end
local p, q, r, s = mr()
print(p, q, r, s)
p, q, r, s = mr(), 5
print(p, q, r, s)
p, q, r, s = 0, mr()
print(p, q, r, s)
local u = {1, 2, 3}
local k = 1
k, u[k] = 2, "changed"
print(k, u[1], u[2])
t = {}
t.x, t.y, t.x = 1, 2, 3
print(t.y)
