-- Environments as processes: tsunami.spawn_env(id [, opts]) runs one environment in a
-- process of its own (on this node, or on opts.node) and returns a handle with the
-- environment's API (and env.node, where it runs); tsunami.make_async_vec(id, n [, opts]) runs n of them and steps
-- them together, all copies at once (gymnasium's AsyncVectorEnv, with processes in
-- place of subprocesses), with make_vec's results and autoreset.
--
-- Protocol (one request, one reply, matched by a number of the handle's own):
--   handle -> env   {tag="env", n=, op="reset", seed=} | {..., op="step", action=} |
--                   {..., op="close"}
--   env -> handle   {tag="env_reply", env=<its pid>, n=, ok=true, obs=, reward=,
--                   terminated=, truncated=} | {tag="env_reply", env=, n=, ok=false, err=}
-- An error of the environment (a bad action, a step before reset) comes back as the
-- caller's Lua error; the environment's process goes on. It is linked to the process
-- that spawned it and monitors it, so it never outlives it, and a reply that does not come
-- within opts.timeout_ms (default 10 s) is an error, not a hang.
local M = ...

-- The environment's process: no upvalues, so it can be spawned on another node.
local function serve(owner, id)
  local me = process.self()
  local ok, env = pcall(tsunami.make, id)
  if not ok then
    process.send(owner, { tag = "env_reply", env = me, n = 0, ok = false, err = env })
    return
  end
  local a, o = env.action_space, env.observation_space
  process.send(owner, {
    tag = "env_reply", env = me, n = 0, ok = true, node = node.self(),
    max_episode_steps = env.max_episode_steps,
    action_space = a, observation_space = o,
  })
  -- A link carries no normal exit: the environment watches its owner as well, so it
  -- ends when the owner does, however it ends.
  process.monitor(owner)
  while true do
    local m = process.receive(function(m)
      return type(m) == "table" and (m.tag == "env" or (m.tag == "DOWN" and m.pid == owner))
    end)
    if m.tag == "DOWN" or m.op == "close" then return end
    local ok2, obs, reward, terminated, truncated
    if m.op == "reset" then
      ok2, obs = pcall(env.reset, env, m.seed)
    elseif m.op == "step" then
      ok2, obs, reward, terminated, truncated = pcall(env.step, env, m.action)
    else
      ok2, obs = false, "unknown request " .. tostring(m.op)
    end
    if ok2 then
      process.send(m.from, {
        tag = "env_reply", env = me, n = m.n, ok = true, obs = obs, reward = reward,
        terminated = terminated, truncated = truncated,
      })
    else
      process.send(m.from, { tag = "env_reply", env = me, n = m.n, ok = false, err = obs })
    end
  end
end

local Handle = {}
Handle.__index = Handle

local function check_opts(opts, what)
  opts = opts or {}
  if type(opts) ~= "table" then error(what .. ": options must be a table", 3) end
  local t = opts.timeout_ms or 10000
  if type(t) ~= "number" or t < 1 or t > 1e9 then
    error(what .. ": timeout_ms must be a number of milliseconds", 3)
  end
  if opts.node ~= nil and type(opts.node) ~= "string" then
    error(what .. ": node must be a node name", 3)
  end
  return opts, t
end

-- The reply numbered n from pid, or an error after the timeout.
local function await(h, n)
  local m = process.receive(function(m)
    return type(m) == "table" and m.tag == "env_reply" and m.n == n and m.env == h.pid
  end, h.timeout_ms)
  if not m then error(h.id .. ": the environment's process did not answer within " .. h.timeout_ms .. " ms", 3) end
  if not m.ok then error(m.err, 3) end
  return m
end

local function request(h, op, key, value)
  h.n = h.n + 1
  local m = { tag = "env", n = h.n, op = op, from = process.self() }
  if key then m[key] = value end
  process.send(h.pid, m)
  return h.n
end

local function spawn(id, opts, timeout)
  if type(id) ~= "string" then error("tsunami.spawn_env: id must be an environment id", 3) end
  local me, pid = process.self(), nil
  if opts.node then
    local why
    pid, why = node.spawn(opts.node, serve, me, id)
    if not pid then error("tsunami.spawn_env: node " .. opts.node .. ": " .. tostring(why), 3) end
    process.link(pid)
  else
    pid = process.spawn_link(serve, me, id)
  end
  local h = setmetatable({ pid = pid, id = id, n = 0, timeout_ms = timeout }, Handle)
  local first = await(h, 0)
  h.action_space, h.observation_space = first.action_space, first.observation_space
  h.max_episode_steps, h.node = first.max_episode_steps, first.node
  return h
end

-- env:reset([seed]) -> obs, info
function Handle:reset(seed)
  local m = await(self, request(self, "reset", "seed", seed))
  return m.obs, {}
end

-- env:step(action) -> obs, reward, terminated, truncated, info
function Handle:step(action)
  local m = await(self, request(self, "step", "action", action))
  return m.obs, m.reward, m.terminated, m.truncated, {}
end

-- env:close(): the process ends.
function Handle:close()
  if self.pid then
    process.unlink(self.pid)
    request(self, "close")
    self.pid = nil
  end
end

function M.spawn_env(id, opts)
  local o, timeout = check_opts(opts, "tsunami.spawn_env")
  return spawn(id, o, timeout)
end

local Vec = {}
Vec.__index = Vec

-- venv:reset([seed]) -> observations (copy i seeded seed + i - 1), info
function Vec:reset(seed)
  local n = {}
  for i, h in ipairs(self.envs) do
    n[i] = request(h, "reset", "seed", seed and seed + i - 1)
  end
  local obs = {}
  for i, h in ipairs(self.envs) do
    obs[i] = await(h, n[i]).obs
    self.done[i] = false
  end
  return obs, {}
end

-- venv:step(actions) -> observations, rewards, terminated, truncated, info (lists). A
-- copy whose episode ended is reset on its next step instead (reward 0, flags false),
-- as make_vec does.
function Vec:step(actions)
  local k = #self.envs
  if type(actions) ~= "table" or #actions ~= k then
    error("bad argument #1 to 'step' (" .. (type(actions) == "table" and #actions or 0)
      .. " actions for " .. k .. " environments)", 2)
  end
  local n = {}
  for i, h in ipairs(self.envs) do
    if self.done[i] then n[i] = request(h, "reset") else n[i] = request(h, "step", "action", actions[i]) end
  end
  local obs, rewards, term, trunc = {}, {}, {}, {}
  for i, h in ipairs(self.envs) do
    local m = await(h, n[i])
    if self.done[i] then
      obs[i], rewards[i], term[i], trunc[i] = m.obs, 0, false, false
    else
      obs[i], rewards[i], term[i], trunc[i] = m.obs, m.reward, m.terminated, m.truncated
    end
    self.done[i] = term[i] or trunc[i]
  end
  return obs, rewards, term, trunc, {}
end

function Vec:close()
  for _, h in ipairs(self.envs) do h:close() end
end

function M.make_async_vec(id, count, opts)
  local o, timeout = check_opts(opts, "tsunami.make_async_vec")
  if type(count) ~= "number" or count < 1 or count > 4096 or count ~= math.floor(count) then
    error("tsunami.make_async_vec: the number of copies must be an integer in [1, 4096]", 2)
  end
  local v = setmetatable({ envs = {}, done = {}, id = id, num_envs = count }, Vec)
  for i = 1, count do v.envs[i] = spawn(id, o, timeout) end
  v.single_action_space = v.envs[1].action_space
  v.single_observation_space = v.envs[1].observation_space
  return v
end
