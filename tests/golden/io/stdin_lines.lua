-- io.lines() without a file name iterates stdin; io.input() is stdin
local n, total = 0, 0
for line in io.lines() do
  n = n + 1
  local num = tonumber(line:match("%-?%d+"))
  if num then total = total + num end
  print(n, line)
end
print("lines", n, "sum", total, io.type(io.input()))
