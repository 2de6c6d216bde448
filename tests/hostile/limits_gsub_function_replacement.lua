-- expect: heap
-- Issue 9 item 6: gsub with a function replacement is reserved as it grows too.
local subject = string.rep("a", 10000)
local repl = string.rep("r", 10000)
local r = subject:gsub("a", function() return repl end)
print(#r)
