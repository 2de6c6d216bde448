-- the length operator on strings and sequences, and errors on other types
print(#"", #"abc", #"\0\0", #{}, #{1, 2, 3}, #{n = 1}, #{1, 2, nil})
local t = {} for i = 1, 100 do t[i] = i end print(#t)
t[#t + 1] = 101 print(#t)
t[#t] = nil print(#t)
local s = "hello" print(#s, s:len())
print(pcall(function() return #5 end))
print(pcall(function() local n; return #n end))
print(pcall(function() return #print end))
