-- expect: reductions
-- Issue 9 item 7: `<` on long strings is charged by the bytes compared.
local a = string.rep("a", 4000000)
local b = string.rep("a", 3999999) .. "b"
while true do local r = a < b end
