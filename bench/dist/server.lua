-- The cube side of bench/run-dist as a server (see dist_bench.erl, the same protocol):
-- `cube-cli node --sname NAME --script server.lua`.
local A = term.atom
local COUNT, PING = A"count", A"ping"
process.register("bench_srv", process.self())
print("ready")
io.stdout:flush()
local receive, send = process.receive, process.send
while true do
  local m = receive()
  if m[1] == COUNT then
    for _ = 1, m[3] do receive() end
    send(m[2], A"counted")
  elseif m[1] == PING then
    send(m[2], term.tuple(A"pong", m[3]))
  end
end
