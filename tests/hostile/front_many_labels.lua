-- expect: ok: too many labels/gotos (limit is 32767)
-- args: --sandbox --max-heap 64000000 --max-reductions 1000000
-- (64 MB: `load` reserves 96 bytes of heap per source byte before compiling.)
-- Matching labels against each other by name is quadratic (as in PUC); PUC's bound of
-- 32767 labels/gotos per function keeps it bounded, with lua5.2's message.
local parts = {}
for i = 1, 40000 do parts[i] = "goto a" .. i .. " " end
local f, e = load(table.concat(parts))
print(e)
