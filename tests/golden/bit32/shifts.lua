-- bit32 shifts and rotates: lshift, rshift, arshift (sign), lrotate, rrotate, counts >= 32 and negative
print(bit32.lshift(1, 4), bit32.lshift(1, 31), bit32.lshift(1, 32), bit32.lshift(1, 33), bit32.lshift(0xFF, -4))
print(bit32.rshift(0x80000000, 31), bit32.rshift(-1, 1), bit32.rshift(1, 32), bit32.rshift(16, -2), bit32.rshift(-1, 0))
print(bit32.arshift(0x80000000, 1), bit32.arshift(-16, 2), bit32.arshift(16, 2), bit32.arshift(-1, 40), bit32.arshift(0x7FFFFFFF, 40))
print(bit32.arshift(-8, -1), bit32.arshift(1, -32), bit32.arshift(0x80000000, 31))
print(bit32.lrotate(1, 1), bit32.lrotate(0x80000000, 1), bit32.lrotate(1, 32), bit32.lrotate(1, 33), bit32.lrotate(1, -1))
print(bit32.rrotate(1, 1), bit32.rrotate(2, 1), bit32.rrotate(0x12345678, 8), bit32.rrotate(1, -1), bit32.rrotate(1, 64))
print(bit32.lshift(-1, 0), bit32.lshift(3, 1))
