-- table constructors: positional, named, [expr] keys, trailing separators, multiple returns expansion
local function three() return 1, 2, 3 end
local t = {three(), three()}
print(#t, t[1], t[2], t[4])
local u = {three(), (three())}
print(#u)
local v = {[1] = "a", "b", [2] = "c"}
print(v[1], v[2])
local w = {x = 1, ["y"] = 2, [3] = 3, 4; 5,}
print(w.x, w.y, w[1], w[2], w[3])
local n = {[1.0] = "one", [2^53] = "big"}
print(n[1], n[2^53])
print(#{nil, nil, 3} >= 0, select('#', table.unpack({1, 2, 3})))
local k = {[true] = "t", [false] = "f"}
print(k[true], k[false])
print(pcall(function() local z = {[nil] = 1} end))
print(pcall(function() local z = {[0/0] = 1} end))
