-- Publish/subscribe over a forwarder device: publishers connect to the forwarder's
-- frontend (XSUB), subscribers to its backend (XPUB); each subscriber's prefix filter
-- travels upstream, so publishers only send what someone wants.
-- usage: cube-cli run examples/zmq_forwarder.lua
-- The same device as a program of its own:
--   cube-cli device forwarder --frontend tcp://*:5559 --backend tcp://*:5560
local dev = zmq.device("forwarder", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*")
local frontend, backend = dev:endpoints()
local me = process.self()

local function subscriber(me, backend, topic)
  local sub = zmq.socket{zmq.SUB, subscribe = topic, connect = backend}
  local n, ready = 0, false
  while true do
    local msg = sub:recv()
    if msg == topic .. "hello" then
      -- The first one proves the subscription reached the publisher.
      if not ready then process.send(me, {ready = topic}) end
      ready = true
    elseif msg == topic .. "stop" then
      process.send(me, {topic = topic, received = n})
      return
    else
      n = n + 1
    end
  end
end

local topics = {"weather.", "stocks.", "news."}
for _, t in ipairs(topics) do process.spawn(subscriber, me, backend, t) end

local pub = zmq.socket("PUB")
pub:connect(frontend)
-- Say hello on every topic until each subscriber has heard its own: a PUB drops what
-- nobody wants yet, and a subscription reaches the publisher only after it has passed
-- through the forwarder, so each topic's path is proven by a message on that topic.
local ready = 0
while ready < #topics do
  for _, t in ipairs(topics) do pub:send(t .. "hello") end
  while process.receive(function(m) return m.ready end, 20) do ready = ready + 1 end
end

for i = 1, 300 do
  pub:send(topics[i % #topics + 1] .. i)
  pub:send("sports." .. i) -- nobody subscribed: filtered out upstream
  if i % 100 == 0 then process.sleep(5) end
end
for _, t in ipairs(topics) do pub:send(t .. "stop") end

for _ = 1, #topics do
  local r = process.receive(function(m) return m.topic end, 5000)
  print(string.format("%-9s %d messages", r.topic, r.received))
end
dev:stop()
