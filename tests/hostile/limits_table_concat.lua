-- expect: heap
-- Issue 9 item 6: table.concat's result is reserved before it is built.
local piece = string.rep("a", 1000000)
local t = {}
for i = 1, 2700 do t[i] = piece end
local s = table.concat(t)
print(#s)
