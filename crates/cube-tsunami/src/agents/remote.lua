-- tsunami.remote(endpoint, env_id [, timeout_ms]): a gymnasium environment served by
-- `cube-cli tsunami gym-server` (python/gym_server.py), with the built-in
-- environments' API: env:reset([seed]) -> obs, info; env:step(action) -> obs, reward,
-- terminated, truncated, info; env.action_space, env.observation_space, env.id,
-- env.max_episode_steps; env:close(). One REQ socket per environment, JSON requests
-- (the protocol is described in gym_server.py). A server that does not answer within
-- timeout_ms (default 10 s) is an error, not a hang.
local M = ...

-- JSON, as much as the protocol needs: objects, arrays, numbers, strings, booleans,
-- null. Lua recursion is on the VM's own stack (a nesting too deep is a Lua error).
local encode

local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

function encode(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then error("JSON has no " .. tostring(v), 0) end
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  if t == "string" then return encode_string(v) end
  if t == "table" then
    local n = #v
    if n > 0 or next(v) == nil then
      local parts = {}
      for i = 1, n do parts[i] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local parts = {}
    for k, x in pairs(v) do
      parts[#parts + 1] = encode_string(tostring(k)) .. ":" .. encode(x)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot send a " .. t .. " as JSON", 0)
end

local decode_value

local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local ESCAPES = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }

local function decode_string(s, i)
  local out, j = {}, i + 1
  while true do
    local c = s:sub(j, j)
    if c == "" then error("unterminated string", 0) end
    if c == '"' then return table.concat(out), j + 1 end
    if c == "\\" then
      local e = s:sub(j + 1, j + 1)
      if e == "u" then
        local code = tonumber(s:sub(j + 2, j + 5), 16)
        if not code then error("bad \\u escape", 0) end
        out[#out + 1] = code < 128 and string.char(code) or "?"
        j = j + 6
      else
        out[#out + 1] = ESCAPES[e] or e
        j = j + 2
      end
    else
      out[#out + 1] = c
      j = j + 1
    end
  end
end

function decode_value(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then
    local obj = {}
    i = skip(s, i + 1)
    if s:sub(i, i) == "}" then return obj, i + 1 end
    while true do
      if s:sub(i, i) ~= '"' then error("expected a key at " .. i, 0) end
      local k
      k, i = decode_string(s, i)
      i = skip(s, i)
      if s:sub(i, i) ~= ":" then error("expected ':' at " .. i, 0) end
      obj[k], i = decode_value(s, i + 1)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "}" then return obj, i + 1 end
      if d ~= "," then error("expected ',' or '}' at " .. i, 0) end
      i = skip(s, i + 1)
    end
  elseif c == "[" then
    local arr, n = {}, 0
    i = skip(s, i + 1)
    if s:sub(i, i) == "]" then return arr, i + 1 end
    while true do
      n = n + 1
      arr[n], i = decode_value(s, i)
      i = skip(s, i)
      local d = s:sub(i, i)
      if d == "]" then return arr, i + 1 end
      if d ~= "," then error("expected ',' or ']' at " .. i, 0) end
      i = i + 1
    end
  elseif c == '"' then
    return decode_string(s, i)
  elseif s:sub(i, i + 3) == "true" then
    return true, i + 4
  elseif s:sub(i, i + 4) == "false" then
    return false, i + 5
  elseif s:sub(i, i + 3) == "null" then
    return nil, i + 4
  elseif s:sub(i, i + 7) == "Infinity" then   -- Python's json writes these
    return math.huge, i + 8
  elseif s:sub(i, i + 8) == "-Infinity" then
    return -math.huge, i + 9
  elseif s:sub(i, i + 2) == "NaN" then
    return 0 / 0, i + 3
  end
  local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  local x = num and tonumber(num)
  if not x then error("unexpected character at " .. i, 0) end
  return x, i + #num
end

local function decode(s)
  local ok, v = pcall(decode_value, s, 1)
  if not ok then error("tsunami.remote: the server's answer is not JSON: " .. tostring(v), 0) end
  return v
end

local Remote = {}
Remote.__index = Remote

local function call(self, req)
  if self.closed then error("tsunami.remote: the environment is closed", 3) end
  self.sock:send(encode(req))
  local raw, err = self.sock:recv()
  if not raw then
    error("tsunami.remote: no answer from " .. self.endpoint .. " (" .. tostring(err) ..
      "); is `cube-cli tsunami gym-server` running there?", 3)
  end
  local reply = decode(raw)
  if type(reply) ~= "table" or not reply.ok then
    error("tsunami.remote: " .. tostring(type(reply) == "table" and reply.error or raw), 3)
  end
  return reply
end

function Remote:reset(seed)
  if seed ~= nil and (type(seed) ~= "number" or seed < 0 or seed ~= math.floor(seed)) then
    error("tsunami.remote: seed must be a non-negative integer", 2)
  end
  local r = call(self, { cmd = "reset", env = self.handle, seed = seed })
  return r.obs, {}
end

function Remote:step(action)
  local r = call(self, { cmd = "step", env = self.handle, action = action })
  return r.obs, r.reward, r.terminated, r.truncated, {}
end

function Remote:close()
  if self.closed then return end
  call(self, { cmd = "close", env = self.handle })
  self.closed = true
  self.sock:close(0)
end

function M.remote(endpoint, env_id, timeout_ms)
  if type(endpoint) ~= "string" or type(env_id) ~= "string" then
    error("tsunami.remote(endpoint, env_id): two strings expected", 2)
  end
  local sock = zmq.socket("REQ")
  sock:setopt("rcvtimeo", timeout_ms or 10000)
  sock:setopt("linger", 0)
  sock:connect(endpoint)
  local self = setmetatable({ sock = sock, endpoint = endpoint, id = env_id }, Remote)
  local r = call(self, { cmd = "make", id = env_id })
  self.handle = r.env
  self.action_space = r.action_space
  self.observation_space = r.observation_space
  self.max_episode_steps = r.max_episode_steps
  return self
end
