-- The server the http tests talk to (crates/cube-cli/tests/http.rs). Limits are
-- small so the tests of them are quick.
local root = ...
local counter = 0
local srv = http.server{
  listen = "127.0.0.1:0",
  max_header_bytes = 4096,
  max_body_bytes = 1000,
  header_timeout = 0.5,
  body_timeout = 0.5,
  idle_timeout = 1,
  routes = {
    ["/hello"] = function(req)
      return {status = 200, headers = {["Content-Type"] = "text/plain"},
              body = "hello " .. (req.query.name or "?")}
    end,
    ["/users/:id"] = function(req) return "user " .. req.params.id end,
    ["/users/me"] = function(req) return "me" end,
    ["/files/*path"] = http.static(root),
    -- One process per connection: this global counts the connection's requests.
    ["/count"] = function(req)
      count = (count or 0) + 1
      return tostring(count)
    end,
    ["/echo"] = function(req)
      return {headers = {["Content-Type"] = req.headers["content-type"] or "application/octet-stream",
                         ["X-Method"] = req.method, ["X-Length"] = tostring(#req.body)},
              body = req.body}
    end,
    ["/items"] = {
      prefix = "item:",
      get = function(self, req) return self.prefix .. "list" end,
      post = function(self, req) return {status = 201, body = self:label(req.body)} end,
      label = function(self, s) return self.prefix .. s end,
    },
    ["/stream"] = function(req)
      local i, n = 0, tonumber(req.query.n) or 3
      return {headers = {["Content-Type"] = "text/plain"}, body = function()
        i = i + 1
        if i <= n then return "chunk" .. i .. "\n" end
      end}
    end,
    ["/boom"] = function(req) error("boom") end,
    ["/inject"] = function(req)
      return {headers = {["X-Bad"] = "a\r\nInjected: 1"}, body = "no"}
    end,
    ["/cookies"] = function(req)
      return {headers = {["Set-Cookie"] = {"a=1", "b=2"}}, body = "ok"}
    end,
  },
}
print(srv:port())
io.stdout:flush()
process.receive()
