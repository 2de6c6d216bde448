-- expect: heap
-- args: --sandbox --max-heap 16000000 --max-reductions 100000000
-- Deep non-tail recursion allocates no object, only stack slots and call frames: both
-- count against the heap limit and are checked at least once per budget (a coroutine's
-- recursion used to reach 135 MB under a 16 MB limit).
local co = coroutine.create(function()
  local function f() return 1 + f() end
  return f()
end)
print(coroutine.resume(co))
