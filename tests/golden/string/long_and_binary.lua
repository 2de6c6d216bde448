-- strings with embedded zeros and all byte values through patterns, sub, rep, format %s and comparison
local z = "a\0b\0c"
print(#z, z:find("\0", 1, true), z:find("%z"), select(2, z:gsub("\0", "")), z:upper():byte(1, -1))
print(("\0"):rep(3, "\1"):byte(1, -1))
print(("x\0y"):match("(.)%z(.)"), "a\0b" < "a\0c", "a\0" > "a", #("\0" .. "\0"))
local t = {} for i = 255, 0, -1 do t[#t + 1] = string.char(i) end
local s = table.concat(t)
print(#s, s:sub(1, 1):byte(), s:sub(-1):byte(), #s:gsub("%w", ""), #s:lower())
print(#string.format("%s", z), string.format("%q", z))
