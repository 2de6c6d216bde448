local a
local function outer()
  local x, y = 1, 2
  local function inner()
    x = x + 1
    return function() return x + y + a end
  end
  return inner
end
do
  local q = 1
  local function f() return q end
end
for i = 1, 3 do
  local c = i
  f = function() return c end
end
while true do
  local w = 1
  g = function() return w end
  if w then break end
end
repeat
  local r = 1
  h = function() return r end
until r
