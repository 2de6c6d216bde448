-- expect: reductions
-- A comparator that never returns, called by table.sort: a callback of a native cannot
-- outrun the process's reduction limit.
local ok = pcall(table.sort, {3, 2, 1}, function(a, b) while true do end end)
print("not reached", ok)
