-- string.sub with every index case: positive, negative, zero, out of range, reversed
local s = "hello world"
print(s:sub(1, 5), s:sub(7), s:sub(-5), s:sub(-5, -3), s:sub(0), s:sub(0, 0))
print(s:sub(5, 3), s:sub(100), s:sub(-100, 3), s:sub(3, -100), s:sub(11, 11), s:sub(12))
print(s:sub(2, 2), s:sub(-1, -1), s:sub(-11, 1), s:sub(1, 100), ("")  :sub(1, 1), #s:sub(1, -1))
print(s:sub(2.0, 3.0), s:sub("2", "4"))
print(pcall(string.sub, s, "x"))
print(s:sub(1, 0) == "", s:sub(-3, 0) == "")
