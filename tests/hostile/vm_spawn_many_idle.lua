-- expect: heap
-- args: --sandbox --max-heap 4000000
-- Endless idle processes: each costs its record and its heap, so the group fills.
while true do
  process.spawn(function() process.receive() end)
end
