-- expect: reductions
-- Issue 9 item 7: `s .. "y"` on a long string is charged by length.
local s = string.rep("a", 4000000)
while true do local r = s .. "y" end
