-- expect: reductions
-- Issue 9 item 7: a plain find scanning a long string is charged by the bytes scanned.
local s = string.rep("a", 4000000)
while true do local r = s:find("b", 1, true) end
