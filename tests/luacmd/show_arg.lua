-- Prints the arg table (negative indices included) and the script's `...`.
local lo = 0
while arg[lo - 1] ~= nil do lo = lo - 1 end
for i = lo, #arg do io.write(i, "=", tostring(arg[i]), " ") end
print()
print("...", select("#", ...), ...)
print("x", x, "mod", type(mod))
