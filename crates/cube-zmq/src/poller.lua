-- zmq.poller([size]): a poller in the shape of lzmq's, on top of zmq.poll. Each call
-- runs this chunk (compiled once per program) with the zmq module and the size hint.
-- Callbacks are called as callback(socket, revents).
local zmq = ...
local poller = {items = {}, callbacks = {}, running = false}

function poller:add(sock, events, callback)
  if type(callback) ~= "function" then
    error("bad argument #3 to 'add' (function expected, got " .. type(callback) .. ")", 2)
  end
  self:remove(sock)
  self.items[#self.items + 1] = {sock, events}
  self.callbacks[sock] = callback
  return true
end

function poller:modify(sock, events, callback)
  return self:add(sock, events, callback or self.callbacks[sock])
end

function poller:remove(sock)
  for i, item in ipairs(self.items) do
    if item[1] == sock then
      table.remove(self.items, i)
      self.callbacks[sock] = nil
      return true
    end
  end
  return false
end

function poller:count()
  return #self.items
end

-- Waits up to timeout ms (nil or negative: for ever) and calls the callbacks of the
-- ready sockets; returns how many were ready.
function poller:poll(timeout)
  if #self.items == 0 then return 0 end
  local ready, revents = zmq.poll(self.items, timeout)
  for _, sock in ipairs(ready) do
    local callback = self.callbacks[sock]
    if callback then callback(sock, revents[sock]) end
  end
  return #ready
end

-- Polls until poller:stop() (called from a callback).
function poller:start()
  self.running = true
  while self.running do self:poll(-1) end
  return true
end

function poller:stop()
  self.running = false
end

return poller
