-- debug hooks: call/return/tail call/line/count events, gethook, per-coroutine hooks, getinfo/getlocal in hooks, errors and yields in hooks, sethook() to clear
local ev = {}
local function rec(e, l)
  local info = debug.getinfo(2, "Sln")
  ev[#ev + 1] = string.format("%s %s %s:%s %s %s", e, tostring(l), info.short_src,
    tostring(info.currentline), info.what, tostring(info.name))
end
local function dump(title)
  print("-- " .. title)
  for i = 1, #ev do print(ev[i]) end
  ev = {}
end

local function add(a, b)
  return a + b
end
local function tail(x)
  return add(x, 1)
end

-- call, return and tail call events, with line events
debug.sethook(rec, "crl")
local x = add(1, 2)
x = tail(x)
debug.sethook()
dump("crl")
print(x)

-- call and return only, natives included
debug.sethook(rec, "cr")
local s = string.rep("a", 3)
local t = {}
table.insert(t, s)
debug.sethook()
dump("cr")

-- line events: loops fire on every iteration, even on one line
debug.sethook(rec, "l")
for i = 1, 3 do x = x + i end
local i = 0
while i < 2 do
  i = i + 1
end
repeat i = i - 1 until i == 0
debug.sethook()
dump("l")

-- count events
local n = 0
debug.sethook(function(e) n = n + 1; ev[#ev + 1] = e end, "", 7)
for j = 1, 10 do x = x + j end
debug.sethook()
print("count events", n, ev[1])
ev = {}

-- count and line together (a native hook runs no instruction of its own)
debug.sethook(print, "l", 3)
x = 1
x = 2
x = 3
x = 4
debug.sethook()
-- a Lua hook's own instructions count too, but call nothing
local order = {}
debug.sethook(function(e, l) order[#order + 1] = e .. ":" .. tostring(l) end, "l", 2)
x = 1
x = 2
x = 3
debug.sethook()
print(table.concat(order, " "))

-- gethook
local function h1() end
debug.sethook(h1, "lrc", 5)
local f, m, c = debug.gethook()
debug.sethook()
print(f == h1, m, c)
print(debug.gethook())
debug.sethook(h1, "", 0)
f, m, c = debug.gethook()
debug.sethook()
print(f == h1, m, c)
debug.sethook(h1, "x", -3)
f, m, c = debug.gethook()
debug.sethook()
print(f == h1, m, c)

-- getinfo and getlocal inside hooks
local seen = {}
local function probe(e, l)
  local info = debug.getinfo(2, "nSlf")
  if info.func == add or info.func == tail then
    local locs = {}
    local k = 1
    while true do
      local name, val = debug.getlocal(2, k)
      if not name then break end
      if name:sub(1, 1) ~= "(" then locs[#locs + 1] = name .. "=" .. tostring(val) end
      k = k + 1
    end
    local me = debug.getinfo(1, "S")
    seen[#seen + 1] = string.format("%s line=%s cur=%d %s [%s] hook:%s", e, tostring(l),
      info.currentline, tostring(info.name), table.concat(locs, ","), me.what)
  end
end
debug.sethook(probe, "crl")
tail(10)
debug.sethook()
for _, v in ipairs(seen) do print(v) end

-- setlocal from a line hook
local function victim()
  local v = 1
  v = v + 1
  return v
end
debug.sethook(function(e, l)
  local name = debug.getlocal(2, 1)
  if name == "v" and debug.getinfo(2, "f").func == victim then
    debug.setlocal(2, 1, 100)
  end
end, "l")
local r = victim()
debug.sethook()
print("setlocal in hook", r)

-- hooks are off inside a hook
local inner = 0
debug.sethook(function(e)
  inner = inner + 1
  local function deep() return 1 end
  deep(); deep()
end, "c")
add(1, 1)
debug.sethook()
print("calls seen", inner)

-- an error in a hook propagates from the instruction
debug.sethook(function(e, l)
  if l == 3 then error("hook failed at line " .. l) end
end, "l")
local ok, err = pcall(load("local a = 1\nlocal b = 2\nlocal c = 3\nreturn a"))
debug.sethook()
print(ok, err)
print(debug.gethook())
-- hooks work again after the error
debug.sethook(rec, "l")
x = 1
debug.sethook()
dump("after error")

-- an error in a call hook (set inside the pcall: the hook would fire for pcall too)
local fired = false
ok, err = pcall(function()
  debug.sethook(function(e)
    if not fired then fired = true; error({code = e}) end
  end, "c")
  return add(1, 2)
end)
debug.sethook()
print(ok, type(err), err.code)
-- and in a return hook
ok, err = pcall(function()
  fired = false
  debug.sethook(function(e)
    if not fired then fired = true; error("ret " .. e, 0) end
  end, "r")
  return add(1, 2)
end)
debug.sethook()
print(ok, err)

-- per-coroutine hooks
local co = coroutine.create(function(a)
  local b = a + 1
  coroutine.yield(b)
  return b * 2
end)
local colines = {}
debug.sethook(co, function(e, l) colines[#colines + 1] = e .. ":" .. tostring(l) end, "crl")
print(debug.gethook() == nil, debug.gethook(co) ~= nil)
print(coroutine.resume(co, 1))
print(coroutine.resume(co))
print(table.concat(colines, " "))

-- a coroutine created under a hook inherits the mask and count, not the function
debug.sethook(h1, "l", 3)
local co2 = coroutine.create(function() return debug.gethook() end)
local okc, hf, hm, hc = coroutine.resume(co2)
debug.sethook()
print(okc, hf, hm, hc)

-- the main thread's hook does not fire in another coroutine
local mainev = 0
local co3 = coroutine.wrap(function() local z = 1; z = z + 1; return z end)
debug.sethook(function() mainev = mainev + 1 end, "l")
local z = co3()
debug.sethook()
print("main line events", mainev, z)

-- a hook may not yield
local co4 = coroutine.create(function()
  debug.sethook(function() coroutine.yield(1) end, "l")
  local q = 1
  return q
end)
print(coroutine.resume(co4))
print(coroutine.status(co4))

-- sethook with a thread and no hook clears that thread's hook
local co5 = coroutine.create(function() end)
debug.sethook(co5, h1, "c")
print(debug.gethook(co5) == h1)
debug.sethook(co5)
print(debug.gethook(co5))

-- return hook sees the returning function; tail calls report one return
local rets = {}
local function leaf() return "leaf" end
local function mid() return leaf() end
debug.sethook(function(e)
  local info = debug.getinfo(2, "f")
  if info.func == leaf then rets[#rets + 1] = e .. " leaf"
  elseif info.func == mid then rets[#rets + 1] = e .. " mid" end
end, "cr")
local lv = mid()
debug.sethook()
print(lv, table.concat(rets, ", "))

-- in a "tail call" hook the replaced caller is still on the stack (level 3)
local tl = {}
debug.sethook(function(e)
  if e == "tail call" then
    for lv = 2, 4 do
      local i = debug.getinfo(lv, "nSt")
      tl[#tl + 1] = lv .. "=" .. i.what .. ":" .. tostring(i.name) .. ":" .. tostring(i.istailcall)
    end
  end
end, "c")
tail(1)
debug.sethook()
print(table.concat(tl, " "))

-- metamethods called by instructions fire call and return events
local mt = {__index = function(t, k) return k .. "!" end}
local obj = setmetatable({}, mt)
local mev = {}
debug.sethook(function(e)
  local info = debug.getinfo(2, "f")
  if info.func == mt.__index then mev[#mev + 1] = e end
end, "cr")
local got = obj.key
debug.sethook()
print(got, table.concat(mev, " "))
-- no hook is called inside a finalizer
local gcev = {}
do
  local g = setmetatable({}, {__gc = function() local q = 1; q = q + 1; gcev[#gcev + 1] = "gc" end})
  g = nil
end
debug.sethook(function(e)
  local info = debug.getinfo(2, "nS")
  gcev[#gcev + 1] = e .. " " .. info.what .. " " .. tostring(info.name)
end, "crl")
collectgarbage()
debug.sethook()
print(table.concat(gcev, ", "))
print("done")

-- print calls the global tostring for each argument (PUC: through lua_call), and a
-- call/return hook sees each of those calls
do
  local names = {}
  debug.sethook(function(e)
    local info = debug.getinfo(2, "nS")
    names[#names + 1] = e .. " " .. tostring(info.name) .. " " .. info.what
  end, "cr")
  print(1, "two", nil)
  debug.sethook()
  for i = 1, #names do print(names[i]) end
end
