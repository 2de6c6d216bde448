-- expect: reductions
-- A loop with no call in it is charged at its backward jump.
while true do end
