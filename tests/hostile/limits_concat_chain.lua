-- expect: heap
-- Issue 9 item 6: a `..` chain (VM CONCAT) is reserved before it is built.
local s = string.rep("c", 3000000)
local r = s .. s .. s .. s .. s .. s .. s .. s .. s .. s
print(#r)
