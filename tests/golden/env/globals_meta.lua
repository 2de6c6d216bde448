-- a metatable on _G to detect undefined global reads and writes (strict mode)
local declared = {}
setmetatable(_G, {
  __newindex = function(t, k, v) declared[k] = true rawset(t, k, v) end,
  __index = function(t, k) if not declared[k] then error("undefined global '" .. tostring(k) .. "'", 2) end end,
})
ok_global = 1
print(ok_global)
print(pcall(function() return not_declared end))
ok_global = nil
print(ok_global)
setmetatable(_G, nil)
print(also_not_declared)
