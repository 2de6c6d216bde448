-- table.pack sets n; table.unpack with explicit ranges and nils
local p = table.pack(1, nil, 3, nil)
print(p.n, p[1], p[2], p[3], p[4], #p >= 0)
print(table.pack().n, next(table.pack()) == "n")
print(table.unpack(p, 1, p.n))
print(table.unpack({1, 2, 3}, 2, 5))
print(select('#', table.unpack({}, 5, 4)))
print(table.unpack({"a", "b", "c"}, -1, 1))
print(pcall(table.unpack, {}, 1, 1e7))
