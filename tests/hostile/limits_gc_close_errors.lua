-- expect: ok: close 1
-- Issue 9 item 12: at exit every finalizer runs even when some fail (lua5.2 ignores
-- their errors at lua_close).
for i = 1, 3 do
  setmetatable({}, {__gc = function() print("close " .. i); error("fail " .. i) end})
end
