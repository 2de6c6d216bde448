-- comments: line comments, long comments at various levels, comments mid-expression
local x = 1 -- trailing comment
--[[ long
comment ]] local y = 2
--[==[ level 2 with ]] inside
still comment ]==]
local z = x + --[[inline]] y
print(x, y, z)
---[[ this is a line comment, so the next line runs
print("not commented")
--]]
--[[
print("commented out")
--]]
print("end")
