local a, b = 1, 2
local c = a + b * 3 - 4 / 2
print(a, b, c)
x = a .. b .. "s"
local t = {1, 2, 3; x = 1, [a] = b, f()}
local u = {...}
t.x.y = t[1] + t.z
if a < b and b <= c or not x then print("yes") elseif a == 1 then print(2) else print(3) end
local d = a > b
local e = a ~= b or c
while a do a = a - 1 end
repeat local z = a until z
for i = 1, 10 do print(i) end
for i = 10, 1, -1 do print(i) end
for k, v in pairs(t) do print(k, v) end
local function f(...) return ... end
function g.h:m(x) return self, x end
return f(a)
