-- The cube server of bench/run-http: GET (any path) answers "Hello, world!", and
-- POST /echo decodes the JSON body into Lua tables and encodes them again.
--
--   cube-cli run bench/http/server.lua [LISTEN [IDLE_TIMEOUT_S]]
--
-- Prints its port. Lua's standard library has no JSON, so the codec is below, in plain
-- Lua (string.find with patterns; no C): that is the work a Lua handler really does.
-- Tornado's side uses Python's json module, whose hot paths are C.
local listen, idle = ...

-- Decoded arrays carry this metatable, so [] and {} survive the round trip; JSON null
-- decodes to NULL (a Lua nil could not sit in a table).
local ARRAY, NULL = {}, {}
local MAX_DEPTH = 64

local ESCAPED = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                 ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
local UNESCAPED = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f',
                   n = '\n', r = '\r', t = '\t'}

local function fail(s, i, what)
  error(string.format("bad JSON at byte %d: %s", i, what), 0)
end

local function skip(s, i)
  return (string.find(s, "[^ \t\r\n]", i)) or #s + 1
end

-- The UTF-8 bytes of a code point (what a \uXXXX escape names; surrogates as is).
local function utf8_char(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
  return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64,
                     0x80 + cp % 64)
end

-- s:byte(i) is the opening quote; returns the string and the index after it.
local function decode_string(s, i)
  local out, pos = nil, i + 1
  while true do
    local k = string.find(s, '[%z\1-\31"\\]', pos)
    if not k then fail(s, i, "unterminated string") end
    local c = string.byte(s, k)
    if c == 34 then
      if not out then return string.sub(s, pos, k - 1), k + 1 end
      out[#out + 1] = string.sub(s, pos, k - 1)
      return table.concat(out), k + 1
    end
    if c < 32 then fail(s, k, "control character in string") end
    out = out or {}
    out[#out + 1] = string.sub(s, pos, k - 1)
    local e = string.sub(s, k + 1, k + 1)
    if e == "u" then
      local hex = string.match(s, "^%x%x%x%x", k + 2)
      if not hex then fail(s, k, "bad \\u escape") end
      out[#out + 1], pos = utf8_char(tonumber(hex, 16)), k + 6
    elseif UNESCAPED[e] then
      out[#out + 1], pos = UNESCAPED[e], k + 2
    else
      fail(s, k, "bad escape")
    end
  end
end

local decode_value

local function decode_object(s, i, depth)
  local t = {}
  i = skip(s, i + 1)
  if string.byte(s, i) == 125 then return t, i + 1 end
  while true do
    if string.byte(s, i) ~= 34 then fail(s, i, "expected a string key") end
    local k, v
    k, i = decode_string(s, i)
    i = skip(s, i)
    if string.byte(s, i) ~= 58 then fail(s, i, "expected ':'") end
    v, i = decode_value(s, i + 1, depth)
    t[k] = v
    i = skip(s, i)
    local c = string.byte(s, i)
    if c == 125 then return t, i + 1 end
    if c ~= 44 then fail(s, i, "expected ',' or '}'") end
    i = skip(s, i + 1)
  end
end

local function decode_array(s, i, depth)
  local t = setmetatable({}, ARRAY)
  i = skip(s, i + 1)
  if string.byte(s, i) == 93 then return t, i + 1 end
  while true do
    local v
    v, i = decode_value(s, i, depth)
    t[#t + 1] = v
    i = skip(s, i)
    local c = string.byte(s, i)
    if c == 93 then return t, i + 1 end
    if c ~= 44 then fail(s, i, "expected ',' or ']'") end
    i = i + 1
  end
end

decode_value = function(s, i, depth)
  if depth > MAX_DEPTH then fail(s, i, "nested too deeply") end
  i = skip(s, i)
  local c = string.byte(s, i)
  if c == 123 then return decode_object(s, i, depth + 1) end
  if c == 91 then return decode_array(s, i, depth + 1) end
  if c == 34 then return decode_string(s, i) end
  local num = string.match(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if num then
    local n = tonumber(num)
    if not n then fail(s, i, "bad number") end
    return n, i + #num
  end
  if string.find(s, "^true", i) then return true, i + 4 end
  if string.find(s, "^false", i) then return false, i + 5 end
  if string.find(s, "^null", i) then return NULL, i + 4 end
  fail(s, i, "unexpected " .. (c and string.format("%q", string.char(c)) or "end"))
end

local function decode(s)
  local v, i = decode_value(s, 1, 0)
  if skip(s, i) <= #s then fail(s, i, "trailing bytes") end
  return v
end

local function encode_string(s)
  return '"' .. string.gsub(s, '[%z\1-\31"\\]', function(c)
    return ESCAPED[c] or string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

local function encode_into(v, out)
  local ty = type(v)
  if ty == "string" then
    out[#out + 1] = encode_string(v)
  elseif ty == "number" then
    if v == math.floor(v) and v > -2^53 and v < 2^53 then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = string.format("%.17g", v)
    end
  elseif ty == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif v == NULL then
    out[#out + 1] = "null"
  elseif getmetatable(v) == ARRAY then
    out[#out + 1] = "["
    for i = 1, #v do
      if i > 1 then out[#out + 1] = "," end
      encode_into(v[i], out)
    end
    out[#out + 1] = "]"
  else
    out[#out + 1] = "{"
    local first = true
    for k, x in pairs(v) do
      if not first then out[#out + 1] = "," end
      first = false
      out[#out + 1] = encode_string(k)
      out[#out + 1] = ":"
      encode_into(x, out)
    end
    out[#out + 1] = "}"
  end
end

local function encode(v)
  local out = {}
  encode_into(v, out)
  return table.concat(out)
end

local srv = http.server{
  listen = listen or "127.0.0.1:0",
  idle_timeout = tonumber(idle),
  routes = {
    ["/echo"] = {
      post = function(self, req)
        local ok, v = pcall(decode, req.body)
        if not ok then
          return {status = 400, headers = {["Content-Type"] = "text/plain"}, body = v}
        end
        return {headers = {["Content-Type"] = "application/json"}, body = encode(v)}
      end,
    },
  },
  handler = function(req)
    return {headers = {["Content-Type"] = "text/plain"}, body = "Hello, world!"}
  end,
}
print(srv:port())
io.stdout:flush()
process.receive()
