-- expect: reductions
-- A finalizer runs nested (it cannot be preempted); an endless one used to refill its
-- budget forever and hold the scheduler. It now runs on what the limit leaves.
setmetatable({}, {__gc = function() while true do end end})
collectgarbage()
print("not reached")
