-- __newindex as a function and as a table; only for absent keys; rawset bypasses
local log = {}
local t = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v) rawset(t, k, v * 2) end})
t.a = 1
t.a = 5
t.b = 2
print(t.a, t.b, table.concat(log, " "))
local store = {}
local proxy = setmetatable({}, {__newindex = store, __index = store})
proxy.x = 10
print(rawget(proxy, "x"), store.x, proxy.x)
local ro = setmetatable({}, {__newindex = function(t, k) error("read-only table: " .. k, 2) end})
print(pcall(function() ro.field = 1 end))
rawset(ro, "field", 2) print(ro.field)
local chain2 = setmetatable({}, {__newindex = setmetatable({}, {__newindex = function(_, k, v) print("deep set", k, v) end})})
chain2.z = 3
print(rawget(chain2, "z"))
