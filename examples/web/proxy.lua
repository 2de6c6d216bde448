-- A reverse proxy that balances requests over several Lua worker processes.
--
--   cube-cli run examples/web/proxy.lua [LISTEN [WORKERS [HOST:PORT ...]]]
--   curl http://127.0.0.1:8080/hi    # "worker 1, connection <0.9.0>: GET /hi", then 2, 3, 1...
--
-- It starts WORKERS [3] worker processes, each serving HTTP on a port of its own (they
-- stand in for application servers; any HOST:PORT given joins the rotation after them),
-- and serves LISTEN [127.0.0.1:8080] itself: each request goes on to the next backend in
-- turn (round-robin, kept by one balancer process, since every client connection is a
-- process of its own and copies the handler's upvalues), with http.request, whose
-- kept-alive connections are pooled per host and port for the whole node: a backend
-- connection serves request after request, whichever client connection they come from.
-- A backend that refuses the connection, drops it or answers garbage gives 502, one
-- that does not answer within 10 s 504; the next request goes to the next backend.
-- (There are no health checks: a real balancer would skip a backend that keeps failing.)
local args = {...}
local listen = args[1] or "127.0.0.1:8080"
local nworkers = tonumber(args[2] or "3")
if not nworkers or nworkers < 0 or nworkers % 1 ~= 0 then
  error("WORKERS must be a whole number, got " .. tostring(args[2]), 0)
end

-- A worker: an ordinary http.server on a free port. It says which worker answered and
-- on which of its connections (each is a process): pooled connections show as the
-- same process answering again.
local function worker(n, parent)
  local srv = http.server{listen = "127.0.0.1:0", handler = function(req)
    local text = string.format("worker %d, connection %s: %s %s", n,
                               tostring(process.self()), req.method, req.target)
    if #req.body > 0 then text = text .. string.format(" (%d bytes)", #req.body) end
    return {headers = {["Content-Type"] = "text/plain"}, body = text .. "\n"}
  end}
  process.send(parent, {worker = n, port = srv:port()})
  process.receive()   -- the server lives while this process does
end

local backends = {}
for n = 1, nworkers do
  process.spawn(worker, n, process.self())
  local m = process.receive(function(m) return type(m) == "table" and m.worker == n end, 10000)
  if not m then error("worker " .. n .. " did not start", 0) end
  backends[#backends + 1] = "127.0.0.1:" .. m.port
end
for i = 3, #args do
  if not string.match(args[i], "^[%w%.%-]+:%d+$") then
    error("a backend is HOST:PORT, got " .. args[i], 0)
  end
  backends[#backends + 1] = args[i]
end
if #backends == 0 then error("no backends: give WORKERS > 0 or HOST:PORT", 0) end

-- The balancer: the one place the rotation lives.
local balancer = process.spawn(function(list)
  local i = 0
  while true do
    local m = process.receive()
    i = i % #list + 1
    process.send(m.from, {backend = list[i]})
  end
end, backends)

-- Hop-by-hop headers (RFC 9110, 7.6.1) are the proxy's own business, not forwarded;
-- the lengths are set again by whoever sends the body on.
local HOP = {connection = true, ["keep-alive"] = true, te = true, trailer = true,
             ["transfer-encoding"] = true, upgrade = true, ["proxy-connection"] = true,
             ["proxy-authorization"] = true, ["proxy-authenticate"] = true,
             ["content-length"] = true, host = true}

local function forwarded(headers)
  local out = {}
  for name, value in pairs(headers) do
    if not HOP[name] then out[name] = value end
  end
  return out
end

local function next_backend()
  process.send(balancer, {from = process.self()})
  local m = process.receive(function(m) return type(m) == "table" and m.backend ~= nil end, 5000)
  return m and m.backend
end

local srv = http.server{listen = listen, handler = function(req)
  local backend = next_backend()
  if not backend then
    return {status = 503, headers = {["Content-Type"] = "text/plain"}, body = "no balancer\n"}
  end
  local headers = forwarded(req.headers)
  headers["x-forwarded-host"] = req.headers.host
  headers["via"] = "1.1 cube-proxy"
  local r, err = http.request{method = req.method, url = "http://" .. backend .. req.target,
                              headers = headers, body = req.body, timeout = 10}
  if not r then
    return {status = err == "timeout" and 504 or 502,
            headers = {["Content-Type"] = "text/plain", ["X-Backend"] = backend},
            body = string.format("bad gateway: backend %s: %s\n", backend, err)}
  end
  local out = forwarded(r.headers)
  out["x-backend"] = backend
  return {status = r.status, headers = out, body = r.body}
end}

print("listening on " .. srv:address())
print("backends: " .. table.concat(backends, " "))
io.stdout:flush()
process.receive()
