-- math.random ranges and argument errors (values themselves are never printed)
math.randomseed(42)
local ok = true
for i = 1, 1000 do local r = math.random() if r < 0 or r >= 1 then ok = false end end
print("random() in [0,1)", ok)
ok = true
local seen = {}
for i = 1, 1000 do local r = math.random(6) seen[r] = true if r < 1 or r > 6 or r % 1 ~= 0 then ok = false end end
print("random(6) in 1..6", ok, #seen)
ok = true
for i = 1, 1000 do local r = math.random(-3, 3) if r < -3 or r > 3 or r % 1 ~= 0 then ok = false end end
print("random(-3,3)", ok)
print(math.random(5, 5), math.random(1, 1))
print(pcall(math.random, 0))
print(pcall(math.random, 3, 1))
print(pcall(math.random, 1, 2, 3))
math.randomseed(7) local a = math.random(1000)
math.randomseed(7) local b = math.random(1000)
print("same seed same value", a == b)
print(select('#', math.randomseed(1)))
