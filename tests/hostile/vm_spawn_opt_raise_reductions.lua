-- expect: reductions
-- A child asking for more than the sandbox allows gets the sandbox's limits; linked, its
-- end takes the program down with it.
process.spawn_opt({max_heap = 2^40, max_reductions = 2^50, link = true}, function()
  while true do end
end)
process.receive()
