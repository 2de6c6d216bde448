-- expect: ok: 5 too many C levels (limit is 200)
-- args: --sandbox --max-heap 64000000 --max-reductions 1000000
-- (64 MB: `load` reserves 96 bytes of heap per source byte before compiling.)
-- Right-associative chains and nesting stop at PUC's 200 C levels with its message
-- (what lua5.2 prints), instead of recursing on the Rust stack.
local n, msg = 0
for _, src in ipairs{
  "return f" .. string.rep(" .. 1", 1e5),
  "return f" .. string.rep("^1", 1e5),
  "return " .. string.rep("(", 1e5),
  "return " .. string.rep("{", 1e5),
  string.rep("do ", 1e5),
} do
  local f, e = load(src)
  assert(not f and e:find("too many C levels (limit is 200)", 1, true), e)
  n, msg = n + 1, e:match("too many C levels %(limit is 200%)")
end
print(n .. " " .. msg)
