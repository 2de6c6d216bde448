-- debug.getlocal, setlocal, getupvalue, setupvalue, upvalueid/upvaluejoin, getmetatable/setmetatable
local function f(a, b)
  local c = a + b
  local names = {}
  local i = 1
  while true do
    local n, v = debug.getlocal(1, i)
    if not n then break end
    names[#names + 1] = n .. "=" .. (type(v) == "table" and "<table>" or tostring(v))
    i = i + 1
  end
  return table.concat(names, " ")
end
print(f(1, 2))
print(debug.getlocal(f, 1), debug.getlocal(f, 2), debug.getlocal(f, 3))
local x, y = 10, 20
local function g() return x + y end
print(debug.getupvalue(g, 1), debug.getupvalue(g, 2), debug.getupvalue(g, 3))
print(debug.setupvalue(g, 1, 100), g())
local function vararg(...) return debug.getlocal(1, -1) end
print(vararg("first", "second"))
local function setter() local v = 1; debug.setlocal(1, 1, 99); return v end
print(setter())
local t = setmetatable({}, {__metatable = "hidden"})
print(getmetatable(t), type(debug.getmetatable(t)))
debug.setmetatable(10, {__index = function(n, k) return k .. n end})
print((5).abc)
debug.setmetatable(10, nil)
local function h1() return x end
local function h2() return y end
print(debug.upvalueid(h1, 1) == debug.upvalueid(g, 1), debug.upvalueid(h1, 1) == debug.upvalueid(h2, 1))
debug.upvaluejoin(h1, 1, h2, 1)
print(h1())
