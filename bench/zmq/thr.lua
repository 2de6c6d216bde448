-- Lua process to Lua process throughput over tcp in one node (bench/run-zmq).
-- cube-cli run bench/zmq/thr.lua COUNT SIZE  -> prints messages per second
local count, size = tonumber(arg[1] or 1000000), tonumber(arg[2] or 16)
local pull = zmq.socket("PULL")
local ep = pull:bind("tcp://127.0.0.1:*")
process.spawn(function(ep, count, size)
    local push = zmq.socket("PUSH")
    push:connect(ep)
    local msg = string.rep("x", size)
    for _ = 1, count do push:send(msg) end
    process.receive() -- stay until the receiver is done
end, ep, count, size)
pull:recv()
local sw = zmq.utils.stopwatch():start()
for _ = 2, count do pull:recv() end
local us = sw:stop()
print(string.format("%.0f", (count - 1) / (us / 1e6)))
