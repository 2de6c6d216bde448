-- float values that represent integers, large magnitudes, and %.0f of halves
print(2^53 == 2^53 + 1, 2^52 + 0.5, 1e15 + 0.3, -2^63, 2^64)
print(math.floor(-7 / 2), -7 % 2, 7 % -2, math.fmod(-7, 2))
print(string.format("%.0f", 2^60), string.format("%d", 2^31 - 1), 0x7fffffff + 1)
print(1e300 * 1e10 == math.huge, -1e300 * 1e10 == -math.huge, 1e-320 > 0)
