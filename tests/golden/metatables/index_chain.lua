-- __index as a table (chains of prototypes) and as a function; rawget bypasses it
local base = {greet = function() return "hello from base" end, kind = "base"}
local mid = setmetatable({kind = "mid"}, {__index = base})
local obj = setmetatable({}, {__index = mid})
print(obj.kind, obj.greet(), rawget(obj, "kind"))
local calls = {}
local dyn = setmetatable({}, {__index = function(t, k) calls[#calls + 1] = tostring(k) return k .. "!" end})
print(dyn.foo, dyn[1] == nil, dyn.bar)
print(table.concat(calls, ","))
dyn.foo = "set"
print(dyn.foo, #calls)
local deep = {}
local cur = deep
for i = 1, 50 do local nxt = {} setmetatable(cur, {__index = nxt}) cur = nxt end
cur.bottom = "found"
print(deep.bottom)
local str_mt = getmetatable("")
print(type(str_mt), str_mt.__index == string, ("x"):rep(3))
