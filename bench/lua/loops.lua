-- loops: nested numeric for loops with arithmetic (add, mul, mod, div,
-- comparisons) on locals; no calls in the inner loop.
local n = tonumber(arg and arg[1]) or 6000

local sum, acc = 0, 0.0
for i = 1, n do
  for j = 1, n do
    local x = i * 3 + j * 7
    if x % 3 == 0 then
      sum = sum + x
    else
      sum = sum - j
    end
    acc = acc + (i + 1) / (j + 2)
  end
  sum = sum % 1000000007
end

-- step loops, countdown loops and float steps
local cnt = 0
for k = 1, 200 do
  for i = n, 1, -3 do cnt = cnt + 1 end
  for x = 0, 1, 0.25 do cnt = cnt + x end
end

print(string.format("sum=%d acc=%.3f cnt=%.2f", sum, acc, cnt))
