-- expect: ok: done
-- Issue 9 item 5: with the collector stopped, garbage is still collected when the heap
-- reaches its limit (an emergency collection), so a program that keeps little goes on.
collectgarbage("stop")
for i = 1, 1000 do
  local s = string.rep("y", 20000) .. i
end
print(collectgarbage("isrunning") == false and "done")
