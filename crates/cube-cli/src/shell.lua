-- The interactive shell's loop, run as the node's first process (crates/cube-cli/src/shell.rs).
-- The terminal belongs to a thread outside the node: it shows a prompt when this process
-- says `reply("prompt", ...)`, and sends each line typed as a message {tag, "line", text};
-- also {tag, "complete", text} (tab completion), {tag, "interrupt"} (Ctrl-C at the prompt)
-- and {tag, "eof"}. Everything the loop uses is taken before any user code runs, so a
-- program that assigns `print` or `load` does not break the shell.
local reply, tag, first = ...
local load, xpcall, select, type, tostring, pairs, next, getmetatable, rawget, pcall =
  load, xpcall, select, type, tostring, pairs, next, getmetatable, rawget, pcall
local traceback, concat, sort, pack, unpack = debug.traceback, table.concat, table.sort,
  table.pack, table.unpack
local receive, process_list, process_info, process_i = process.receive, process.list,
  process.info, process.i
local stderr, stdout, print, string_lib, G = io.stderr, io.stdout, print, string, _G

if first then first(select(4, ...)) end

-- lua.c's message handler: a traceback for strings and numbers (without the shell's own
-- frames), `__tostring` for others. `process.exit(reason)` raises a userdata without a
-- metatable: it is kept as it is, for the loop to raise again.
local function handler(e)
  if type(e) == "string" or type(e) == "number" then
    local t = traceback(tostring(e), 2)
    local cut = t:find("\n\t%[C%]: in function 'xpcall'")
    return cut and t:sub(1, cut) .. "\t[C]: in ?" or t
  end
  if type(e) == "userdata" and getmetatable(e) == nil then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  if e == nil then return nil end
  return "(no error message)"
end

-- A value as a line of text: tables one level deep, for flush() and the like.
local function show(v)
  if type(v) ~= "table" then return tostring(v) end
  local parts, n = {}, 0
  for k, x in pairs(v) do
    n = n + 1
    if n > 20 then parts[#parts + 1] = "..."; break end
    parts[#parts + 1] = (type(k) == "string" and k or "[" .. tostring(k) .. "]") .. " = "
      .. (type(x) == "string" and ("%q"):format(x) or tostring(x))
  end
  return "{" .. concat(parts, ", ") .. "}"
end

-- The Erlang shell's helpers.
function G.flush()
  while true do
    local m = receive(0)
    if m == nil then return end
    print("Shell got " .. show(m))
  end
end
function G.regs()
  local rows = {}
  for _, pid in pairs(process_list()) do
    local info = process_info(pid)
    if info and info.registered_name then
      rows[#rows + 1] = ("%-24s %-12s %8d %10d"):format(info.registered_name, tostring(pid),
        info.message_queue_len, info.reductions)
    end
  end
  sort(rows)
  print(("%-24s %-12s %8s %10s"):format("Name", "Pid", "Msgs", "Reds"))
  for _, r in pairs(rows) do print(r) end
end
function G.i() process_i() end
function G.help()
  print([[
Lua 5.2 on a cube node: this prompt is a process (process.self()), and can spawn,
send and receive like any other.
  = expr / expr   print the values of an expression
  flush()         print and drop the messages waiting for the shell
  regs()          registered processes
  i()             every process: status, messages, heap, reductions, links
  help()          this text
Ctrl-C clears the line; Ctrl-D (or Ctrl-C twice on an empty line) leaves.]])
end

-- Names for tab completion: the fields of the table that the text before the cursor
-- names (`string.fo` -> string's fields starting with "fo"; `s:up` -> methods).
local function completions(text)
  local chain, sep, partial = text:match("([%w_%.:]-)([%.:]?)([%w_]*)$")
  local t = G
  if sep ~= "" then
    for name in chain:gmatch("[^%.:]+") do
      local ok, v = pcall(function() return t[name] end)
      if not ok then return {} end
      t = v
    end
    if sep == ":" then
      local mt = getmetatable(t)
      t = type(mt) == "table" and rawget(mt, "__index") or (type(t) == "string" and string_lib)
    end
  end
  local found = {}
  if type(t) ~= "table" then return found end
  local seen = 0
  for k in next, t do
    if type(k) == "string" and k:sub(1, #partial) == partial and k:match("^[%a_][%w_]*$") then
      found[#found + 1] = k
      seen = seen + 1
      if seen >= 500 then break end
    end
  end
  sort(found)
  return found
end

local function is_ours(m)
  return type(m) == "table" and m[1] == tag
end

local pending

-- One prompt and what is typed at it. An interrupt (Ctrl-C while a command runs) is an
-- error "interrupted!" raised where the command stands: the command's xpcall reports
-- it; one that lands in the loop itself just starts a fresh prompt.
local function round()
  stdout:flush()
  reply("prompt", pending and ">> " or "> ")
  -- Completions are asked while the prompt is up: answer them and wait on.
  local m = receive(is_ours)
  while m[2] == "complete" do
    reply("completions", completions(m[3]))
    m = receive(is_ours)
  end
  local kind, text = m[2], m[3]
  if kind == "eof" then
    return true
  elseif kind == "interrupt" then
    pending = nil
  elseif kind == "line" then
    local src = pending and (pending .. "\n" .. text) or text
    local expr = src:match("^=(.*)$") or src
    local f, err = load("return " .. expr, "=stdin")
    if not f then f, err = load(src, "=stdin") end
    if not f then
      if err:sub(-5) == "<eof>" then
        pending = src
      else
        pending = nil
        stderr:write(err, "\n")
      end
    else
      pending = nil
      local r = pack(xpcall(f, handler))
      stdout:flush()
      if not r[1] then
        local e = r[2]
        -- process.exit at the prompt ends the shell, with that reason.
        if type(e) == "userdata" and getmetatable(e) == nil then error(e, 0) end
        if e ~= nil then stderr:write(tostring(e), "\n") end
      elseif r.n > 1 then
        local ok, e = xpcall(print, handler, unpack(r, 2, r.n))
        if not ok and e ~= nil then stderr:write(tostring(e), "\n") end
      end
    end
  end
end

while true do
  local ok, done = pcall(round)
  if ok then
    if done then return end
  else
    if type(done) == "userdata" and getmetatable(done) == nil then error(done, 0) end
    pending = nil
  end
end
