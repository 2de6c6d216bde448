-- expect: heap
-- Issue 9 item 6: string.format's output is reserved before it is built.
local s = string.rep("f", 4000000)
local r = string.format("%s%s%s%s%s%s%s%s", s, s, s, s, s, s, s, s)
print(#r)
