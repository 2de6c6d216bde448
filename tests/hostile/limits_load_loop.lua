-- expect: reductions
-- Issue 9 item 7: load is charged by the size of its source.
local src = "return " .. string.rep("1 + ", 20000) .. "1"
while true do local f = load(src) end
