local t = {}
t["a" .. "b"] = 1
t["a" .. "b"] = nil
collectgarbage()
