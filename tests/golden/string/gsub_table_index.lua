-- gsub with a table replacement reads it like t[k]: __index tables and functions are used
local t = setmetatable({}, {__index = function(t, s) return string.upper(s) end})
print(string.gsub("a alo b hi", "%w%w+", t))
local base = {alo = "ALO"}
local t2 = setmetatable({}, {__index = setmetatable({}, {__index = base})})
print(string.gsub("alo x alo", "%w+", t2))
local calls = {}
local t3 = setmetatable({hi = "HI"}, {__index = function(t, k) calls[#calls + 1] = k; return false end})
print(string.gsub("hi there hi you", "%w+", t3))
print(table.concat(calls, ","))
print(string.gsub("alo alo", "().", {2, 5, 6}))
print(pcall(string.gsub, "abc", "%w", setmetatable({}, {__index = function() return {} end})))
