-- expect: error: C stack overflow
-- Issue 9 item 8: a string-growing __index recursion stops at PUC's 200 C levels.
local t = setmetatable({}, {__index = function(t, k) return t[k .. string.rep("x", 100)] end})
print(t.a)
