-- error with levels 1, 2, 0, and nested function positions
local function lvl1() error("level one") end
local function lvl2() error("level two", 2) end
local function lvl0() error("level zero", 0) end
local function caller() lvl2() end
print(pcall(lvl1))
print(pcall(lvl2))
print(pcall(caller))
print(pcall(lvl0))
local function deep3() error("three up", 3) end
local function d2() deep3() end
local function d1() d2() end
print(pcall(d1))
print(pcall(error))
print(pcall(error, "msg"))
print(pcall(error, "msg", 1))
print(pcall(error, "msg", 2))
print(pcall(error, nil))
