-- expect: reductions
-- Issue 9 item 7: a plain find with many near-matches is charged by the bytes compared.
local s = string.rep("a", 1000000)
local needle = string.rep("a", 100000) .. "b"
print(s:find(needle, 1, true))
