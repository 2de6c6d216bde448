-- The cube side of bench/run-dist as a client: client.lua SERVERNODE N K (see
-- dist_bench.erl: the same measurements, the same output lines).
local A = term.atom
local node_name, n, k = arg[1], tonumber(arg[2]), tonumber(arg[3])
local srv = {"bench_srv", node_name}
local me = process.self()
local send, receive, now = process.send, process.receive, process.monotonic_time
assert(node.ping(node_name) == "pong")
local function rtts(count)
  local out = {}
  for i = 1, count do
    local t0 = now("microsecond")
    send(srv, term.tuple(A"ping", me, i))
    receive()
    out[i] = now("microsecond") - t0
  end
  return out
end
rtts(100)
local t0 = now("microsecond")
send(srv, term.tuple(A"count", me, n))
for i = 1, n do send(srv, i) end
assert(receive() == A"counted")
print(string.format("throughput %d %d", n, now("microsecond") - t0))
local r = rtts(k)
table.sort(r)
print(string.format("rtt %d %d", r[math.max(1, math.floor(k / 2))], r[math.max(1, math.floor(k * 99 / 100))]))
