-- expect: heap
-- Issue 9 item 6: string.rep reserves its result.
local s = string.rep("ab", 50000000)
print(#s)
