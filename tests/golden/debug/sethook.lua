-- debug.sethook with a line hook and a call hook, then gethook; counts only
local lines = {}
local function hook(ev, line) lines[#lines + 1] = line end
debug.sethook(hook, "l")
local a = 1
local b = 2
debug.sethook()
print(#lines, lines[1], lines[2], lines[3])
print(debug.gethook())
local calls = 0
debug.sethook(function(ev) if ev == "call" then calls = calls + 1 end end, "c")
local function noop() end
noop() noop() noop()
debug.sethook()
print(calls >= 3)
