-- expect: heap
-- args: --max-heap 1000000 --max-reductions 1000000
-- Issue 9 item 6: a binary chunk's NEWTABLE size hint (B = 511: 3.2e9 array slots) is
-- reserved before the table is made (it had the node killed by the kernel).


local d = string.dump(function() return {} end)
local at = d:find("\x0B\x00\x00\x00", 1, true)
assert(at, "NEWTABLE not found")
local patched = d:sub(1, at - 1) .. "\x0B\x00\x80\xFF" .. d:sub(at + 4)
local f = assert(load(patched, "=patched", "b"))
print(#f())
