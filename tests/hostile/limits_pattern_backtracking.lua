-- expect: reductions
-- Issue 9 item 7: an exponential backtracking match is charged step by step and ends at
-- the reduction limit instead of running for years.
print(string.find(string.rep("a", 32), string.rep("a?", 32) .. string.rep("a", 32)))
