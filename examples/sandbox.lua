-- Running untrusted scripts safely: each one runs in its own process with a heap
-- limit and a reduction limit, in an environment that only offers what we choose,
-- and the caller learns how it ended through a monitor.
-- usage: cube-cli run examples/sandbox.lua
local untrusted = {
  ok = "local s = 0 for i = 1, 100 do s = s + i end return s",
  loop = "while true do end",
  hog = "local t = {} for i = 1, 1e8 do t[i] = i end",
  escape = "return os.execute('echo hacked')",
  broken = "return 1 +",
}

local function run_untrusted(name, source)
  local pid = process.spawn_opt({max_heap = 4 * 1024 * 1024, max_reductions = 1000000},
    function(parent, name, source)
      -- Only these globals are visible to the script.
      local env = {print = print, string = string, table = table, math = math, pairs = pairs}
      local chunk, err = load(source, "=" .. name, "t", env)
      if not chunk then
        process.send(parent, {name = name, result = "syntax error: " .. err})
        return
      end
      local ok, result = pcall(chunk)
      process.send(parent, {name = name, result = ok and ("returned " .. tostring(result))
                                                  or ("error: " .. tostring(result))})
    end, process.self(), name, source)
  local ref = process.monitor(pid)
  local function is_down(m) return m.tag == "DOWN" and m.ref == ref end
  -- Either the script reports, then ends; or it is killed and only the DOWN comes.
  local first = process.receive(function(m) return m.name == name or is_down(m) end, 10000)
  if is_down(first) then return "killed: " .. first.reason end
  process.receive(is_down, 10000)
  return first.result
end

local names = {}
for name in pairs(untrusted) do names[#names + 1] = name end
table.sort(names)
for _, name in ipairs(names) do
  print(("%-7s %s"):format(name, run_untrusted(name, untrusted[name])))
end
