-- while and repeat: scoping (until sees the body's locals), break, nested loops
local i = 0
while i < 3 do i = i + 1 end
print(i)
local n = 0
repeat local done = n >= 2; n = n + 1 until done
print(n)
local j = 0
while true do j = j + 1; if j > 4 then break end end
print(j)
local out = {}
for a = 1, 3 do
  local b = 0
  while true do
    b = b + 1
    if b > a then break end
    out[#out + 1] = a .. b
  end
end
print(table.concat(out, " "))
local k = 10
repeat k = k - 3 until k < 0
print(k)
local fns = {}
local m = 0
repeat local mm = m; fns[#fns + 1] = function() return mm end; m = m + 1 until mm >= 2
print(fns[1](), fns[2](), fns[3]())
