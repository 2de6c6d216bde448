-- string.dump gives a binary string that load can read back; a reloaded function's first upvalue becomes _G
local function add(a, b) return a + b end
local d = string.dump(add)
print(type(d), d:sub(1, 4) == "\27Lua", #d > 0)
local f = load(d, "dumped", "b")
print(f(2, 3))
print(pcall(string.dump, print))
local up = 10
local g = load(string.dump(function() return up end))
print(g() == _G, "first upvalue of a loaded chunk is _ENV")
print(string.len(string.format("%5s", "")), ("%d"):format(7), ("abc"):upper())
