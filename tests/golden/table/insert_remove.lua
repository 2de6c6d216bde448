-- table.insert and table.remove at positions, including the out-of-bounds errors of 5.2.4
local t = {}
table.insert(t, "a") table.insert(t, "c") table.insert(t, 2, "b") table.insert(t, 1, "z")
print(table.concat(t, ","), #t)
print(table.remove(t), table.concat(t, ","))
print(table.remove(t, 1), table.concat(t, ","))
print(table.remove({}), select('#', table.remove({})))
table.insert(t, #t + 1, "end")
print(table.concat(t, ","))
print(pcall(table.insert, t, 10, "x"))
print(pcall(table.insert, t, 0, "x"))
print(pcall(table.insert, t, -1, "x"))
print(pcall(table.insert, t, 1, 2, 3))
print(pcall(table.insert, t))
print(pcall(table.remove, t, 10))
print(pcall(table.remove, t, 0))
print(table.remove(t, #t + 1), table.concat(t, ","))
local e = {}
print(table.remove(e, 0), table.remove(e, #e))
local n = {n = 1}
print(table.remove(n, 1))
local big = {} for i = 1, 10 do big[i] = i end
for i = 1, 5 do table.remove(big, 1) end
print(table.concat(big, " "))
