-- rawequal, rawget, rawset, rawlen bypass metamethods
local mt = {__index = function() return "meta" end, __newindex = function() error("blocked") end,
  __len = function() return 99 end, __eq = function() return true end}
local t = setmetatable({}, mt)
local u = setmetatable({}, mt)
print(t.x, rawget(t, "x"), #t, rawlen(t), t == u, rawequal(t, u), rawequal(t, t))
print(rawset(t, "x", 1) == t, rawget(t, "x"), t.x)
print(rawlen("abc"), rawlen({1, 2}), rawequal("a", "a"), rawequal(1, 1.0), rawequal("1", 1))
print(pcall(rawset, t, nil, 1))
print(pcall(rawset, {}, 0/0, 1))
print(pcall(function() return rawlen(nil) end))
print(pcall(function() return rawequal(1) end))
print(rawget(t, 1), rawget({5}, 1))
