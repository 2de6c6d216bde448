-- operator tokens and spacing: .. needs spaces after numbers, ~=, <=, >=, ::label::, ...
local a = 1 .. 2
print(a, type(a))
print(1 ~= 2, 1 <= 1, 2 >= 3, "a".."b".."c")
local function v(...) return select('#', ...), ... end
print(v(1, nil, 3))
do goto skip; print("skipped") ::skip:: end
print(2^-1, -2^2, not nil == true)
print(#{1, 2, 3;4;}, {} ~= {})
