-- expect: ok: done
-- args: --sandbox
-- A process that dies with an error object whose __tostring never returns: the node
-- describes the error outside any slice, with a bounded allowance, and goes on.
local p = process.spawn(function()
  error(setmetatable({}, {__tostring = function() while true do end end}))
end)
local ref = process.monitor(p)
local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 20000)
print(m and "done" or "no DOWN")
