-- coroutines as iterators over trees (in-order) and as a cooperative tokenizer
local function node(v, l, r) return {v = v, l = l, r = r} end
local tree = node(4, node(2, node(1), node(3)), node(6, node(5), node(7)))
local function walk(n) if n then walk(n.l) coroutine.yield(n.v) walk(n.r) end end
local out = {}
for v in coroutine.wrap(function() walk(tree) end) do out[#out + 1] = v end
print(table.concat(out, " "))
local function tokens(s)
  return coroutine.wrap(function()
    for num, word in s:gmatch("(%d*)(%a*)") do
      if num ~= "" then coroutine.yield("num", tonumber(num)) end
      if word ~= "" then coroutine.yield("word", word) end
    end
  end)
end
for kind, val in tokens("abc12de3") do io.write(kind, ":", val, " ") end print()
local co = coroutine.create(function(...)
  local args = {...}
  while true do
    local cmd = coroutine.yield(#args)
    if cmd == "stop" then return "stopped", #args end
    args[#args + 1] = cmd
  end
end)
print(coroutine.resume(co, "a", "b"))
print(coroutine.resume(co, "c"))
print(coroutine.resume(co, "stop"))
print(coroutine.status(co))
