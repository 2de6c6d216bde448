-- expect: reductions
-- Issue 9 item 7: string.sub copies are charged by length.
local s = string.rep("a", 4000000)
while true do local r = s:sub(2) end
