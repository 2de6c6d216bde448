-- bit32.band, bor, bxor, bnot, btest with several arguments, no arguments, negative and out-of-range integers
print(bit32.band(0xFF, 0x0F), bit32.bor(0xF0, 0x0F), bit32.bxor(0xFF, 0x0F), bit32.bnot(0))
print(bit32.band(), bit32.bor(), bit32.bxor(), bit32.btest(), bit32.btest(1, 2), bit32.btest(3, 2))
print(bit32.band(-1, 0xFFFF), bit32.bor(-1), bit32.bnot(-1), bit32.bnot(1), bit32.bxor(-1, 1))
print(bit32.band(0xFF, 0xF0, 0x3C), bit32.bor(1, 2, 4, 8), bit32.bxor(1, 3, 7))
print(bit32.band(2^32 + 5, 7), bit32.band(-2^32 + 5, 7), bit32.bor(2^40), bit32.band(-2^31, 2^31))
print(bit32.bnot(0x12345678), bit32.band(0xFFFFFFFF, -0x80000000))
print(pcall(bit32.band, "x"), bit32.band("7", "3"))
