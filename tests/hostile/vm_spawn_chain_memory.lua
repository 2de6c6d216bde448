-- expect: heap
-- args: --sandbox --max-heap 16000000
-- Each process keeps 1 MB (well under 16 MB) and waits; together they must stop.
local function grow(n)
  local keep = string.rep("x", 1000000) .. n
  process.spawn_link(grow, n + 1)
  process.receive()
  return keep
end
grow(0)
