-- The dashboard's hub (`dashboard/mod.rs` spawns it): an `http.server` and the process
-- that owns the page's state. Connections are processes of their own (the http
-- library's); they ask the hub for the state, and a WebSocket's process subscribes to
-- the hub's updates. The hub gets samples from the Rust sampler thread every second
-- (`sampler.rs`: schedulers' load, memory, programs' CPU/memory and log tails), reads
-- the node's processes as `process.i()` does, the programs' states through the
-- `programs` library (whose events make it push at once), and broadcasts the whole
-- state as one JSON text.
local listen, token, mode, show_token, html, js, css = ...
local hub = process.self()

-- How many samples the sparklines keep, and how many processes are listed.
local KEEP, MAX_PROCS = 60, 500

---------------------------------------------------------------------------------------
-- JSON (the page's only format). A table with t[1] (or marked as a list) is an array.
---------------------------------------------------------------------------------------
local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function quote(s)
  s = string.gsub(s, '[%c"\\]', function(c)
    return ESC[c] or string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

local function encode(v, out)
  local t = type(v)
  if t == "string" then
    out[#out + 1] = quote(v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif v == math.floor(v) and math.abs(v) < 2 ^ 53 then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = string.format("%.14g", v)
    end
  elseif t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif t == "table" then
    if v[1] ~= nil or next(v) == nil then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local first = true
      for k, x in pairs(v) do
        if type(k) == "string" then
          if not first then out[#out + 1] = "," end
          first = false
          out[#out + 1] = quote(k)
          out[#out + 1] = ":"
          encode(x, out)
        end
      end
      out[#out + 1] = "}"
    end
  else
    out[#out + 1] = (v == nil) and "null" or quote(tostring(v))
  end
end

local function to_json(v)
  local out = {}
  encode(v, out)
  return table.concat(out)
end

---------------------------------------------------------------------------------------
-- Access: with a token, every request must carry it: `?token=`, `Authorization: Bearer
-- TOKEN`, or basic auth with the token as the password (what a browser's prompt sends,
-- also on its WebSocket). Without one (a loopback address), everything is open.
---------------------------------------------------------------------------------------
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64decode(s)
  if #s > 1024 or #s % 4 ~= 0 or not string.match(s, "^[%w+/]*=?=?$") then return nil end
  local out, bits, n = {}, 0, 0
  for i = 1, #s do
    local c = string.sub(s, i, i)
    if c == "=" then break end
    bits = bits * 64 + (string.find(B64, c, 1, true) - 1)
    n = n + 6
    if n >= 8 then
      n = n - 8
      local b = math.floor(bits / 2 ^ n)
      out[#out + 1] = string.char(b)
      bits = bits - b * 2 ^ n
    end
  end
  return table.concat(out)
end

local function authorized(req)
  if not token then return true end
  if req.query.token == token then return true end
  local h = req.headers.authorization
  if type(h) ~= "string" then return false end
  if string.match(h, "^[Bb]earer +(%S+)$") == token then return true end
  local basic = string.match(h, "^[Bb]asic +(%S+)$")
  local pair = basic and b64decode(basic)
  return pair ~= nil and string.match(pair, "^[^:]*:(.*)$") == token
end

local function text(status, body, headers)
  headers = headers or {}
  headers["Content-Type"] = "text/plain; charset=utf-8"
  headers["Cache-Control"] = "no-store"
  return { status = status, headers = headers, body = body .. "\n" }
end

local function guard(self, req)
  if not authorized(req) then
    return text(401, "401 unauthorized: this dashboard needs its token (?token=TOKEN, "
      .. "Authorization: Bearer TOKEN, or basic auth with the token as the password)",
      { ["WWW-Authenticate"] = 'Basic realm="cube dashboard", charset="UTF-8"' })
  end
end

local function reply_json(status, v)
  return { status = status, body = to_json(v),
           headers = { ["Content-Type"] = "application/json", ["Cache-Control"] = "no-store" } }
end

-- The page names its script and style with the token it was given in its URL (a
-- browser sends basic auth by itself, a query token only where it is written).
local function asset(body, ctype)
  return { prepare = guard, get = function(self, req)
    local q = (token and req.query.token == token) and ("?token=" .. token) or ""
    return { headers = { ["Content-Type"] = ctype, ["Cache-Control"] = "no-store",
                         ["X-Content-Type-Options"] = "nosniff",
                         ["Content-Security-Policy"] = "default-src 'self'; connect-src 'self' ws: wss:" },
             body = (string.gsub(body, "{{q}}", q)) }
  end }
end

-- An action on the supervisor, run by the request's own process (a stop may take the
-- program's stop_timeout; the hub keeps serving meanwhile).
local ACTIONS = { start = true, stop = true, restart = true, signal = true }
local function act(self, req)
  local progs = rawget(_G, "programs")
  if not progs then
    return reply_json(404, { ok = false, error = "no program supervisor runs on this node" })
  end
  local id, action = req.params.id, req.params.action
  if not ACTIONS[action] then
    return reply_json(404, { ok = false, error = "unknown action '" .. action .. "'" })
  end
  if #id == 0 or #id > 200 then
    return reply_json(400, { ok = false, error = "bad program name" })
  end
  local ok, r, err
  if action == "signal" then
    local sig = req.query.signal
    if type(sig) ~= "string" or not string.match(sig, "^%w+$") or #sig > 16 then
      return reply_json(400, { ok = false, error = "signal needs ?signal=NAME (HUP, USR1, ...)" })
    end
    ok, r, err = pcall(progs.signal, id, sig)
  else
    ok, r, err = pcall(progs[action], id)
  end
  if not ok then
    return reply_json(400, { ok = false, error = tostring(r) })
  end
  if r == nil then
    return reply_json(400, { ok = false, error = tostring(err) })
  end
  process.send(hub, { tag = "dash_nudge" })
  return reply_json(200, { ok = true, result = r })
end

---------------------------------------------------------------------------------------
-- The server. Handlers run in the connections' processes: what they use travels as
-- upvalues (strings, the hub's pid, the functions above).
---------------------------------------------------------------------------------------
local srv = http.server{
  listen = listen,
  max_body_bytes = 4096,
  max_message_bytes = 4096,
  ping_interval = 20,
  routes = {
    ["/"] = asset(html, "text/html; charset=utf-8"),
    ["/app.js"] = asset(js, "text/javascript; charset=utf-8"),
    ["/app.css"] = asset(css, "text/css; charset=utf-8"),
    ["/api/state"] = { prepare = guard, get = function()
      process.send(hub, { tag = "dash_get", from = process.self() })
      local m = process.receive(function(m)
        return type(m) == "table" and m.tag == "dash_state"
      end, 5000)
      if not m then return text(503, "the dashboard is busy") end
      return { body = m.json, headers = { ["Content-Type"] = "application/json",
                                          ["Cache-Control"] = "no-store" } }
    end },
    ["/api/programs/:id/:action"] = { prepare = guard, post = act },
    ["/ws"] = { prepare = guard, websocket = function(ws)
      process.send(hub, { tag = "dash_sub", pid = process.self() })
      while true do
        local m = process.receive()
        if type(m) == "table" then
          if m.tag == "dash_update" then
            -- A slow reader (ws:send waits for it, up to the idle timeout) skips to
            -- the newest state instead of queueing every one it missed.
            local newer = m
            while newer do
              m = newer
              newer = process.receive(function(x)
                return type(x) == "table" and x.tag == "dash_update"
              end, 0)
            end
            ws:send(m.json)
          elseif m.websocket and m.type == "close" then
            return
          end
        end
      end
    end },
  },
  handler = function(req)
    local denied = guard(nil, req)
    return denied or text(404, "not found")
  end,
}

---------------------------------------------------------------------------------------
-- The hub's state and loop.
---------------------------------------------------------------------------------------
local S = { mode = mode, programs = {}, node = { sched = {}, rss = {}, heap = {}, processes = {} } }
local hist = {}   -- program id -> {cpu = {...}, rss = {...}}
local logs = {}   -- program id -> {lines = {...}} or {error = "..."}
local subs = {}   -- tostring(pid) -> pid of a WebSocket's process
local prev_reds = {}

local function push(list, v)
  list[#list + 1] = v
  if #list > KEEP then table.remove(list, 1) end
end

local function refresh_programs()
  local progs = rawget(_G, "programs")
  if not progs then return end
  local ok, list = pcall(progs.status)
  if not ok or type(list) ~= "table" then return end
  for _, p in ipairs(list) do
    local h = hist[p.id] or { cpu = {}, rss = {} }
    p.cpu, p.rss = h.cpu, h.rss
    local l = logs[p.id]
    if l then p.log, p.log_error = l.lines, l.error end
  end
  S.programs = list
end

-- The node's processes, as process.i() shows them (at most MAX_PROCS of them).
local function sample_processes()
  local pids = process.list()
  local list, heap, reds = {}, 0, {}
  for _, pid in ipairs(pids) do
    if #list >= MAX_PROCS then break end
    local inf = process.info(pid)
    if inf then
      local key = tostring(pid)
      local links = {}
      for i, l in ipairs(inf.links or {}) do links[i] = tostring(l) end
      heap = heap + inf.heap_size
      reds[key] = inf.reductions
      list[#list + 1] = { pid = key, name = inf.registered_name or "", status = inf.status,
        msgs = inf.message_queue_len, heap = inf.heap_size, reductions = inf.reductions,
        rate = inf.reductions - (prev_reds[key] or inf.reductions),
        links = links, monitors = inf.monitors }
    end
  end
  prev_reds = reds
  S.node.processes = list
  S.node.total = #pids
  push(S.node.heap, heap)
end

local function apply_sample(m)
  S.time = m.t
  for i, load in ipairs(m.sched or {}) do
    S.node.sched[i] = S.node.sched[i] or {}
    push(S.node.sched[i], load)
  end
  if m.rss then push(S.node.rss, m.rss) end
  for _, s in ipairs(m.stats or {}) do
    local h = hist[s.id] or { cpu = {}, rss = {} }
    hist[s.id] = h
    push(h.cpu, s.cpu or 0)
    push(h.rss, s.rss or 0)
  end
  for _, l in ipairs(m.logs or {}) do
    logs[l.id] = { lines = l.lines or {}, error = l.error }
  end
end

local function broadcast()
  local body = to_json(S)
  for _, pid in pairs(subs) do
    process.send(pid, { tag = "dash_update", json = body })
  end
end

local progs = rawget(_G, "programs")
if progs then
  progs.subscribe()
end
refresh_programs()
sample_processes()
-- Ready: the sampler thread finds the hub by this name.
process.register("cube_dashboard", hub)
local where = "http://" .. srv:address() .. "/"
if token and show_token then
  where = where .. "?token=" .. token .. " (generated token)"
elseif token then
  where = where .. " (token required)"
end
io.stderr:write("cube-cli: dashboard at " .. where .. "\n")
io.stderr:flush()

while true do
  local m = process.receive()
  if type(m) == "table" then
    if m.tag == "dash_sample" then
      apply_sample(m)
      sample_processes()
      refresh_programs()
      broadcast()
    elseif m.tag == "program_event" or m.tag == "dash_nudge" then
      -- A burst of events (a crash loop) becomes one update.
      while process.receive(function(x)
        return type(x) == "table" and (x.tag == "program_event" or x.tag == "dash_nudge")
      end, 0) do end
      refresh_programs()
      broadcast()
    elseif m.tag == "dash_sub" then
      subs[tostring(m.pid)] = m.pid
      process.monitor(m.pid)
      process.send(m.pid, { tag = "dash_update", json = to_json(S) })
    elseif m.tag == "DOWN" then
      subs[tostring(m.pid)] = nil
    elseif m.tag == "dash_get" then
      process.send(m.from, { tag = "dash_state", json = to_json(S) })
    end
  end
end
