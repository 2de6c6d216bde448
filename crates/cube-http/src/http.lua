-- The public side of the `http` library, on the natives of cube-http (`M._c`). It
-- runs once per process that uses the library, filling that process's module table.
--
-- Functions that run in other processes (the acceptor, each connection's process) are
-- carried there by process.spawn: their upvalues are copied as messages, and only
-- functions may ride along as functions. So they reach the natives through the
-- global `http` (found again in each process), and a route table's handler functions
-- are turned into a chain of closures (`lookup`) whose upvalues are strings and
-- functions only.
local M = ...
local c = M._c

-- Raises "bad argument" at the user's call: `depth` is how many of our functions lie
-- between argerr and that call (1: called from the library function itself).
local function argerr(n, fname, msg, depth)
  error("bad argument #" .. n .. " to '" .. fname .. "' (" .. msg .. ")", 2 + (depth or 1))
end

-- A function k -> fn over parallel lists of keys and functions.
local function lookup(keys, fns, i)
  if i > #keys then
    return function() return nil end
  end
  local key, fn, rest = keys[i], fns[i], lookup(keys, fns, i + 1)
  return function(k)
    if k == key then return fn end
    return rest(k)
  end
end

local METHODS = { get = true, post = true, put = true, delete = true, patch = true,
                  head = true, options = true }

-- "/users/:id/*rest" -> list of segments; ":name" binds one segment, "*name" the rest.
local function compile_pattern(p)
  local segs = {}
  for s in string.gmatch(p, "[^/]+") do segs[#segs + 1] = s end
  return segs
end

local function match(segs, path)
  local parts = {}
  for s in string.gmatch(path, "[^/]+") do parts[#parts + 1] = s end
  local params = {}
  for i, s in ipairs(segs) do
    local first = string.sub(s, 1, 1)
    if first == "*" then
      params[string.sub(s, 2)] = table.concat(parts, "/", i)
      return params
    end
    local part = parts[i]
    if part == nil then return nil end
    if first == ":" then
      params[string.sub(s, 2)] = part
    elseif s ~= part then
      return nil
    end
  end
  if #parts ~= #segs then return nil end
  return params
end

-- Checks a server's options; returns the route list (data only), the handler lookup
-- and the limits.
local function compile(opts)
  local keys, fns, routes = {}, {}, {}
  if opts.handler ~= nil and type(opts.handler) ~= "function" then
    argerr(1, "server", "'handler' must be a function, got " .. type(opts.handler), 2)
  end
  if opts.handler then
    keys[#keys + 1], fns[#fns + 1] = "handler", opts.handler
  end
  if opts.routes ~= nil then
    if type(opts.routes) ~= "table" then
      argerr(1, "server", "'routes' must be a table, got " .. type(opts.routes), 2)
    end
    local patterns = {}
    for p in pairs(opts.routes) do
      if type(p) ~= "string" or string.sub(p, 1, 1) ~= "/" then
        argerr(1, "server", "route patterns must be strings starting with '/', got " .. tostring(p), 2)
      end
      patterns[#patterns + 1] = p
    end
    -- Fixed segments before parameters, longer before shorter: "/users/me" wins over
    -- "/users/:id" whatever order pairs() gives.
    local function rank(p)
      local n, fixed = 0, 0
      for s in string.gmatch(p, "[^/]+") do
        n = n + 1
        local f = string.sub(s, 1, 1)
        if f ~= ":" and f ~= "*" then fixed = fixed + 1 end
        if f == "*" then n = n - 1000 end
      end
      return n, fixed
    end
    table.sort(patterns, function(a, b)
      local na, fa = rank(a)
      local nb, fb = rank(b)
      if na ~= nb then return na > nb end
      if fa ~= fb then return fa > fb end
      return a < b
    end)
    for i, p in ipairs(patterns) do
      local h = opts.routes[p]
      local r = { segs = compile_pattern(p), pattern = p }
      if type(h) == "function" then
        keys[#keys + 1], fns[#fns + 1] = tostring(i), h
      elseif type(h) == "table" then
        local allow, data = {}, {}
        for k, v in pairs(h) do
          if type(v) == "function" then
            keys[#keys + 1], fns[#fns + 1] = i .. "." .. tostring(k), v
            if METHODS[k] then allow[#allow + 1] = string.upper(k) end
          elseif type(k) == "string" then
            data[k] = v
          end
        end
        if h.get and not h.head then allow[#allow + 1] = "HEAD" end
        table.sort(allow)
        r.allow, r.data = table.concat(allow, ", "), data
      else
        argerr(1, "server", "route '" .. p .. "' must be a function or a table of methods, got " .. type(h), 2)
      end
      routes[i] = r
    end
  end
  if #keys == 0 then
    argerr(1, "server", "'handler' or 'routes' is required", 2)
  end
  if opts.stream_body ~= nil and type(opts.stream_body) ~= "boolean" then
    argerr(1, "server", "'stream_body' must be a boolean, got " .. type(opts.stream_body), 2)
  end
  local limits = {}
  -- Bodies stop at the head on the reading side as soon as one route streams; a route
  -- that does not stream then takes its body whole before its handler runs.
  local stream = opts.stream_body == true
  for _, r in ipairs(routes) do
    if r.data and r.data.stream_request_body then stream = true end
  end
  limits.stream = stream or nil
  for _, k in ipairs({ "max_header_bytes", "max_body_bytes", "header_timeout",
                       "body_timeout", "idle_timeout", "max_message_bytes",
                       "ping_interval", "ping_timeout", "max_stream_bytes" }) do
    local v = opts[k]
    if v ~= nil then
      if type(v) ~= "number" or v <= 0 then
        argerr(1, "server", "'" .. k .. "' must be a positive number", 2)
      end
      limits[k] = v
    end
  end
  return routes, lookup(keys, fns, 1), limits
end

-- What dispatch returns for a WebSocket upgrade (with the handler and the self).
local WS = "\0websocket"

-- On a server with streaming routes (`body` given: the connection's whole-body
-- reader), a handler that does not stream gets its body whole before it runs.
local function dispatch(routes, get, req, stream_all, body)
  for i, r in ipairs(routes) do
    local params = match(r.segs, req.path)
    if params then
      req.params = params
      local streams = stream_all or (r.data ~= nil and r.data.stream_request_body == true)
      if body and not streams then body(req) end
      if not r.allow then
        return get(tostring(i))(req)
      end
      -- Tornado's RequestHandler shape: the method gets the handler as self (its data
      -- fields, its other methods through __index) and the request.
      local data = r.data
      local self = setmetatable({ request = req }, { __index = function(_, k)
        local v = data[k]
        if v ~= nil then return v end
        return get(i .. "." .. tostring(k))
      end })
      -- Tornado's prepare(): runs before the method and before a WebSocket upgrade; a
      -- response it returns is the answer instead (a 401 where a token is missing).
      local prep = get(i .. ".prepare")
      if prep then
        local res = prep(self, req)
        if res ~= nil then return res end
      end
      -- Tornado's @stream_request_body: data_received(self, chunk) takes the body's
      -- pieces after prepare and before the method.
      local received = streams and get(i .. ".data_received")
      if received then
        while true do
          local piece = req:read()
          if piece == nil then break end
          received(self, piece)
        end
      end
      local wsh, wsm = get(i .. ".websocket"), get(i .. ".on_message")
      if req.websocket and (wsh or wsm) then
        -- Tornado's check_origin: a browser's cross-site upgrade is refused unless
        -- the route allows that origin (else any page could use its visitors'
        -- cookies on this socket). Clients that are not browsers send no Origin.
        local origin = req.headers.origin
        if origin then
          local check = get(i .. ".check_origin")
          local ok
          if check then
            ok = check(self, origin)
          else
            local netloc = string.match(origin, "^%a[%w+.-]*://([^/]*)")
            ok = netloc ~= nil and req.headers.host ~= nil
              and string.lower(netloc) == string.lower(req.headers.host)
          end
          if not ok then
            return { status = 403, headers = { ["Content-Type"] = "text/plain; charset=utf-8" },
                     body = "cross-origin WebSocket refused\n" }
          end
        end
        return WS, wsh, self
      end
      local m = string.lower(req.method)
      local h = get(i .. "." .. m)
      if not h and m == "head" then h = get(i .. ".get") end
      if not h and (wsh or wsm) then
        return { status = 426, headers = { ["Upgrade"] = "websocket",
                 ["Sec-WebSocket-Version"] = "13",
                 ["Content-Type"] = "text/plain; charset=utf-8" },
                 body = "this is a WebSocket endpoint\n" }
      end
      if not h then
        return { status = 405, headers = { ["Allow"] = r.allow,
                 ["Content-Type"] = "text/plain; charset=utf-8" }, body = "method not allowed\n" }
      end
      return h(self, req)
    end
  end
  local h = get("handler")
  if h then
    if body and not stream_all then body(req) end
    return h(req)
  end
  return { status = 404, headers = { ["Content-Type"] = "text/plain; charset=utf-8" },
           body = "not found\n" }
end

-- A handler's result as status, headers, body (string or iterator function).
local function normalize(res)
  if type(res) == "string" then
    return 200, { ["Content-Type"] = "text/plain; charset=utf-8" }, res
  elseif res == nil then
    return 204, {}, ""
  elseif type(res) ~= "table" then
    error("handler returned a " .. type(res) .. " (a table {status=, headers=, body=} or a string expected)")
  end
  local status = res.status or 200
  if type(status) ~= "number" then
    error("handler's status must be a number, got " .. type(status))
  end
  local body = res.body
  if body == nil then body = "" end
  if type(body) ~= "string" and type(body) ~= "function" and type(body) ~= "number" then
    error("handler's body must be a string or an iterator function, got " .. type(body))
  end
  local headers = res.headers or {}
  if type(headers) ~= "table" then
    error("handler's headers must be a table, got " .. type(headers))
  end
  return status, headers, body
end

local function log_error(err)
  if io and io.stderr then
    io.stderr:write("http: handler error: " .. tostring(err) .. "\n")
  end
end

-- Tornado's WebSocketHandler shape on the socket's messages: open(req), on_message(data,
-- is_binary), on_close(code, reason), and on_info(msg) for any other message (a
-- broadcast from a room process); self:write_message(data, binary), self:close().
local function handler_loop(self, ws, req)
  rawset(self, "ws", ws)
  rawset(self, "write_message", function(_, data, binary) return ws:send(data, binary) end)
  rawset(self, "close", function(_, code, reason) return ws:close(code, reason) end)
  local id = ws:id()
  if self.open then self:open(req) end
  while true do
    local m = process.receive()
    if type(m) == "table" and m.websocket == id then
      if m.type == "close" then
        if self.on_close then self:on_close(m.code, m.reason) end
        return
      end
      self:on_message(m.data, m.type == "binary")
    elseif self.on_info then
      self:on_info(m)
    end
  end
end

-- An upgrade: this connection's process becomes the WebSocket's. The handler runs
-- under pcall; when it returns the socket closes (1000, or 1011 after an error).
-- The subprotocol to answer with: the route's select_subprotocol(self, offered) (as
-- Tornado's), else the first the client offers that the route's `subprotocols` list
-- has; nil for none.
local function choose_protocol(self, req)
  local header = req.headers["sec-websocket-protocol"]
  if not header then return nil end
  local offered = {}
  for p in string.gmatch(header, "[^,%s]+") do offered[#offered + 1] = p end
  local chosen
  if self.select_subprotocol then
    chosen = self:select_subprotocol(offered)
  elseif type(self.subprotocols) == "table" then
    for _, p in ipairs(offered) do
      for _, q in ipairs(self.subprotocols) do
        if p == q and not chosen then chosen = p end
      end
    end
  end
  for _, p in ipairs(offered) do
    if p == chosen then return chosen end
  end
  -- One the client did not offer would fail its handshake: answer with none.
  return nil
end

local function websocket(conn, fn, self, req)
  local ok, protocol = pcall(choose_protocol, self, req)
  if not ok then
    log_error(protocol)
    protocol = nil
  end
  req.subprotocol = protocol
  local ws = conn:upgrade(protocol)
  if not ws then
    conn:close()
    return
  end
  local ok, err
  if fn then
    ok, err = pcall(fn, ws, req)
  else
    ok, err = pcall(handler_loop, self, ws, req)
  end
  if ok then
    ws:close()
  else
    log_error(err)
    ws:close(1011, "internal error")
  end
end

-- The body of a connection's process: requests in order until the connection ends.
local function serve(routes, get, limits, cid, stream_all)
  local conn = http._c.claim(cid, limits)
  if not conn then return end
  -- Set when reading a streamed body failed: the connection answered (413, 400, 408)
  -- and closed already, so the handler's error is no 500 of ours.
  local failed
  local function fail(why)
    failed = why
    error("http: request body " .. why, 3)
  end
  -- req:read([max]): the next piece of a streamed body, nil at its end; an error if
  -- the body is refused or cut, so a truncated upload never looks complete.
  local function read(_, max)
    local piece, why = conn:piece(max)
    if why then fail(why) end
    return piece
  end
  local function take_body(req)
    req.read = nil
    if req.body ~= nil then return end
    local b, why = conn:body()
    if not b then fail(why) end
    req.body = b
  end
  if not limits.stream then take_body = nil end
  while true do
    local req = conn:read()
    if not req then break end
    if take_body then
      -- A streaming handler finds no req.body, only req:read (nil at once when the
      -- request had no body).
      if req.body == "" then req.body = nil end
      req.read = read
    end
    failed = nil
    local ok, status, headers, body = pcall(function()
      local res, wsh, wself = dispatch(routes, get, req, stream_all, take_body)
      if res == WS then return WS, wsh, wself end
      return normalize(res)
    end)
    if ok and status == WS then
      return websocket(conn, headers, body, req)
    end
    if not ok and failed then break end
    if not ok then
      log_error(status)
      status, headers, body = 500, { ["Content-Type"] = "text/plain; charset=utf-8" },
        "internal server error\n"
    end
    -- A head the handler got wrong (a header with CR/LF, a bad status) is refused
    -- before any byte goes out: answer 500 instead.
    local function respond(b)
      local okr, sent = pcall(conn.respond, conn, status, headers, b)
      if okr then return sent end
      log_error(sent)
      body = ""
      return conn:respond(500, { ["Content-Type"] = "text/plain; charset=utf-8" },
        "internal server error\n")
    end
    local sent
    if type(body) == "function" then
      sent = respond(nil)
      if type(body) ~= "function" then sent = false end
      while sent do
        local okc, piece = pcall(body)
        if not okc then
          -- Mid-stream failure: the client sees a truncated body (no last chunk).
          log_error(piece)
          conn:close()
          return
        end
        if piece == nil then
          sent = conn:chunk()
          break
        end
        sent = conn:chunk(tostring(piece))
      end
    else
      sent = respond(body)
    end
    if not sent or not conn:keep_alive() then break end
  end
  conn:close()
end

function M.server(opts)
  if type(opts) ~= "table" then
    argerr(1, "server", "table expected, got " .. type(opts))
  end
  if type(opts.listen) ~= "string" then
    argerr(1, "server", "'listen' must be an address string like \"127.0.0.1:8080\", got " .. type(opts.listen))
  end
  local tls = opts.tls
  if tls ~= nil and (type(tls) ~= "table" or type(tls.cert) ~= "string" or type(tls.key) ~= "string") then
    argerr(1, "server", "'tls' must be a table {cert = \"cert.pem\", key = \"key.pem\"}")
  end
  local routes, get, limits = compile(opts)
  local listener, err = c.listen(opts.listen, tls)
  if not listener then
    argerr(1, "server", "cannot listen on " .. opts.listen .. ": " .. err)
  end
  local id = listener:id()
  local stream_all = opts.stream_body == true
  local function conn_main(cid)
    serve(routes, get, limits, cid, stream_all)
  end
  local acceptor = process.spawn(function()
    local accept = http._c.accept
    while true do
      local cid = accept(id)
      if not cid then return end
      process.spawn(conn_main, cid)
    end
  end)
  local srv = { pid = acceptor, listener = listener }
  function srv:port() return listener:port() end
  function srv:address() return listener:address() end
  function srv:stop() listener:stop() end
  return srv
end

-- Static files under `root`: a handler for a route like "/static/*path" (the file is
-- params.path) or for a whole server (the file is the request path).
function M.static(root, opts)
  if type(root) ~= "string" then
    argerr(1, "static", "string expected, got " .. type(root))
  end
  return function(req)
    local rel = req.params and req.params.path or req.path
    return http._c.static(root, req.method, rel, req.headers)
  end
end

function M.request(opts)
  if type(opts) == "string" then opts = { url = opts } end
  if type(opts) ~= "table" then
    argerr(1, "request", "table or url string expected, got " .. type(opts))
  end
  if type(opts.url) ~= "string" then
    argerr(1, "request", "'url' must be a string, got " .. type(opts.url))
  end
  if opts.method ~= nil and type(opts.method) ~= "string" then
    argerr(1, "request", "'method' must be a string, got " .. type(opts.method))
  end
  if opts.headers ~= nil and type(opts.headers) ~= "table" then
    argerr(1, "request", "'headers' must be a table, got " .. type(opts.headers))
  end
  if opts.body ~= nil and type(opts.body) ~= "string" then
    argerr(1, "request", "'body' must be a string, got " .. type(opts.body))
  end
  if opts.ca ~= nil and type(opts.ca) ~= "string" then
    argerr(1, "request", "'ca' must be the path of a PEM file, got " .. type(opts.ca))
  end
  if opts.timeout ~= nil and (type(opts.timeout) ~= "number" or opts.timeout <= 0) then
    argerr(1, "request", "'timeout' must be a positive number of seconds")
  end
  return c.request(opts)
end

