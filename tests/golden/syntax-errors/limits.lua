-- compiler limits: too many local variables, deeply nested constructors and unary chains
local src = {}
for i = 1, 210 do src[#src + 1] = "local v" .. i .. " = " .. i end
local f, err = load(table.concat(src, "\n"))
print(f, err)
local ok = load("return " .. string.rep("(", 100) .. "1" .. string.rep(")", 100))
print(type(ok), ok())
local deep = "return " .. string.rep("{", 300) .. string.rep("}", 300)
local g, err2 = load(deep)
print(type(g), err2)
local chain = "x = " .. string.rep("- ", 300) .. "1"
local h, err3 = load(chain)
print(type(h), err3)
