-- The server of crates/cube-cli/tests/http_stream.rs: streamed request bodies.
-- Handlers answer "pieces length adler32" of what they read.
local function adler(a, b, s)
  for i = 1, #s do
    a = (a + string.byte(s, i)) % 65521
    b = (b + a) % 65521
  end
  return a, b
end
local srv = http.server{
  listen = "127.0.0.1:0",
  max_body_bytes = 1000,
  max_stream_bytes = 8 * 1024 * 1024,
  body_timeout = 2,
  routes = {
    ["/upload"] = {
      stream_request_body = true,
      post = function(self, req)
        assert(req.body == nil, "a streamed request has no body")
        local n, len, a, b = 0, 0, 1, 0
        while true do
          local piece = req:read(100000)
          if piece == nil then break end
          assert(#piece > 0 and #piece <= 100000)
          n, len = n + 1, len + #piece
          a, b = adler(a, b, piece)
        end
        return string.format("%d %d %d", n, len, b * 65536 + a)
      end,
    },
    -- Reads nothing of the body.
    ["/ignore"] = {stream_request_body = true,
                   post = function(self, req) return "ignored" end},
    -- Tornado's data_received.
    ["/tornado"] = {
      stream_request_body = true,
      prepare = function(self, req) rawset(self, "got", {}) end,
      data_received = function(self, chunk) self.got[#self.got + 1] = chunk end,
      put = function(self, req) return "put " .. #table.concat(self.got) end,
    },
    -- Not streamed, on the same server: the body arrives whole, max_body_bytes.
    ["/whole"] = function(req) return "whole " .. req.body end,
  },
}
print(srv:port())
io.stdout:flush()
process.receive()
