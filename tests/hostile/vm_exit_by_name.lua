-- expect: ok: victim killed; caller alive
-- process.exit(name, reason) signals the registered process, not the caller.
local v = process.spawn(function() process.receive() end)
process.register("victim", v)
local ref = process.monitor(v)
process.exit("victim", "kill")
local m = process.receive(function(m) return type(m) == "table" and m.ref == ref end, 5000)
assert(m.reason == "killed", m.reason)
local ok, e = pcall(process.exit, "nobody", "kill")
assert(not ok and e:find("no process registered as 'nobody'", 1, true), e)
print("victim killed; caller alive")
