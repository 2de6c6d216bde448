-- io.read from stdin (fed from the .in file): lines, numbers, counts, and the rest
print(io.read())
print(io.read("*n", "*n"))
print(string.format("%q", io.read("*L")))
print(io.read(5))
print(io.read("*l"))
local rest = io.read("*a")
print(#rest, string.format("%q", rest))
print(io.read(), io.read("*a") == "", io.read(0))
for l in io.lines() do print("never", l) end
print("done")
