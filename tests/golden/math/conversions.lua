-- math on big and special values: floor/ceil of huge, tostring of powers of two, modf/fmod signs
for _, e in ipairs{10, 31, 32, 52, 53, 63, 64, 100, 1023} do io.write(tostring(2^e), " ") end print()
print(math.floor(math.huge), math.ceil(-math.huge), math.floor(-0.5), math.ceil(-0.5))
print(math.fmod(-6, 4), math.fmod(6, -4), -6 % 4, 6 % -4, math.fmod(5.5, 2))
print(math.max(0, -0.0), math.min(0, -0.0), math.abs(-2^63))
print(8 % 3.5, -8 % 3.5, 2^0.5 * 2^0.5 == 2, 10 / 3 * 3 == 10)
print(tostring(1e15), tostring(1e14 + 0.5), tostring(123456.789e3))
