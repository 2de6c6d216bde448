-- expect: ok: error in __gc metamethod (no message) true
-- Issue 9 item 12: during a collection, a failing finalizer raises lua5.2's error where
-- the collection happened; the other finalizers run at the next one.
local ran = 0
setmetatable({}, {__gc = function() ran = ran + 1 end})
setmetatable({}, {__gc = function() error({}) end})
local ok, e = pcall(collectgarbage)
collectgarbage()
print(e .. " " .. tostring(ran == 1))
