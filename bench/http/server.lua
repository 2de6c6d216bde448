-- The cube server of bench/run-http: GET (any path) answers "Hello, world!", and
-- POST /echo decodes the JSON body into Lua tables and encodes them again.
--
--   cube-cli run bench/http/server.lua [LISTEN [IDLE_TIMEOUT_S]]
--
-- Prints its port. The codec is cube's native `json` library (Rust, in every process),
-- as Tornado's side uses Python's json module, whose hot paths are C: both sides now
-- use a native codec, and the handler's own work (routing, tables, the response) is
-- Lua. Decoded arrays carry json.array_mt, so [] and {} survive the round trip, and
-- null comes back as json.null.
local listen, idle = ...

local srv = http.server{
  listen = listen or "127.0.0.1:0",
  idle_timeout = tonumber(idle),
  routes = {
    ["/echo"] = {
      post = function(self, req)
        local ok, v = pcall(json.decode, req.body)
        if not ok then
          return {status = 400, headers = {["Content-Type"] = "text/plain"}, body = v}
        end
        return {headers = {["Content-Type"] = "application/json"}, body = json.encode(v)}
      end,
    },
  },
  handler = function(req)
    return {headers = {["Content-Type"] = "text/plain"}, body = "Hello, world!"}
  end,
}
print(srv:port())
io.stdout:flush()
process.receive()
