-- expect: heap
-- Arguments the whole sandbox cannot afford end the spawner (uncatchably).
local s = string.rep("g", 4000000)
pcall(process.spawn, function() end, s, s, s, s, s)
print("not reached")
