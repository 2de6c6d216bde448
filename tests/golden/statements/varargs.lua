-- varargs: select('#'), select(n), select negative, nils inside, adjusting to one value
local function count(...) return select('#', ...) end
print(count(), count(nil), count(nil, nil), count(1, nil, 3, nil))
local function pass(...) return ... end
print(pass(1, 2, 3), (pass(1, 2, 3)))
print(select(2, "a", "b", "c"), select(-1, "a", "b", "c"), select(-2, "a", "b", "c"))
print(pcall(function() return select(0, 1) end))
print(pcall(function() return select(-5, 1) end))
print(select(5, 1, 2))
local function tab(...) local t = {...} return #t, t[1], t[select('#', ...)] end
print(tab(4, 5, 6))
local function packed(...) local t = table.pack(...) return t.n end
print(packed(nil, nil, nil))
local function mid(...) local a, b = ... return a, b end
print(mid(1), mid(1, 2, 3))
local function vf(a, ...) return a, select('#', ...), ... end
print(vf(), vf(1), vf(1, 2))
print(string.format("%s %s", pass("x", "y")))
local function sum(...) local s = 0 for i = 1, select('#', ...) do s = s + (select(i, ...)) end return s end
print(sum(1, 2, 3, 4, 5))
