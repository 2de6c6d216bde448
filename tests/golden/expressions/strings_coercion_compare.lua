-- strings are not coerced for comparison or table keys, only for arithmetic; == never coerces
local t = {}
t[1] = "number key" t["1"] = "string key"
print(t[1], t["1"], t[tonumber("1")], t[tostring(1)])
print("1" == 1, "1" + 0 == 1, "abc" < "abd", pcall(function() return "1" < 2 end))
print(#("" .. 123), ("" .. 1e100), ("" .. -0.5), 12 .. "")
print("0x10" + 0, "1e1" * 1, " 7 " - 1, pcall(function() return "7x" - 1 end))
print(10 == "10", tostring(10) == "10", tonumber("10") == 10)
