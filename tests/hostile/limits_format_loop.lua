-- expect: reductions
-- Issue 9 item 7: string.format is charged by the size of its output.
local s = string.rep("a", 4000000)
while true do local r = string.format("%s", s) end
