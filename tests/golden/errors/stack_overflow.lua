-- infinite recursion is caught by pcall as a "stack overflow" error (only check the gist)
local function rec(n) return 1 + rec(n + 1) end
local ok, err = pcall(rec, 1)
print(ok, type(err), err:find("stack overflow", 1, true) ~= nil)
local function rec2() local t = {rec2()} return t end
ok, err = pcall(rec2)
print(ok, err:find("stack overflow", 1, true) ~= nil)
local mt = {} mt.__index = function(t, k) return t[k] end
local obj = setmetatable({}, mt)
ok, err = pcall(function() return obj.x end)
print(ok, (err:find("stack overflow", 1, true) or err:find("C stack overflow", 1, true)) ~= nil)
print("still alive", select('#', pcall(rec, 1)))
