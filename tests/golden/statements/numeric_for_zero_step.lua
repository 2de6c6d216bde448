-- numeric for with step 0: 5.2 checks "limit <= i" when step is not positive, so 1,10,0 never runs and 1,0,0 loops forever
local n = 0
for i = 1, 10, 0 do n = n + 1; if n == 5 then break end end
print("iterations", n)
local m = 0
for i = 1, 0, 0 do m = m + 1; if m == 3 then break end end
print("empty range with zero step", m)
