-- expect: ok: compiled 8
-- args: --sandbox --max-reductions 1000000
-- Long left-associative operator and suffix chains compile without deep recursion
-- (each used to crash the node with SIGSEGV at a few million links).
local n = 0
for _, s in ipairs{"+1", " and 1", "<1", "==1", ".b", "[1]", ":m()", "*1"} do
  assert(load("return f" .. string.rep(s, 1e5)))
  n = n + 1
end
print("compiled " .. n)
