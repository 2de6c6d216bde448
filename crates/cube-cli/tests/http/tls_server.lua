-- An https server for crates/cube-cli/tests/https.rs: `cube-cli run tls_server.lua DIR`
-- with DIR/cert.pem and DIR/key.pem.
local dir = ...
local srv = http.server{
  listen = "127.0.0.1:0",
  tls = {cert = dir .. "/cert.pem", key = dir .. "/key.pem"},
  routes = {
    ["/hi"] = function(req) return "hello over tls " .. (req.query.n or "") end,
    ["/big"] = function() return string.rep("0123456789", 100000) end,
    ["/echo"] = {
      post = function(self, req) return {body = req.body} end,
      websocket = function(ws)
        while true do
          local m = process.receive()
          if m.type == "close" then break end
          ws:send(m.data, m.type == "binary")
        end
      end,
    },
  },
}
print(srv:port())
io.stdout:flush()
process.receive()
