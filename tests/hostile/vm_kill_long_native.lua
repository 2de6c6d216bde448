-- expect: ok: killed
-- args: --sandbox --max-heap 16000000
-- timeout: 20
-- exit(pid, "kill") ends a process inside one long native (an exponential pattern
-- match) within a slice: the runtime sets the process's interrupt flag, which the
-- interpreter's natives check (that part is cube-lua's: this case needs both).
local p = process.spawn(function()
  local s = string.rep("a", 40)
  string.find(s, string.rep("a?", 40) .. string.rep("a", 40))
  while true do end
end)
local ref = process.monitor(p)
process.sleep(100)
process.exit(p, "kill")
local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 5000)
print(m and m.reason or "not killed in time")
