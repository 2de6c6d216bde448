-- errors raised inside metamethods and their positions; error objects pass through untouched
local mt = {__add = function(a, b) error("bad add") end,
  __index = function(t, k) error({key = k}) end,
  __tostring = function() error("no tostring", 0) end}
local o = setmetatable({}, mt)
print(pcall(function() return o + 1 end))
local ok, e = pcall(function() return o.somekey end)
print(ok, type(e), e.key)
print(pcall(tostring, o))
print(pcall(print, o))
