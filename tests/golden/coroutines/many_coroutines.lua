-- many coroutines alive at once, round-robin scheduling, deep recursion inside a coroutine
local tasks = {}
local log = {}
for id = 1, 100 do
  tasks[id] = coroutine.create(function()
    for step = 1, 3 do log[#log + 1] = id * 10 + step coroutine.yield() end
  end)
end
local alive = #tasks
while alive > 0 do
  alive = 0
  for _, t in ipairs(tasks) do
    if coroutine.status(t) ~= "dead" then coroutine.resume(t) alive = alive + 1 end
  end
end
print(#log, log[1], log[2], log[100], log[101], log[300])
local deep = coroutine.create(function()
  local function r(n) if n == 0 then return coroutine.yield("bottom") end return r(n - 1) + 0 end
  return r(5000)
end)
print(coroutine.resume(deep))
print(coroutine.resume(deep, 7))
local co = coroutine.create(function() local function inf() return 1 + inf() end return inf() end)
local ok, err = coroutine.resume(co)
print(ok, err:find("stack overflow", 1, true) ~= nil)
