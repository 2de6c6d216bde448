-- concatenation: right associativity, numbers, long chains, errors naming the operand
print("a" .. "b" .. "c", 1 .. 2, "x" .. 1.5, "" .. "")
local parts = {} for i = 1, 10 do parts[#parts + 1] = i end
local s = "" for i = 1, 10 do s = s .. i .. "," end
print(s, table.concat(parts, ","))
local big = string.rep("ab", 1000) .. string.rep("cd", 1000)
print(#big, big:sub(1999, 2002))
local x = nil
print(pcall(function() return "a" .. x end))
print(pcall(function() return "a" .. {} end))
print(pcall(function() return true .. "a" end))
local t = {}
print(pcall(function() return t.field .. "a" end))
print(pcall(function() return 1 .. 2 .. nil end))
