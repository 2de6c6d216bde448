-- print uses tostring (from _G at call time), tabs between values, _VERSION, _G
print(1, nil, "x", false)
print()
print(_VERSION, _G._G == _G, _G.print == print, type(_G))
local old = tostring
tostring = function(v) return "<" .. old(v) .. ">" end
print(1, "a")
tostring = old
print(1, "a")
local mt = setmetatable({}, {__tostring = function() return "MT" end})
print(mt, nil)
print(("x"):rep(3, ","))
