-- __mode weak tables: collected entries disappear after collectgarbage(); strings are values, not collected
local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end
local weakv = setmetatable({}, {__mode = "v"})
local weakk = setmetatable({}, {__mode = "k"})
local strong = {}
do
  local keep = {}
  strong[1] = keep
  weakv[1] = keep
  weakv[2] = {}
  weakv[3] = "string stays"
  weakv[4] = 42
  weakk[keep] = "kept"
  weakk[{}] = "dropped"
  weakk["str"] = {}
end
collectgarbage()
collectgarbage()
print(count(weakv), weakv[1] == strong[1], weakv[2], weakv[3], weakv[4])
print(count(weakk), weakk[strong[1]], type(weakk.str))
local kv = setmetatable({}, {__mode = "kv"})
kv[{}] = {} kv[1] = {} kv.x = "y"
collectgarbage()
print(count(kv), kv.x)
local cache = setmetatable({}, {__mode = "k"})
local obj = {}
cache[obj] = "data"
obj = nil
collectgarbage()
print(count(cache))
