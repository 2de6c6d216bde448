-- A small JSON API: a to-do list kept by one store process; every HTTP connection is
-- a process of its own that asks the store by message.
--
--   cube-cli run examples/web/json_api.lua [127.0.0.1:8080]
--   curl -d '{"title":"milk"}' http://127.0.0.1:8080/todos
--   curl http://127.0.0.1:8080/todos/1
--   curl -X DELETE http://127.0.0.1:8080/todos/1
--
-- JSON in and out with cube's native `json` library (global in every process):
-- json.decode reads a request's body, json.encode writes each answer.
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

-- A to-do item as the API shows it (only these fields).
local function item(it)
  return {id = it.id, title = it.title, done = it.done}
end

local function reply(status, v)
  return {status = status, headers = {["Content-Type"] = "application/json"},
          body = json.encode(v) .. "\n"}
end

local function not_found(id)
  return reply(404, {error = "no todo " .. id})
end

local srv = http.server{
  listen = listen,
  routes = {
    ["/todos"] = {
      get = function(self, req)
        local list = json.array()   -- an empty list is [] (a bare {} would be an object)
        for _, it in ipairs(ask{op = "list"}) do list[#list + 1] = item(it) end
        return reply(200, list)
      end,
      post = function(self, req)
        local ok, body = pcall(json.decode, req.body)
        local title = ok and type(body) == "table" and body.title
        if type(title) ~= "string" or title == "" then
          return reply(400, {error = 'body must be {"title": "..."}'})
        end
        return reply(201, item(ask{op = "add", title = title}))
      end,
    },
    ["/todos/:id"] = {
      get = function(self, req)
        local it = ask{op = "get", id = tonumber(req.params.id)}
        if not it then return not_found(req.params.id) end
        return reply(200, item(it))
      end,
      put = function(self, req)
        local it = ask{op = "done", id = tonumber(req.params.id)}
        if not it then return not_found(req.params.id) end
        return reply(200, item(it))
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
