-- expect: reductions
-- Issue 9 item 7: gmatch and gsub are metered as find and match are.
for m in string.gmatch(string.rep("a", 28), string.rep("a?", 28) .. string.rep("a", 28)) do print(m) end
