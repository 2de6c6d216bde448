-- expect: reductions
-- Issue 9 item 7: the limit is uncatchable inside a long match too.
print(pcall(string.match, string.rep("a", 30), string.rep("a?", 30) .. string.rep("a", 30)))
print("not reached")
