-- expect: heap
-- Issue 9 item 6: load reserves what compiling its source takes before it starts.
local src = string.rep("x = 1 ", 2000000)
local f = load(src)
print(f)
