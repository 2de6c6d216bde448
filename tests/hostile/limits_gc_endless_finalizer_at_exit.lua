-- expect: ok: done
-- A finalizer that never ends, left for the process's exit: closing the state runs it
-- on what the limit leaves (here, most of it), then the node ends.
local keep = setmetatable({}, {__gc = function() while true do end end})
print("done")
