-- expect: reductions
-- Issue 9 item 7: gsub is metered.
print(string.gsub(string.rep("a", 28), string.rep("a?", 28) .. string.rep("a", 28), "x"))
