-- table.sort: numbers, strings, custom comparators, descending, stability not assumed, records
local nums = {5, 2, 8, 1, 9, 3, 7, 4, 6, 10, -1, 0.5}
table.sort(nums) print(table.concat(nums, " "))
table.sort(nums, function(a, b) return a > b end) print(table.concat(nums, " "))
local strs = {"banana", "apple", "Cherry", "apple2", "", "Banana", "a"}
table.sort(strs) print(table.concat(strs, ","))
table.sort(strs, function(a, b) return a:lower() < b:lower() or (a:lower() == b:lower() and a < b) end)
print(table.concat(strs, ","))
local recs = {{n = "x", v = 3}, {n = "y", v = 1}, {n = "z", v = 2}}
table.sort(recs, function(a, b) return a.v < b.v end)
print(recs[1].n, recs[2].n, recs[3].n)
local big = {} for i = 1, 1000 do big[i] = (i * 7919) % 1000 end
table.sort(big)
local ok = true for i = 2, #big do if big[i - 1] > big[i] then ok = false end end
print(ok, big[1], big[1000])
local e = {} table.sort(e) print(#e)
local one = {1} table.sort(one) print(one[1])
print(pcall(table.sort, {1, "a", 2}))
print(pcall(table.sort, {{}, {}}))
local mixed = {3, 1, 2}
table.sort(mixed, function(a, b) return a > b end)
print(table.concat(mixed, ","))
local T = setmetatable({}, {__lt = function(a, b) return a.k < b.k end})
local objs = {}
for i, k in ipairs{4, 2, 3, 1} do objs[i] = setmetatable({k = k}, getmetatable(T)) end
table.sort(objs)
print(objs[1].k, objs[2].k, objs[3].k, objs[4].k)
