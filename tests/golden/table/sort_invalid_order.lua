-- table.sort with an inconsistent comparator: 5.2 may raise "invalid order function for sorting"
local t = {}
for i = 1, 100 do t[i] = i % 10 end
local ok, err = pcall(table.sort, t, function(a, b) return true end)
print(ok, err)
local ok2, err2 = pcall(table.sort, {3, 1, 2}, function(a, b) return a <= b end)
print(ok2, err2)
