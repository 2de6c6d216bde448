-- Lua clients of an LFE key/value server (kv.lfe, beside this file): each client
-- process puts its keys and reads them back; messages cross as Erlang terms.
--   cube-cli run examples/lfe/kv_clients.lua [CLIENTS] [KEYS]
local clients = tonumber(arg and arg[1]) or 4
local keys = tonumber(arg and arg[2]) or 25
local A = term.atom

local server = lfe.spawn("kv", "start")
local me = process.self()

local function client(n, keys, parent)
  local A = term.atom
  local self = process.self()
  for k = 1, keys do
    process.send("kv", term.tuple(A("put"), self, n * 1000 + k, "value " .. k))
    assert(process.receive(5000)[1] == A("ok"))
  end
  local found = 0
  for k = 1, keys do
    process.send("kv", term.tuple(A("get"), self, n * 1000 + k))
    local r = process.receive(5000)
    if r[1] == A("value") and r[3] == "value " .. k then found = found + 1 end
  end
  process.send(parent, found)
end

while not process.whereis("kv") do process.sleep(1) end
for n = 1, clients do process.spawn(client, n, keys, me) end
local total = 0
for _ = 1, clients do total = total + process.receive(5000) end
process.send(server, term.tuple(A("size"), me))
local size = process.receive(5000)[2]
process.send(server, A("stop"))
print(string.format("%d clients read back %d values; the LFE server holds %d keys",
  clients, total, size))
