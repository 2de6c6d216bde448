-- expect: ok: child: heap limit exceeded
-- Spawn arguments (and upvalues) are checked against the child's limit before they are
-- copied into it: the same 100 kB string 200 times is 20 MB of copies.
process.trap_exit(true)
local s = string.rep("m", 100000)
local args = {}
for i = 1, 200 do args[i] = s end
local c = process.spawn_opt({max_heap = 2000000, link = true}, function(...)
  print("ran with " .. select("#", ...))
end, table.unpack(args))
local m = process.receive(function(m) return type(m) == "table" and m.pid == c end, 20000)
print("child: " .. tostring(m and m.reason))
