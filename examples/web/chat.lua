-- A WebSocket chat: every client is a process of its own (its connection's), and one
-- registered room process keeps the members and broadcasts what they say.
--
--   cube-cli run examples/web/chat.lua [127.0.0.1:8080]
--   then open http://127.0.0.1:8080/ in two browser tabs, or from a shell:
--   python3 -m websockets ws://127.0.0.1:8080/chat?name=ann
--
-- A client's frames arrive in its process as messages {websocket=, type=, data=}; the
-- room's broadcasts arrive in the same mailbox, so one receive loop serves both. A
-- client that goes away (closed tab, crashed handler) is dropped by the room through
-- a monitor, not by trusting it to say goodbye.
local listen = ... or "127.0.0.1:8080"

process.register("room", process.spawn(function()
  local members = {}   -- tostring(pid) -> {pid=, name=}
  local function broadcast(line)
    for _, m in pairs(members) do
      process.send(m.pid, {chat = line})
    end
  end
  while true do
    local m = process.receive()
    if m.join then
      members[tostring(m.join)] = {pid = m.join, name = m.name}
      process.monitor(m.join)
      broadcast("* " .. m.name .. " joined")
    elseif m.say then
      local who = members[tostring(m.from)]
      if who then broadcast(who.name .. ": " .. m.say) end
    elseif m.tag == "DOWN" then
      local who = members[tostring(m.pid)]
      if who then
        members[tostring(m.pid)] = nil
        broadcast("* " .. who.name .. " left")
      end
    end
  end
end))

local page = [[<!doctype html>
<meta charset="utf-8"><title>cube chat</title>
<pre id="log"></pre>
<form id="f"><input id="t" autofocus autocomplete="off"> <button>send</button></form>
<script>
const name = prompt("your name") || "anon";
const ws = new WebSocket(`ws://${location.host}/chat?name=${encodeURIComponent(name)}`);
ws.onmessage = e => { log.textContent += e.data + "\n"; };
ws.onclose = e => { log.textContent += `(closed ${e.code})\n`; };
f.onsubmit = e => { e.preventDefault(); ws.send(t.value); t.value = ""; };
</script>
]]

local srv = http.server{
  listen = listen,
  max_message_bytes = 4096,
  routes = {
    ["/"] = function() return {headers = {["Content-Type"] = "text/html; charset=utf-8"}, body = page} end,
    -- Tornado's WebSocketHandler shape; `websocket = function(ws, req) ... end` is the
    -- other, a plain process body.
    ["/chat"] = {
      open = function(self, req)
        local name = req.query.name
        if not name or name == "" or #name > 32 then
          self:close(1008, "a name of 1 to 32 bytes, please")
          return
        end
        process.send("room", {join = process.self(), name = name})
      end,
      on_message = function(self, text)
        process.send("room", {say = text, from = process.self()})
      end,
      on_info = function(self, m)   -- the room's broadcasts
        if m.chat then self:write_message(m.chat) end
      end,
    },
  },
}
print("listening on " .. srv:address())
io.stdout:flush()
process.receive()
