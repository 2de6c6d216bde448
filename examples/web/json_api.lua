-- A small JSON API: a to-do list kept by one store process; every HTTP connection is
-- a process of its own that asks the store by message.
--
--   cube-cli run examples/web/json_api.lua [127.0.0.1:8080]
--   curl -d '{"title":"milk"}' http://127.0.0.1:8080/todos
--   curl http://127.0.0.1:8080/todos/1
--   curl -X DELETE http://127.0.0.1:8080/todos/1
--
-- There is no JSON library in Lua's standard library: this example writes JSON with
-- string.format and reads the one string field it needs by hand.
local listen = ... or "127.0.0.1:8080"

-- The store: the only place the to-do items live.
local store = process.spawn(function()
  local items, next_id = {}, 1
  while true do
    local m = process.receive()
    local reply
    if m.op == "add" then
      items[next_id] = {id = next_id, title = m.title, done = false}
      reply, next_id = items[next_id], next_id + 1
    elseif m.op == "get" then
      reply = items[m.id]
    elseif m.op == "done" then
      if items[m.id] then items[m.id].done = true end
      reply = items[m.id]
    elseif m.op == "delete" then
      reply = items[m.id]
      items[m.id] = nil
    elseif m.op == "list" then
      reply = {}
      for id = 1, next_id - 1 do
        if items[id] then reply[#reply + 1] = items[id] end
      end
    end
    process.send(m.from, {reply = reply})
  end
end)

local function ask(msg)
  msg.from = process.self()
  process.send(store, msg)
  return process.receive().reply
end

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local named = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t'}
    return named[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

-- The UTF-8 bytes of a code point below 0x10000 (what a \uXXXX escape names).
local function utf8_char(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64) end
  return string.char(0xE0 + math.floor(cp / 4096), 0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
end

-- The string value of `field` in a JSON object's text, escapes decoded; nil if absent.
local function string_field(text, field)
  local _, i = text:find('"' .. field .. '"%s*:%s*"')
  if not i then return nil end
  local out, pos = {}, i + 1
  local simple = {['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t'}
  while pos <= #text do
    local c = text:sub(pos, pos)
    if c == '"' then return table.concat(out) end
    if c == '\\' then
      local e = text:sub(pos + 1, pos + 1)
      if e == "u" then
        local hex = text:sub(pos + 2, pos + 5)
        if not hex:match("^%x%x%x%x$") then return nil end
        out[#out + 1], pos = utf8_char(tonumber(hex, 16)), pos + 6
      elseif simple[e] then
        out[#out + 1], pos = simple[e], pos + 2
      else
        return nil
      end
    else
      out[#out + 1], pos = c, pos + 1
    end
  end
  return nil
end

local function item_json(it)
  return string.format('{"id":%d,"title":%s,"done":%s}', it.id, quote(it.title), tostring(it.done))
end

local function json(status, body)
  return {status = status, headers = {["Content-Type"] = "application/json"}, body = body .. "\n"}
end

local function not_found(id)
  return json(404, string.format('{"error":"no todo %s"}', id))
end

local srv = http.server{
  listen = listen,
  routes = {
    ["/todos"] = {
      get = function(self, req)
        local parts = {}
        for _, it in ipairs(ask{op = "list"}) do parts[#parts + 1] = item_json(it) end
        return json(200, "[" .. table.concat(parts, ",") .. "]")
      end,
      post = function(self, req)
        local title = string_field(req.body, "title")
        if not title or title == "" then
          return json(400, '{"error":"body must be {\\"title\\": \\"...\\"}"}')
        end
        return json(201, item_json(ask{op = "add", title = title}))
      end,
    },
    ["/todos/:id"] = {
      get = function(self, req)
        local it = ask{op = "get", id = tonumber(req.params.id)}
        if not it then return not_found(req.params.id) end
        return json(200, item_json(it))
      end,
      put = function(self, req)
        local it = ask{op = "done", id = tonumber(req.params.id)}
        if not it then return not_found(req.params.id) end
        return json(200, item_json(it))
      end,
      delete = function(self, req)
        local it = ask{op = "delete", id = tonumber(req.params.id)}
        if not it then return not_found(req.params.id) end
        return {status = 204}
      end,
    },
  },
}
print("listening on " .. srv:address())
io.stdout:flush()
process.receive()
