-- loops (lines exact, also the final RETURN after a trailing "end")
for i = 1, 10 do end
for i = 1.5, 10, 0.5 do print(i) end
for i = a, b, c do local x = i * 2 end
for k in next, t do print(k) end
for a, b, c, d in f() do print(a, b, c, d) end
for _, v in ipairs(t) do
  if v then break end
  print(v)
end
while true do end
repeat until true
repeat local x = f() until x
local n = 0
while n < 10 do
  n = n + 1
  if n % 2 == 0 then
    goto cont
  end
  print(n)
  ::cont::
end
