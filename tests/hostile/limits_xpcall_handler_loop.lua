-- expect: reductions
-- An xpcall message handler runs nested (called from Rust, it cannot be preempted):
-- an endless one runs on what the limit leaves, and ends with it.
print(xpcall(error, function() while true do end end))
