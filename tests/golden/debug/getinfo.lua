-- debug.getinfo fields: currentline, short_src, source, what, linedefined, lastlinedefined, nups, nparams, isvararg, name
local function f(a, b, ...)
  local info = debug.getinfo(1, "nSlu")
  return info
end
local i = f()
print(i.currentline, i.short_src, i.source, i.what, i.linedefined, i.lastlinedefined)
print(i.nups, i.nparams, i.isvararg, i.name, i.namewhat)
local m = debug.getinfo(1, "Sl")
print(m.what, m.linedefined, m.currentline, m.short_src)
local c = debug.getinfo(print)
print(c.what, c.short_src, c.source, c.currentline, c.linedefined, c.nups, c.isvararg, c.nparams)
local up1, up2 = 1, 2
local function g() return up1 + up2 end
local gi = debug.getinfo(g, "u")
print(gi.nups, gi.nparams, gi.isvararg)
print(debug.getinfo(100))
print(type(debug.getinfo(1, "f").func), debug.getinfo(f, "L").activelines[2], debug.getinfo(f, "L").activelines[3])
local t = {} function t.method() return debug.getinfo(1, "n") end
local mi = t.method()
print(mi.name, mi.namewhat)
local li = load("return debug.getinfo(1, 'S')", "=loaded")()
print(li.source, li.short_src, li.what)
