-- expect: ok: 0
-- args: --max-reductions 1000000
-- Without a heap limit (nothing reserved), the same hint: a binary chunk's NEWTABLE size hint (B = 511: 3.2e9 array slots) had
-- the node killed by the kernel. Hints are capped at 1M slots per part (only a size
-- hint: SETLIST grows the array beyond it) and reserved before the table is made, so
-- under a 1 MB heap the empty table is made at its real size.
local d = string.dump(function() return {} end)
local at = d:find("\x0B\x00\x00\x00", 1, true)
assert(at, "NEWTABLE not found")
local patched = d:sub(1, at - 1) .. "\x0B\x00\x80\xFF" .. d:sub(at + 4)
local f = assert(load(patched, "=patched", "b"))
print(#f())
