-- expect: heap
-- Issue 9 item 6: gsub's output is reserved as it grows.
local subject = string.rep("a", 10000)
local repl = string.rep("r", 10000)
local r = subject:gsub("a", repl)
print(#r)
