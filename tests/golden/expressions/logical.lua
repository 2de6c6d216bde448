-- and/or/not: short-circuit, returned values, falsy values
print(nil and 1, false and 1, 1 and 2, 0 and "zero is true", "" and "empty is true")
print(nil or 1, false or nil, 1 or error("never"), nil or false, false or false)
print(not nil, not false, not 0, not "", not not nil)
local calls = 0
local function f(v) calls = calls + 1 return v end
print(f(false) and f(true), f(true) or f(false), calls)
local x = nil
local y = x and x.field or "default"
print(y)
print(1 and nil or 3, (nil or false) == false, 1 == 1 and "yes" or "no")
print(type(nil and nil), select('#', (nil and nil)))
