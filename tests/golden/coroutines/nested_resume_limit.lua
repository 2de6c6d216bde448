-- resuming coroutines nested too deeply fails with "C stack overflow" (LUAI_MAXCCALLS)
local depth = 0
local function f()
  depth = depth + 1
  local c = coroutine.create(f)
  local a, b = coroutine.resume(c)
  return b
end
print(f())
print(depth)
-- through coroutine.wrap the error is raised, with position prefixes on the way out
local function g() local w = coroutine.wrap(g); return w() end
local ok, msg = pcall(g)
print(ok, (msg:gsub("^.*: ", "")), select(2, msg:gsub("nested_resume_limit.lua:12: ", "")) > 50)
-- afterwards coroutines work normally again
local co = coroutine.create(function(a) return a * 2 end)
print(coroutine.resume(co, 21))
