-- expect: reductions
-- Issue 9 item 7: string.lower on a long string is charged in proportion to its length.
local s = string.rep("a", 4000000)
while true do local r = s:lower() end
