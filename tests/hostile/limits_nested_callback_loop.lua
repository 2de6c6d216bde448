-- expect: reductions
-- A comparator that never returns, called by table.sort (a native): the nested call
-- cannot be preempted, but it cannot outrun the process's reduction limit either.
local ok = pcall(table.sort, {3, 2, 1}, function(a, b) while true do end end)
print("not reached", ok)
