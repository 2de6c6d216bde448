-- expect: ok: done
-- Found by the hostile fuzz target: collectgarbage's sizes are the program's numbers,
-- and the step credit overflowed (a panic in debug builds).
collectgarbage("setstepmul", 2^62)
collectgarbage("setpause", 2^62)
for _, n in ipairs{2^53, 2^62, 2^63, -2^63, 1e300, 0} do
  collectgarbage("step", n)
end
collectgarbage()
print("done")
