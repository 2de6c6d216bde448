local a, b = f()
local r1 = a == b
local r2 = a ~= b
local r3 = a < 1
local r4 = 1 < a
local r5 = a >= b
local r6 = a > 2
local r7 = a <= "x"
local r8 = a and b
local r9 = a or b
local r10 = a and b or c and d
local r11 = not (a and b)
local r12 = not a == b
if a == nil then r1 = 1 end
if a ~= nil and b then r1 = 2 end
if a or b and c then r1 = 3 end
while a < b and not c do a = a + 1 end
repeat a = a - 1 until a <= 0 or b
local r13 = (a or b) == c
local r14 = a .. (b or c)
local r15 = f(a and b, a or b)
local r16 = nil or false
local r17 = true and 1
