while x do
  local a = 1
  f = function() return a end
  if a then break end
  if y then goto out end
end
::out::
for i = 1, 2 do
  local b = i
  g = function() return b end
  if b then goto next end
  print(b)
  ::next::
end
repeat
  local c = 1
  h = function() return c end
  if c then break end
until c
do
  local d
  k = function() return d end
  goto skip
  print(d)
end
::skip::
if z then goto skip2 ::a:: ::b:: end
::skip2::
if z then break2 = 1 elseif w then goto skip3 else goto skip3 end
::skip3::
local _ENV = {print = print}
print(q)
