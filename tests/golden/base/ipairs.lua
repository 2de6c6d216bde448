-- ipairs: stops at first nil, returns iterator triple, raw access in 5.2
local f, s, i = ipairs({})
print(type(f), type(s), i)
for i, v in ipairs({"a", "b", nil, "d"}) do print(i, v) end
for i, v in ipairs({[2] = "x"}) do print("never", i, v) end
local t = {1, 2, 3}
for i, v in ipairs(t) do if i == 1 then t[3] = nil end print(i, v) end
print(f({5, 6}, 0), f({5, 6}, 1), f({5, 6}, 2))
print(pcall(function() return ipairs(nil) end))
