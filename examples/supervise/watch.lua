-- A Lua process on a supervising node, watching and driving programs:
--   cube-cli supervise examples/supervise/sup.toml --script examples/supervise/watch.lua
-- It prints every program event, adds a program of its own, and restarts the workers
-- once a minute (the same operations as `cube-cli ctl`).

programs.subscribe()

local ok, err = programs.start{
  name = "clock",
  command = "sh",
  args = {"-c", "while :; do date; sleep 5; done"},
  log = "passthrough",
}
print("added clock:", ok ~= nil, err)

for _, s in ipairs(programs.status()) do
  print(("%-12s %-9s pid %s"):format(s.id, s.state, tostring(s.pid)))
end

local next_restart = os.time() + 60
while true do
  local m = process.receive(1000)
  if m and m.tag == "program_event" then
    local extra = m.pid and (" pid " .. m.pid) or m.status and (" " .. m.status) or m.reason and (" " .. m.reason) or ""
    print(("[event] %s %s%s"):format(m.event, m.id, extra))
  end
  if os.time() >= next_restart then
    programs.restart("workers")
    next_restart = os.time() + 60
  end
end
