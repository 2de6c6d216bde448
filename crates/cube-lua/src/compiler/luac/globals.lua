x = 1
y = x
z = x.y.z
x.y = z
x[1] = 2
x[y] = z[x]
x["a b"] = "c\n\"d\"\t\0\200"
print(x, y, z)
local t = x
t.a = x
t[x] = t
