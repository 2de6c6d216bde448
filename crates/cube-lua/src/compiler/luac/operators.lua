local a = not nil
local b = not 1
local c = not (x == y)
local d = x and y or z
local e = (x or y) and z
local f = x == 1 and "one" or "other"
local g = x and (y and z)
local h = nil and x
local i = 1 or x
if not x then print(1) end
if x and not y then print(2) end
if (x or y) and (z or w) then print(3) end
local j = -x
local k = #x
local l = - -1
local m = 2^-2
local n = "a" .. "b" .. x .. y
local o = x .. (y .. z)
local p = 1 + 2 * x
local q = x + 1 + 2
local r = 3 % 0
local s = -0
local t = 0/0
local u = 10 > x
local v = 1 < 2
