-- expect: heap
-- args: --sandbox --max-heap 1000000 --max-reductions 100000000
-- Issue 9 item 6: a huge unpack's stack is reserved before it grows.
local t = {}
print(select("#", table.unpack(t, 1, 900000)))
