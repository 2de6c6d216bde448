-- tostring and type for every kind of value (addresses masked)
local function mask(s) return (s:gsub("0x%x+", "ADDR"):gsub(": %x+$", ": ADDR")) end
print(tostring(nil), tostring(true), tostring(false), tostring(12), tostring(-1.5), tostring("s"))
print(mask(tostring({})), mask(tostring(print)), mask(tostring(function() end)), mask(tostring(coroutine.create(print))))
print(mask(tostring(io.stdout)))
print(type(nil), type(true), type(1), type("s"), type({}), type(print), type(coroutine.create(print)), type(io.stdout))
print(type(type), type(type(1)))
