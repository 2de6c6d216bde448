-- expect: reductions
-- The same chain, linked to the first process: the sandbox's budget runs out and the
-- reason comes back along the links.
local function work(n)
  local x = 0
  for i = 1, 20000 do x = x + i end
  process.spawn_link(work, n + 1)
  process.receive()
end
work(0)
