-- expect: heap
-- args: --sandbox --max-heap 1000000 --max-reductions 100000000
-- Issue 9 item 6: a 100 MB table.concat under a 1 MB limit fails before allocating
-- (the harness's peak-RSS bound is 12 MB over the baseline here).
local piece = string.rep("b", 10000)
local t = {}
for i = 1, 10000 do t[i] = piece end
local s = table.concat(t, ",")
print(#s)
