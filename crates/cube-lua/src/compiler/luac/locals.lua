local a
local b, c
local d, e = 1
local f, g, h = 1, 2, 3, 4
local i = a
a = 5
b = a
a, b = b, a
local j = nil
local k, l = nil, nil
local m = true
local n = false
do local o = 1; local p = o end
local q = {}
