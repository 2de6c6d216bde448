-- helper for base/dofile.lua: raises an error on line 3
local x = 1
error("helper failed with x=" .. x)
