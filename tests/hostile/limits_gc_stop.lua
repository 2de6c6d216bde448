-- expect: heap
-- Issue 9 item 5: collectgarbage("stop") must not switch the heap limit off.
collectgarbage("stop")
local keep = {}
for i = 1, 1e5 do
  keep[i] = string.rep("x", 100000) .. i
end
print("not reached")
