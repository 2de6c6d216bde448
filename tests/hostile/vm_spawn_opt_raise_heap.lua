-- expect: heap
-- args: --sandbox --max-heap 16000000
-- A child asking for 1 TB of heap gets the sandbox's 16 MB.
process.spawn_opt({max_heap = 2^40, link = true}, function()
  local t = {}
  for i = 1, 1e6 do t[i] = string.rep("x", 100000) .. i end
end)
process.receive()
