-- expect: ok: compiled
-- args: --sandbox --max-reductions 1000000
-- A call chain f()()()... of a million links (lua5.2 compiles it): the compiler used to
-- recurse once per link and the node died with SIGSEGV. No --max-heap: the point is
-- "no crash"; the front end needs memory linear in the source, outside the Lua heap
-- until `load` reserves it (see load::COMPILE_BYTES_PER_SOURCE_BYTE).
local f = assert(load("return f" .. string.rep("()", 1e6)))
print("compiled")
