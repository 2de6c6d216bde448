-- json: a small JSON encoder and recursive-descent decoder written in Lua,
-- round-tripping generated documents (string building with table.concat,
-- string.format for numbers and escapes, byte-level scanning with
-- string.byte/sub/find, recursion, many small tables). Object keys are
-- emitted in sorted order so the output does not depend on pairs() order.
local n = tonumber(arg and arg[1]) or 8000

local byte, char, sub, find, format = string.byte, string.char, string.sub, string.find, string.format
local concat, sort = table.concat, table.sort

---------------------------------------------------------------- encoder
local escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function escape_char(c)
  return escapes[c] or format("\\u%04x", byte(c))
end

local encode_value

local function is_array(t)
  local len = #t
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > len or k % 1 ~= 0 then return false end
  end
  return true
end

local function encode_table(t, out)
  if is_array(t) then
    out[#out + 1] = "["
    for i = 1, #t do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], out)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(t) do keys[#keys + 1] = k end
    sort(keys)
    out[#out + 1] = "{"
    for i = 1, #keys do
      local k = keys[i]
      if i > 1 then out[#out + 1] = "," end
      out[#out + 1] = '"' .. k:gsub('[%c"\\]', escape_char) .. '":'
      encode_value(t[k], out)
    end
    out[#out + 1] = "}"
  end
end

function encode_value(v, out)
  local tv = type(v)
  if tv == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', escape_char) .. '"'
  elseif tv == "number" then
    if v % 1 == 0 and v > -1e15 and v < 1e15 then
      out[#out + 1] = format("%d", v)
    else
      out[#out + 1] = format("%.14g", v)
    end
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif tv == "table" then
    encode_table(v, out)
  elseif v == nil then
    out[#out + 1] = "null"
  else
    error("cannot encode " .. tv)
  end
end

local function encode(v)
  local out = {}
  encode_value(v, out)
  return concat(out)
end

---------------------------------------------------------------- decoder
local decode_value

local function skip(s, i)
  local _, e = find(s, "^[ \t\r\n]*", i)
  return e + 1
end

local unescape = { [byte'"'] = '"', [byte'\\'] = '\\', [byte'/'] = '/', [byte'b'] = '\b',
  [byte'f'] = '\f', [byte'n'] = '\n', [byte'r'] = '\r', [byte't'] = '\t' }

local function decode_string(s, i)
  -- i points just after the opening quote
  local parts = {}
  local start = i
  while true do
    local c = byte(s, i)
    if c == 34 then -- '"'
      parts[#parts + 1] = sub(s, start, i - 1)
      return concat(parts), i + 1
    elseif c == 92 then -- '\'
      parts[#parts + 1] = sub(s, start, i - 1)
      local e = byte(s, i + 1)
      if e == 117 then -- 'u'
        parts[#parts + 1] = char(tonumber(sub(s, i + 2, i + 5), 16))
        i = i + 6
      else
        parts[#parts + 1] = unescape[e] or error("bad escape at " .. i)
        i = i + 2
      end
      start = i
    elseif c == nil then
      error("unterminated string")
    else
      i = i + 1
    end
  end
end

function decode_value(s, i)
  i = skip(s, i)
  local c = byte(s, i)
  if c == 123 then -- '{'
    local obj = {}
    i = skip(s, i + 1)
    if byte(s, i) == 125 then return obj, i + 1 end
    while true do
      if byte(s, i) ~= 34 then error("expected key at " .. i) end
      local k
      k, i = decode_string(s, i + 1)
      i = skip(s, i)
      if byte(s, i) ~= 58 then error("expected ':' at " .. i) end
      obj[k], i = decode_value(s, i + 1)
      i = skip(s, i)
      local d = byte(s, i)
      if d == 125 then return obj, i + 1 end
      if d ~= 44 then error("expected ',' or '}' at " .. i) end
      i = skip(s, i + 1)
    end
  elseif c == 91 then -- '['
    local arr = {}
    i = skip(s, i + 1)
    if byte(s, i) == 93 then return arr, i + 1 end
    while true do
      arr[#arr + 1], i = decode_value(s, i)
      i = skip(s, i)
      local d = byte(s, i)
      if d == 93 then return arr, i + 1 end
      if d ~= 44 then error("expected ',' or ']' at " .. i) end
      i = i + 1
    end
  elseif c == 34 then
    return decode_string(s, i + 1)
  elseif c == 116 and sub(s, i, i + 3) == "true" then return true, i + 4
  elseif c == 102 and sub(s, i, i + 4) == "false" then return false, i + 5
  elseif c == 110 and sub(s, i, i + 3) == "null" then return nil, i + 4
  else
    local _, e = find(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    if not e then error("unexpected character at " .. i) end
    return tonumber(sub(s, i, e)), e + 1
  end
end

local function decode(s)
  local v, i = decode_value(s, 1)
  i = skip(s, i)
  if i <= #s then error("trailing garbage at " .. i) end
  return v
end

---------------------------------------------------------------- workload
local seed = 7
local function rand(k)
  seed = (seed * 16807) % 2147483647
  return seed % k
end

local names = { "id", "name", "email", "active", "score", "tags", "address", "friends",
  "notes", "created", "ratio", "level" }

local function gen_string()
  local len = rand(12) + 1
  local t = {}
  for i = 1, len do
    local r = rand(40)
    if r == 0 then t[i] = '"' elseif r == 1 then t[i] = "\\"
    elseif r == 2 then t[i] = "\n" elseif r == 3 then t[i] = "\t"
    else t[i] = char(97 + r % 26) end
  end
  return concat(t)
end

local function gen(depth)
  local r = rand(depth > 3 and 5 or 8)
  if r == 0 then return rand(100000) - 50000
  elseif r == 1 then return (rand(2000000) - 1000000) / 1024
  elseif r == 2 then return gen_string()
  elseif r == 3 then return rand(2) == 0
  elseif r == 4 then return gen_string() .. rand(1000)
  elseif r < 7 then
    local o = {}
    for _ = 1, rand(6) + 1 do o[names[rand(#names) + 1]] = gen(depth + 1) end
    return o
  else
    local a = {}
    for i = 1, rand(6) + 1 do a[i] = gen(depth + 1) end
    return a
  end
end

local docs = {}
for i = 1, 200 do
  local d = {}
  for j = 1, 4 do d[j] = gen(0) end
  docs[i] = { id = i, items = d, meta = { ok = true, name = "doc" .. i } }
end

local h, total = 0, 0
for round = 1, n do
  local doc = docs[round % #docs + 1]
  local s = encode(doc)
  local back = decode(s)
  local s2 = encode(back)
  if s2 ~= s then error("round trip mismatch in round " .. round) end
  total = total + #s
  h = (h * 31 + #s + byte(s, math.floor(#s / 2))) % 4294967291
end

print(format("json rounds=%d bytes=%d checksum=%d", n, total, h))
print(encode(docs[1]))
