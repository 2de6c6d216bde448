-- A request-reply service: a queue device (ROUTER frontend, DEALER backend) in front
-- of several Lua worker processes. Clients in any language send a request and get a
-- reply; examples/zmq_client.py is one in Python (pyzmq).
-- usage: cube-cli run examples/zmq_service.lua [endpoint] [workers]
--        python3 examples/zmq_client.py [endpoint]
local endpoint = arg[1] or "tcp://127.0.0.1:5570"
local nworkers = tonumber(arg[2]) or 4

local dev = zmq.device("queue", endpoint, "inproc://workers")
print("service on " .. (dev:endpoints()))
io.flush()

for w = 1, nworkers do
  process.spawn(function(w)
    local rep = zmq.socket{zmq.REP, connect = "inproc://workers"}
    while true do
      local req = rep:recv_multipart()
      local op, a, b = req[1], tonumber(req[2]), tonumber(req[3])
      if op == "add" and a and b then
        rep:send_multipart{"ok", tostring(a + b), "worker " .. w}
      elseif op == "upper" and req[2] then
        rep:send_multipart{"ok", req[2]:upper(), "worker " .. w}
      elseif op == "stop" then
        rep:send_multipart{"ok", "stopping", "worker " .. w}
        process.send("main", "stop")
      else
        rep:send_multipart{"error", "unknown request " .. tostring(op), "worker " .. w}
      end
    end
  end, w)
end

process.register("main", process.self())
process.receive() -- until a client asks to stop
process.sleep(100) -- let the last reply leave
dev:stop()
