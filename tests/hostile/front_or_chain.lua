-- expect: ok: control structure too long
-- args: --sandbox --max-reductions 1000000
-- `x or 1 or 1 ...` appends one jump per operator to one list: appending walked the
-- whole list (quadratic: hours for a few MB of source, an unkillable hang of the node).
-- Now linear; 300,000 operators end with PUC's jump-range error, as lua5.2 does.
local f, e = load("return f" .. string.rep(" or 1", 3e5))
print(e)
