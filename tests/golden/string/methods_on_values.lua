-- string methods through the string metatable: literals, numbers need parentheses, s:method chains
local s = "Hello"
print(s:upper(), s:len(), ("x"):rep(3), ("%d-%d"):format(1, 2), s:sub(2):lower():reverse())
print(#s:rep(2, " "), s:byte(-1), ("a,b"):find(",", 1, true))
local mt = getmetatable("")
mt.__index.shout = function(self) return self:upper() .. "!" end
print(("hey"):shout())
string.shout = nil
print(pcall(function() return ("hey"):shout() end))
print(pcall(function() local n = 5 return n:rep(2) end))
print(("abc"):len() == string.len("abc"), s.len == string.len)
