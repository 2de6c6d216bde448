-- A pipeline over a streamer device: a ventilator pushes tasks into the streamer's
-- frontend (PULL), several Lua worker processes pull them from its backend (PUSH),
-- and push results to a sink. Each task reaches exactly one worker.
-- usage: cube-cli run examples/zmq_pipeline.lua [workers] [tasks]
local nworkers = tonumber(arg[1]) or 4
local ntasks = tonumber(arg[2]) or 1000

local dev = zmq.device("streamer", "inproc://tasks", "inproc://work")
local sink = zmq.socket("PULL")
local sink_ep = sink:bind("inproc://results")

for w = 1, nworkers do
  process.spawn(function(w, sink_ep)
    local work = zmq.socket{zmq.PULL, connect = "inproc://work"}
    local results = zmq.socket{zmq.PUSH, connect = sink_ep}
    while true do
      local n = tonumber((work:recv())) -- recv also returns a "more" flag
      results:send_multipart{tostring(w), tostring(n * n)}
    end
  end, w, sink_ep)
end

local vent = zmq.socket{zmq.PUSH, connect = "inproc://tasks"}
for n = 1, ntasks do vent:send(tostring(n)) end

local sum, per_worker = 0, {}
for _ = 1, ntasks do
  local r = sink:recv_multipart()
  per_worker[r[1]] = (per_worker[r[1]] or 0) + 1
  sum = sum + tonumber(r[2])
end
print("sum of squares", string.format("%.0f", sum))
for w = 1, nworkers do print("worker " .. w, per_worker[tostring(w)] or 0) end
dev:stop()
