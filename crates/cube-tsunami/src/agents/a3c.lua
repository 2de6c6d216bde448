-- tsunami.a3c: asynchronous advantage actor-critic (Mnih et al. 2016) with a parameter
-- server. The process that calls tsunami.train is the server; N actor-learner
-- processes (workers) run under an OTP supervisor (one_for_one, permanent), each with
-- its own environment and its own copy of the actor and critic networks:
--
--   worker -> server  {tag="hello", pid=}                      on start
--   server -> worker  {tag="params", actor={...}, critic={...}}  the current weights
--   worker -> server  {tag="grads", pid=, actor={...}, critic={...}, steps=, episodes={...}}
--
-- A worker takes the weights, plays n_steps (or to the end of its episode), computes
-- the gradient of the n-step advantage actor-critic loss with an entropy bonus, and
-- sends it; the server applies it with Adam (or RMSProp) and answers with the new
-- weights. Weights and gradients travel as Lua lists of numbers (tensors in messages are
-- not there yet). A worker that dies is restarted by the supervisor and says hello
-- again; the server keeps no per-worker state, so training goes on. A gradient from a
-- worker that died after sending it is still applied (it was computed on recent
-- weights, as any asynchronous update is).
--
-- The loss's gradient on the actor's log-probabilities (written here, nn has no such
-- criterion), per step t of T with advantage A_t = G_t - V(s_t):
-- -A_t / T on logp[a_t], plus ent_coef p_j (log p_j + 1) / T on every logp_j; the
-- critic's, (V(s_t) - G_t) / T.
local M = ...

local a3c = {}
M.a3c = a3c

a3c.defaults = {
  n_steps = 16, gamma = 0.99, ent_coef = 0.01, lr = 1e-3, optimizer = "adam",
  max_grad_norm = 5, hidden = { 64, 64 }, idle_timeout_ms = 30000,
}

local function sizes(n_in, hidden, n_out)
  local s = { n_in }
  for _, h in ipairs(hidden) do s[#s + 1] = h end
  s[#s + 1] = n_out
  return s
end
a3c.sizes = sizes

-- One actor-learner: runs in its own process (no upvalues: everything it uses is
-- looked up in the process's own globals).
function a3c.worker(server, env_id, seed, o, n_obs, n_act)
  local U = tsunami._util
  local sz = tsunami.a3c.sizes
  torch.manualSeed(seed)
  math.randomseed(seed)
  local actor = U.mlp(sz(n_obs, o.hidden, n_act)):add(nn.LogSoftMax())
  local critic = U.mlp(sz(n_obs, o.hidden, 1))
  local ap, ag = actor:getParameters()
  local cp, cg = critic:getParameters()
  local env = tsunami.make(env_id)
  local obs = env:reset(seed)
  local ep_ret = 0
  local me = process.self()
  process.send(server, { tag = "hello", pid = me })
  while true do
    local m = process.receive(function(m)
      return type(m) == "table" and (m.tag == "params" or m.tag == "stop")
    end)
    if m.tag == "stop" then return end
    ap:copy(torch.Tensor(m.actor))
    cp:copy(torch.Tensor(m.critic))

    local S, A, R, episodes = {}, {}, {}, {}
    local boot, ended = 0, false
    for t = 1, o.n_steps do
      local logp = actor:forward(torch.Tensor(obs)):totable()
      local a = U.sample_logp(logp)
      local o2, r, term, trunc = env:step(a - 1)
      S[t], A[t], R[t] = obs, a, r
      ep_ret = ep_ret + r
      if term or trunc then
        episodes[#episodes + 1] = ep_ret
        ep_ret = 0
        -- Cut by the time limit: the return goes on past the cut, so bootstrap.
        if trunc and not term then boot = critic:forward(torch.Tensor(o2)):totable()[1] end
        obs = env:reset()
        ended = true
        break
      end
      obs = o2
    end
    if not ended then boot = critic:forward(torch.Tensor(obs)):totable()[1] end

    local T = #S
    local X = torch.Tensor(S)
    local logp = actor:forward(X):totable()
    local V = critic:forward(X):totable()
    local g, gv, G = {}, {}, boot
    for t = T, 1, -1 do
      G = R[t] + o.gamma * G
      local v = V[t][1]
      local adv = G - v
      local row = {}
      for j = 1, n_act do
        row[j] = o.ent_coef * math.exp(logp[t][j]) * (logp[t][j] + 1) / T
      end
      row[A[t]] = row[A[t]] - adv / T
      g[t], gv[t] = row, { (v - G) / T }
    end
    ag:zero()
    actor:backward(X, torch.Tensor(g))
    cg:zero()
    critic:backward(X, torch.Tensor(gv))
    process.send(server, {
      tag = "grads", pid = me, actor = ag:totable(), critic = cg:totable(),
      steps = T, episodes = episodes,
    })
  end
end

-- a3c.train(opts, log) -> the actor network. opts.workers actor-learners;
-- opts.a3c overrides a3c.defaults, and its on_update(info) (if any) is called in the
-- server after each applied gradient with {updates=, steps=, supervisor=}.
function a3c.train(opts, log)
  local U = tsunami._util
  local o, hook = {}, nil
  for k, v in pairs(a3c.defaults) do o[k] = v end
  for k, v in pairs(opts.a3c or {}) do
    if k == "on_update" then hook = v else o[k] = v end
  end
  U.check_options("a3c", o, {
    n_steps = { 1, 1e5, true }, gamma = { 0, 1 }, ent_coef = { -10, 10 }, lr = { 0, 10 },
    max_grad_norm = { 0, 1e9 }, idle_timeout_ms = { 1, 1e9, true },
  })
  local W = opts.workers or 4
  if type(W) ~= "number" or W < 1 or W > 1024 or W ~= math.floor(W) then
    error("tsunami.train: workers must be an integer in [1, 1024]", 0)
  end
  local step_fn = optim[o.optimizer]
  if o.optimizer ~= "adam" and o.optimizer ~= "rmsprop" then
    error("tsunami.a3c: optimizer must be adam or rmsprop", 0)
  end
  local _, n_obs, n_act = U.check_env(opts.env)
  local actor = U.mlp(sizes(n_obs, o.hidden, n_act)):add(nn.LogSoftMax())
  local critic = U.mlp(sizes(n_obs, o.hidden, 1))
  local ap, ag = actor:getParameters()
  local cp, cg = critic:getParameters()
  local a_cfg, c_cfg = { learningRate = o.lr }, { learningRate = o.lr }

  local server = process.self()
  local children = {}
  for i = 1, W do
    children[i] = {
      id = "worker" .. i,
      args = { server, opts.env, opts.seed * 1000 + i, o, n_obs, n_act },
      start = function(...) return process.spawn_link(tsunami.a3c.worker, ...) end,
    }
  end
  -- Killing every worker at once must not exhaust the restart intensity.
  local sup = assert(supervisor.start {
    strategy = "one_for_one", intensity = 4 * W + 10, period = 5, children = children,
  })

  local steps, updates, seen, n_seen = 0, 0, {}, 0
  local ok, err = pcall(function()
    while not log:done() do
      local m = process.receive(function(m)
        return type(m) == "table" and (m.tag == "hello" or m.tag == "grads")
      end, o.idle_timeout_ms)
      if not m then error("tsunami.a3c: no worker reported for " .. o.idle_timeout_ms .. " ms", 0) end
      if not seen[m.pid] then seen[m.pid], n_seen = true, n_seen + 1 end
      if m.tag == "grads" then
        ag:copy(torch.Tensor(m.actor))
        cg:copy(torch.Tensor(m.critic))
        U.clip_grad(ag, o.max_grad_norm)
        U.clip_grad(cg, o.max_grad_norm)
        step_fn(function() return 0, ag end, ap, a_cfg)
        step_fn(function() return 0, cg end, cp, c_cfg)
        steps = steps + m.steps
        for _, r in ipairs(m.episodes) do log:episode(r, steps) end
        log:tick(steps)
        updates = updates + 1
        if hook then hook { updates = updates, steps = steps, supervisor = sup } end
      end
      process.send(m.pid, { tag = "params", actor = ap:totable(), critic = cp:totable() })
    end
  end)
  supervisor.stop(sup, "normal")
  log.info = { updates = updates, workers_seen = n_seen }
  if not ok then error(err, 0) end
  return actor
end
