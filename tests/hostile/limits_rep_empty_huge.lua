-- expect: ok: 0 0
-- Issue 9 item 7: rep of an empty string with a huge count builds nothing, at once.
print(#string.rep("", 2^62) .. " " .. #string.rep("", 2^53, ""))
