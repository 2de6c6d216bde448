-- expect: heap
-- args: --sandbox --max-heap 16000000
-- Messages to oneself count against one's heap.
local me = process.self()
local s = string.rep("x", 100000)
local i = 0
while true do
  i = i + 1
  process.send(me, s .. i)
end
