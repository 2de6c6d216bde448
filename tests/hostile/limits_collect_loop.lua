-- expect: reductions
-- Issue 9 item 7: collections are charged by the objects they visit.
local t = {}
for i = 1, 20000 do t[i] = {} end
while true do collectgarbage() end
