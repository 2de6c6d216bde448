-- expect: ok: done
-- Huge timeouts mean "for ever" (Erlang's infinity), never a panic.
local me = process.self()
local p = process.spawn(function()
  process.send(me, process.receive(math.huge))
  process.send(me, process.receive(function() return true end, 1e300))
end)
process.send(p, 1)
assert(process.receive(5000) == 1)
process.send(p, 2)
assert(process.receive(5000) == 2)
for _, t in ipairs({1e300, math.huge, 2^63}) do
  local s = process.spawn(function() process.sleep(t) end)
  local ref = process.monitor(s)
  process.sleep(20)
  process.exit(s, "kill")
  local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 5000)
  assert(m.reason == "killed")
end
print("done")
