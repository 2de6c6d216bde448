-- expect: heap
-- Issue 9 item 6: doubling a string with `..` ends at the heap limit.
local s = "x"
while true do s = s .. s end
