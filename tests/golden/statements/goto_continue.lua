-- goto: continue idiom, breaking out of nested loops, backward jumps, labels at block end
for i = 1, 5 do
  if i % 2 == 0 then goto continue end
  io.write(i, " ")
  ::continue::
end
print()
for i = 1, 3 do
  for j = 1, 3 do
    if i * j == 4 then goto out end
    io.write(i, "*", j, " ")
  end
end
::out:: print("left nested loops")
local n = 0
::top::
n = n + 1
if n < 5 then goto top end
print("n", n)
local i = 1
while i <= 3 do
  local x = i * 10
  if x == 20 then i = i + 1 goto cont end
  io.write(x, " ")
  i = i + 1
  ::cont::
end
print()
do
  local k = 0
  ::again::
  k = k + 1
  if k < 3 then goto again end
  print("k", k)
end
local fns = {}
do
  local c = 0
  ::loop::
  local v = c
  fns[#fns + 1] = function() return v end
  c = c + 1
  if c < 3 then goto loop end
end
print(fns[1](), fns[2](), fns[3]())
