-- an error raised through coroutine.wrap is uncaught in the main chunk
local gen = coroutine.wrap(function() coroutine.yield(1) error("generator broke") end)
print(gen())
print(gen())
