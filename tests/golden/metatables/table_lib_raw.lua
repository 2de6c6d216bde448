-- 5.2 table functions use raw gets/sets (ignoring __index/__newindex) but honour __len for the length
local log = {}
local mt = {__index = function(_, k) log[#log + 1] = "index " .. tostring(k) return "meta" end,
  __newindex = function(tt, k, v) log[#log + 1] = "newindex " .. tostring(k) rawset(tt, k, v) end}
local t = setmetatable({1, 2, 3}, mt)
table.insert(t, 4)
table.insert(t, 1, 0)
print(table.concat(t, ","), table.remove(t, 1), table.remove(t), table.concat(t, ","))
print(table.unpack(t))
table.sort(t, function(a, b) return a > b end)
print(table.concat(t, ","), #log)
local short = setmetatable({1, 2, 3, 4}, {__len = function() return 2 end})
print(#short, rawlen(short), table.concat(short, ","), table.unpack(short))
table.insert(short, "x")
print(rawget(short, 3), rawget(short, 4))
print(table.remove(short), rawget(short, 2))
