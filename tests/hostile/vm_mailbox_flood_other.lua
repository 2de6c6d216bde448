-- expect: ok: victim: heap limit exceeded
-- args: --sandbox --max-heap 16000000
-- Flooding another process's mailbox kills the receiver, not the sender or the machine.
local victim = process.spawn(function() process.sleep(math.huge) end)
local ref = process.monitor(victim)
local s = string.rep("y", 100000)
local sent = 0
while process.is_alive(victim) and sent < 10000 do
  process.send(victim, s .. sent)
  sent = sent + 1
end
local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 20000)
print("victim: " .. tostring(m and m.reason))
