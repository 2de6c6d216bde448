-- WebSocket test server: echo, Tornado shape, errors, small message limit.
local srv = http.server{listen = "127.0.0.1:0", max_message_bytes = 1024,
  routes = {
    ["/echo"] = {subprotocols = {"a", "b"}, websocket = function(ws, req)
      while true do
        local m = process.receive()
        if m.websocket == ws:id() then
          if m.type == "close" then break end
          if m.data == "close-me" then
            ws:close(4000, "asked")
          elseif m.data == "protocol?" then
            ws:send(tostring(ws:protocol()) .. " " .. tostring(req.subprotocol))
          else
            ws:send(m.data, m.type == "binary")
          end
        end
      end
    end},
    ["/tornado"] = {
      check_origin = function(self, origin) return origin == "https://friend.example" end,
      select_subprotocol = function(self, offered) return offered[#offered] end,
      open = function(self, req) self:write_message("hello " .. (req.query.name or "")) end,
      on_message = function(self, data, binary)
        self:write_message((binary and "binary " or "text ") .. data)
      end,
    },
    ["/crash"] = {websocket = function(ws) error("boom") end},
    -- Receives nothing for a while (the client floods meanwhile), then counts.
    ["/slow"] = {websocket = function(ws)
      process.sleep(1000)
      local n, bytes = 0, 0
      while true do
        local m = process.receive()
        if m.type == "close" then break end
        n, bytes = n + 1, bytes + #m.data
        if m.data == "end" then ws:send(n .. " " .. bytes) end
      end
    end},
  }}
print(srv:port())
io.stdout:flush()
process.receive()
