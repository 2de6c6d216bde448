-- comparison operators on numbers, strings (byte order), mixed types and nan
print(1 < 2, 2 < 1, 1 <= 1, 1 >= 2, 1 == 1.0, 1 ~= 2)
print("a" < "b", "a" < "B", "abc" < "abd", "" < "a", "Z" < "a", "a\0b" < "a\0c", "ab" < "abc")
print("10" < "9", 10 < 9, "a" == "a", "a" ~= "b")
local nan = 0/0
print(nan == nan, nan ~= nan, nan < 1, nan > 1, nan <= nan, 1 < math.huge, -math.huge < -1e308)
print({} == {}, "1" == 1, nil == false, true == true)
local t = {} local u = t print(t == u, print == print, print ~= tostring)
print(pcall(function() return 1 < "2" end))
print(pcall(function() return {} < {} end))
print(pcall(function() return nil < 1 end))
print(pcall(function() return true <= false end))
print(pcall(function() return "a" >= 1 end))
