-- __pairs and __ipairs metamethods (5.2)
local proxy = setmetatable({}, {__pairs = function(t)
  local i = 0
  return function() i = i + 1 if i <= 3 then return i, i * i end end, t, nil
end})
for k, v in pairs(proxy) do print("pairs", k, v) end
local ip = setmetatable({}, {__ipairs = function(t)
  return function(_, i) if i < 2 then return i + 1, "item" .. (i + 1) end end, t, 0
end})
for i, v in ipairs(ip) do print("ipairs", i, v) end
local backed = setmetatable({}, {__index = {10, 20, 30}})
for i, v in ipairs(backed) do print("index-backed", i, v) end
local n = 0 for _ in pairs(backed) do n = n + 1 end print("raw pairs count", n)
print(select('#', pairs(proxy)))
