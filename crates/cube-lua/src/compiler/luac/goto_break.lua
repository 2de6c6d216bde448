-- goto and break (lines exact, also the JMP after "do" and the RETURN after "end")
for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto continue end
    print(i, j)
    ::continue::
  end
end
do
  goto l1
  local x = 1
  ::l1::
end
::top::
local n = 0
n = n + 1
if n < 10 then goto top end
while x do
  if y then break end
  local z
  if z then break else print(1) end
end
