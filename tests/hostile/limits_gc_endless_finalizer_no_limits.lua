-- expect: ok: done
-- args: --sandbox
-- Without a reduction limit, finalizers at a process's exit still get a bounded
-- allowance (cube-vm's CLOSE_REDUCTIONS), so an endless one cannot hold the node.
local keep = setmetatable({}, {__gc = function() while true do end end})
print("done")
