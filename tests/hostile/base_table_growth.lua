-- expect: heap
-- An ever-growing table ends at the heap limit, not in the kernel's OOM killer.
local t = {}
local i = 0
while true do
  i = i + 1
  t[i] = {i}
end
