-- recursion: mutual recursion via locals, deep non-tail recursion within limits, recursive closures
local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
print(ack(2, 3), ack(3, 3))
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(10000))
local isEven, isOdd
function isEven(n) if n == 0 then return true end return isOdd(n - 1) end
function isOdd(n) if n == 0 then return false end return isEven(n - 1) end
print(isEven(10), isOdd(7), isEven(7))
local function hanoi(n, a, b, c, moves)
  if n == 0 then return moves end
  hanoi(n - 1, a, c, b, moves)
  moves[#moves + 1] = a .. c
  hanoi(n - 1, b, a, c, moves)
  return moves
end
local m = hanoi(4, "A", "B", "C", {})
print(#m, table.concat(m, " ", 1, 7))
local function flatten(t, out)
  out = out or {}
  for _, v in ipairs(t) do if type(v) == "table" then flatten(v, out) else out[#out + 1] = v end end
  return out
end
print(table.concat(flatten{1, {2, {3, {4, {5}}}}, 6}, ","))
