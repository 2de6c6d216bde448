-- expect: ok: done
-- args: --max-heap 16000000 --max-reductions 10000000
-- A buffer size chosen by the program is not a memory reservation: setvbuf's size is
-- ignored (as glibc ignores it), the buffer stays BUFSIZ, so 200 MB written through a
-- "full" handle never sit in memory outside the heap limit.
local f = assert(io.open("/dev/null", "w"))
assert(f:setvbuf("full", 2^62))
local s = string.rep("x", 1000000)
for i = 1, 200 do f:write(s) end
assert(f:setvbuf("line", 2^62))
for i = 1, 50 do f:write(s) end
f:close()
assert(io.stdout:setvbuf("full", 2^62))
io.stdout:setvbuf("no")
print("done")
