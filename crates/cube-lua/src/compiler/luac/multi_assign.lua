local a, b, c = f()
local d, e = ..., 1
local t = {f(), g()}
local u = {..., 1}
local v = {f(), nil}
a, b = b, a
local i, t2 = 1, {}
i, t2[i] = i + 1, 20
t2[i], i = 1, 2
a.x, a = 1, 2
x, y = 1
x, y, z = f()
x = f(), g()
print((f()))
print((...))
return ...
