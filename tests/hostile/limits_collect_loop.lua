-- expect: reductions
-- args: --sandbox --max-heap 16000000 --max-reductions 200000
-- Issue 9 item 7: collections are charged by the objects they visit. (A smaller
-- reduction limit than the default: the work is about 64 objects visited per
-- reduction, slow in the debug build the tests use.)
local t = {}
for i = 1, 20000 do t[i] = {} end
while true do collectgarbage() end
