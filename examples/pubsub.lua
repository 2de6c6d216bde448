-- Publish/subscribe fan-out: a broker process keeps a subscriber list; each
-- published message is copied to every subscriber's mailbox.
-- usage: cube-cli run examples/pubsub.lua [subscribers] [messages]
local subs = tonumber(arg[1]) or 50
local msgs = tonumber(arg[2]) or 200

local broker = process.spawn(function()
  local subscribers = {}
  while true do
    local m = process.receive()
    if m.op == "subscribe" then
      subscribers[#subscribers + 1] = m.pid
      process.send(m.pid, {subscribed = true})
    elseif m.op == "publish" then
      for _, s in ipairs(subscribers) do process.send(s, m.data) end
    elseif m.op == "stop" then
      for _, s in ipairs(subscribers) do process.send(s, {done = true}) end
      return
    end
  end
end)
process.register("broker", broker)

local me = process.self()
for i = 1, subs do
  process.spawn(function(id)
    process.send("broker", {op = "subscribe", pid = process.self()})
    assert(process.receive().subscribed)
    process.send(me, {ready = id})
    local count, sum = 0, 0
    while true do
      local m = process.receive()
      if m.done then break end
      count, sum = count + 1, sum + m.value
    end
    process.send(me, {id = id, count = count, sum = sum})
  end, i)
end

-- Wait until every subscriber is registered with the broker.
for _ = 1, subs do
  assert(process.receive(function(m) return m.ready end, 5000))
end
for i = 1, msgs do
  process.send("broker", {op = "publish", data = {value = i}})
end
process.send("broker", {op = "stop"})

local total = 0
for _ = 1, subs do
  local r = process.receive(5000)
  assert(r and r.count == msgs and r.sum == msgs * (msgs + 1) / 2, "subscriber missed messages")
  total = total + r.count
end
print(("%d subscribers each received %d messages (%d deliveries)"):format(subs, msgs, total))
