-- string.byte and string.char: ranges, negative indexes, empty results, round trips
print(string.byte("ABC"), string.byte("ABC", 2), string.byte("ABC", -1), string.byte("ABC", 1, -1))
print(string.byte("ABC", 10), string.byte(""), select('#', string.byte("ABC", 3, 2)))
print(string.byte("ABC", 0), string.byte("ABC", -10, 2), string.byte("\0\255"))
print(string.char(), string.char(72, 105), #string.char(0, 0, 0))
local all = {} for i = 0, 255 do all[#all + 1] = string.char(i) end
local s = table.concat(all)
print(#s, s:byte(1), s:byte(256), s:byte(129))
print(("hello"):byte(1, 5))
print(string.char(("xyz"):byte(1, -1)))
print(pcall(string.char, "65"), string.char("65"))
