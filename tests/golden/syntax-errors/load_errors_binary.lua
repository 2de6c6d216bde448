-- load mode restrictions and reader errors
print(load("return 1", "x", "b"))
print(load(string.dump(function() return 1 end), "bin", "t"))
print(pcall(load, "return 1", "x", "q"))
local parts = {"return ", 40, "+2"}
local i = 0
local g = load(function() i = i + 1; return parts[i] end)
print(type(g), g())
print(pcall(load, function() return {} end))
local f = load(function() return nil end)
print(type(f), f())
