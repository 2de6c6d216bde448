-- expect: ok: receiver: heap limit exceeded
-- A message bigger than the receiver's limit is never materialised.
local r = process.spawn_opt({max_heap = 1000000}, function()
  local m = process.receive()
  print("received " .. #m)
end)
local ref = process.monitor(r)
process.send(r, string.rep("z", 4000000))
local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 20000)
print("receiver: " .. tostring(m and m.reason))
