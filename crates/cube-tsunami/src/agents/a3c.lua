-- tsunami.a3c: asynchronous advantage actor-critic (Mnih et al. 2016), Hogwild. The
-- actor's and the critic's weights live in torch.share storages that every process
-- reads and writes in place, and so do the optimiser's statistics (shared RMSProp, as
-- in the paper, or shared Adam moments). N actor-learner processes (workers) run under
-- an OTP supervisor (one_for_one, permanent); each has its own copies of the networks
-- and `envs` environments of its own, and loops without waiting for anyone:
--
--   copy the shared weights into its networks; play n_steps in each of its
--   environments (one batched forward pass per step for all of them); compute the
--   gradient of the n-step advantage actor-critic loss with an entropy bonus; clip it;
--   apply it to the shared weights with the shared optimiser state;
--   worker -> coordinator  {tag="update", pid=, steps=, episodes={...}}
--
-- The process that calls tsunami.train is the coordinator: it counts steps, logs the
-- finished episodes, stops the workers at the budget or the target, and copies the
-- shared weights back into the network it returns. It holds no per-worker state, so a
-- worker that dies is restarted by the supervisor with the same shared storages and
-- training goes on. Updates of two workers at once may interleave element by element
-- (each element is one atomic operation): Hogwild's bargain.
--
-- Why Hogwild rather than a parameter server: on 2 cores a server that answers every
-- gradient with the weights serialises the workers behind it, and sending a 9k-number
-- gradient and weights per rollout cost as much as computing them. Workers on other
-- nodes (opts.nodes, `--nodes`) cannot reach the shared storages, so they do go through
-- a server (a3c.server, on this node), which applies their gradients to the same
-- shared weights beside the local workers' Hogwild updates. A worker node that goes
-- away has its workers restarted on this node.
--
-- The defaults solve CartPole-v1 (mean >= 475 over the last 100 episodes) with 2
-- workers in about 150,000 steps (seeds 0-2, BENCHMARKS.md): 8 environments and 8 steps
-- per rollout, gamma 0.98, advantages normalised per rollout, no entropy bonus, Adam at
-- 1e-3 falling linearly to 0 over the step budget (the updating processes add the
-- steps they spent to a shared one-element tensor), gradients clipped to norm 0.5. With a fixed
-- rate and RMSProp (SB3's A2C settings) the mean climbed past 300 and fell back.
--
-- The loss's gradient on the actor's log-probabilities (written here, nn has no such
-- criterion), per sample k of B with advantage A_k = G_k - V(s_k):
-- -A_k / B on logp[a_k], plus ent_coef p_j (log p_j + 1) / B on every logp_j; the
-- critic's, (V(s_k) - G_k) / B.
local M = ...

local a3c = {}
M.a3c = a3c

a3c.defaults = {
  envs = 8, n_steps = 8, gamma = 0.98, ent_coef = 0.0, lr = 1e-3, optimizer = "adam",
  rms_alpha = 0.99, rms_eps = 1e-5, max_grad_norm = 0.5, hidden = { 64, 64 },
  normalize_advantage = true, anneal = true, idle_timeout_ms = 30000,
}

local function sizes(n_in, hidden, n_out)
  local s = { n_in }
  for _, h in ipairs(hidden) do s[#s + 1] = h end
  s[#s + 1] = n_out
  return s
end
a3c.sizes = sizes

-- An actor-learner's own part: its networks (flat parameters ap/cp and gradients
-- ag/cg), its environments and where each stands. learner:rollout(lr) plays n_steps in
-- each environment with the weights now in ap/cp and leaves the clipped gradient of the
-- loss in ag/cg; it returns the steps played and the returns of the episodes that
-- ended. Built inside the worker's process (no upvalues: everything is looked up in
-- the process's own globals, so it also runs on another node).
function a3c.learner(env_id, seed, o, n_obs, n_act)
  local U = tsunami._util
  local sz = tsunami.a3c.sizes
  torch.manualSeed(seed)
  math.randomseed(seed)
  local actor = U.mlp(sz(n_obs, o.hidden, n_act)):add(nn.LogSoftMax())
  local critic = U.mlp(sz(n_obs, o.hidden, 1))
  local L = { actor = actor, critic = critic }
  L.ap, L.ag = actor:getParameters()
  L.cp, L.cg = critic:getParameters()
  local E, T = o.envs, o.n_steps
  local envs, obs, ep_ret = {}, {}, {}
  for i = 1, E do
    envs[i] = tsunami.make(env_id)
    obs[i] = envs[i]:reset(seed * 64 + i - 1)
    ep_ret[i] = 0
  end

  function L.rollout()
    -- Rollout: T steps of E environments, sample k = (t - 1) * E + i.
    local S, A, R, D, episodes = {}, {}, {}, {}, {}
    for t = 1, T do
      local logp = actor:forward(torch.Tensor(obs)):totable()
      for i = 1, E do
        local k = (t - 1) * E + i
        local a = U.sample_logp(logp[i])
        local o2, r, term, trunc = envs[i]:step(a - 1)
        S[k], A[k] = obs[i], a
        ep_ret[i] = ep_ret[i] + r
        if trunc and not term then
          -- Cut by the time limit, not ended: the return goes on, so bootstrap.
          r = r + o.gamma * critic:forward(torch.Tensor({ o2 })):totable()[1][1]
        end
        R[k], D[k] = r, term or trunc
        if term or trunc then
          episodes[#episodes + 1] = ep_ret[i]
          ep_ret[i] = 0
          o2 = envs[i]:reset()
        end
        obs[i] = o2
      end
    end
    -- n-step returns, bootstrapped from the value of where each environment stands.
    local G = critic:forward(torch.Tensor(obs)):totable()
    local ret = {}
    for i = 1, E do G[i] = G[i][1] end
    for t = T, 1, -1 do
      for i = 1, E do
        local k = (t - 1) * E + i
        G[i] = R[k] + (D[k] and 0 or o.gamma * G[i])
        ret[k] = G[i]
      end
    end

    local B = T * E
    local X = torch.Tensor(S)
    local logp = actor:forward(X):totable()
    local V = critic:forward(X):totable()
    local ADV, mean, sq = {}, 0, 0
    for k = 1, B do
      ADV[k] = ret[k] - V[k][1]
      mean = mean + ADV[k] / B
    end
    if o.normalize_advantage and B > 1 then
      for k = 1, B do sq = sq + (ADV[k] - mean) ^ 2 end
      local std = math.sqrt(sq / (B - 1)) + 1e-8
      for k = 1, B do ADV[k] = (ADV[k] - mean) / std end
    end
    local g, gv = {}, {}
    for k = 1, B do
      local v, lp = V[k][1], logp[k]
      local adv = ADV[k]
      local row = {}
      for j = 1, n_act do
        row[j] = o.ent_coef * math.exp(lp[j]) * (lp[j] + 1) / B
      end
      row[A[k]] = row[A[k]] - adv / B
      g[k], gv[k] = row, { (v - ret[k]) / B }
    end
    L.ag:zero()
    actor:backward(X, torch.Tensor(g))
    L.cg:zero()
    critic:backward(X, torch.Tensor(gv))
    U.clip_grad(L.ag, o.max_grad_norm)
    U.clip_grad(L.cg, o.max_grad_norm)
    return B, episodes
  end
  return L
end

-- The shared optimiser: applies gradients to the shared weights with the shared
-- statistics (Adam's step count is the caller's own; its moments are shared). One per
-- process that updates the shared weights: each local worker, and the server.
function a3c.optimiser(o, shared)
  local step_fn = o.optimizer == "rmsprop" and optim.rmsprop or optim.adam
  local a_cfg = { learningRate = o.lr, alpha = o.rms_alpha, epsilon = o.rms_eps }
  local c_cfg = { learningRate = o.lr, alpha = o.rms_alpha, epsilon = o.rms_eps }
  local a_st = { m = shared.a_state.m, v = shared.a_state.v }
  local c_st = { m = shared.c_state.m, v = shared.c_state.v }
  return function(ag, cg, steps)
    -- The fraction of the step budget spent, counted by the processes that update the
    -- weights (not by the coordinator, which hears of an update only after it is made:
    -- so a single worker's run depends on its seed alone). Two adds at once may lose
    -- one: the rate then falls a little later, Hogwild's bargain again.
    shared.progress[1] = shared.progress[1] + steps / o.budget
    if o.anneal then
      -- The learning rate falls linearly to 0 over the step budget.
      local lr = o.lr * math.max(1 - shared.progress[1], 0)
      a_cfg.learningRate, c_cfg.learningRate = lr, lr
    end
    step_fn(function() return 0, ag end, shared.actor, a_cfg, a_st)
    step_fn(function() return 0, cg end, shared.critic, c_cfg, c_st)
  end
end

-- A local actor-learner: Hogwild on the shared storages (`shared`: actor, critic
-- (weights), a_state, c_state (optimiser statistics), progress).
function a3c.worker(coord, env_id, seed, o, n_obs, n_act, shared)
  local L = tsunami.a3c.learner(env_id, seed, o, n_obs, n_act)
  local apply = tsunami.a3c.optimiser(o, shared)
  local me = process.self()
  process.send(coord, { tag = "hello", pid = me, node = node.self() })
  while true do
    L.ap:copy(shared.actor)
    L.cp:copy(shared.critic)
    local steps, episodes = L.rollout()
    apply(L.ag, L.cg, steps)
    process.send(coord, { tag = "update", pid = me, steps = steps, episodes = episodes })
  end
end

-- An actor-learner on another node, where the shared storages are not: it asks the
-- server for the weights, plays a rollout, and sends its gradient back; the server's
-- answer to a gradient is the weights after it. Weights and gradients travel as lists
-- of numbers (a tensor lives in its node's memory only).
function a3c.remote_worker(coord, server, env_id, seed, o, n_obs, n_act)
  local L = tsunami.a3c.learner(env_id, seed, o, n_obs, n_act)
  local me = process.self()
  process.send(coord, { tag = "hello", pid = me, node = node.self() })
  process.send(server, { tag = "pull", pid = me })
  while true do
    local w = process.receive(function(m) return type(m) == "table" and m.tag == "weights" end)
    L.ap:copy(torch.Tensor(w.actor))
    L.cp:copy(torch.Tensor(w.critic))
    local steps, episodes = L.rollout()
    process.send(server, {
      tag = "grads", pid = me, actor = L.ag:totable(), critic = L.cg:totable(),
      steps = steps, episodes = episodes,
    })
  end
end

-- The parameter server of the remote workers, on the coordinator's node: applies
-- their gradients to the shared storages (beside the local workers' Hogwild updates),
-- reports each as an update to the coordinator, and answers with the weights. A
-- message that is not a gradient of the right sizes is dropped, not applied.
function a3c.server(coord, o, shared)
  local apply = tsunami.a3c.optimiser(o, shared)
  local na, nc = shared.actor:nElement(), shared.critic:nElement()
  local function fits(m)
    return type(m.actor) == "table" and #m.actor == na and type(m.critic) == "table"
      and #m.critic == nc and type(m.steps) == "number" and m.steps >= 0
      and m.steps <= o.envs * o.n_steps and type(m.episodes) == "table"
  end
  while true do
    local m = process.receive(function(m)
      return type(m) == "table" and (m.tag == "grads" or m.tag == "pull")
    end)
    if m.tag == "grads" and fits(m) then
      apply(torch.Tensor(m.actor), torch.Tensor(m.critic), m.steps)
      process.send(coord, { tag = "update", pid = m.pid, steps = m.steps, episodes = m.episodes })
    end
    if m.tag == "pull" or fits(m) then
      process.send(m.pid, {
        tag = "weights", actor = shared.actor:totable(), critic = shared.critic:totable(),
      })
    end
  end
end

-- a3c.train(opts, log) -> the actor network. opts.workers actor-learners;
-- opts.a3c overrides a3c.defaults, and its on_update(info) (if any) is called in the
-- coordinator after each update a worker reports, with {updates=, steps=, supervisor=,
-- nodes=} (nodes: steps by node name so far). opts.nodes: node names to place workers
-- on too, in turn with this node (a3c.remote_worker, through a3c.server).
function a3c.train(opts, log)
  local U = tsunami._util
  local o, hook = {}, nil
  for k, v in pairs(a3c.defaults) do o[k] = v end
  for k, v in pairs(opts.a3c or {}) do
    if k == "on_update" then hook = v else o[k] = v end
  end
  o.budget = opts.steps
  U.check_options("a3c", o, {
    envs = { 1, 1024, true }, n_steps = { 1, 1e5, true }, gamma = { 0, 1 },
    ent_coef = { -10, 10 }, lr = { 0, 10 }, rms_alpha = { 0, 1 }, rms_eps = { 0, 1 },
    max_grad_norm = { 0, 1e9 }, idle_timeout_ms = { 1, 1e9, true },
  })
  if o.envs * o.n_steps > 1e6 then error("tsunami.a3c: envs * n_steps must be at most 1e6", 0) end
  local W = opts.workers or 4
  if type(W) ~= "number" or W < 1 or W > 1024 or W ~= math.floor(W) then
    error("tsunami.train: workers must be an integer in [1, 1024]", 0)
  end
  if o.optimizer ~= "adam" and o.optimizer ~= "rmsprop" then
    error("tsunami.a3c: optimizer must be adam or rmsprop", 0)
  end
  local nodes = opts.nodes or {}
  if type(nodes) ~= "table" then error("tsunami.train: nodes must be a list of node names", 0) end
  for i, n in ipairs(nodes) do
    if type(n) ~= "string" then error("tsunami.train: nodes[" .. i .. "] must be a node name", 0) end
    if node.self() == "nonode@nohost" then
      error("tsunami.a3c: workers on other nodes need this node distributed (--sname or --name)", 0)
    end
    if node.ping(n) ~= "pong" then error("tsunami.a3c: node " .. n .. " does not answer", 0) end
  end
  local _, n_obs, n_act = U.check_env(opts.env)
  local actor = U.mlp(sizes(n_obs, o.hidden, n_act)):add(nn.LogSoftMax())
  local critic = U.mlp(sizes(n_obs, o.hidden, 1))
  local ap = actor:getParameters()
  local cp = critic:getParameters()
  local function zeros(t) return torch.share(t:clone():zero()) end
  local shared = {
    actor = torch.share(ap), critic = torch.share(cp),
    a_state = { m = zeros(ap), v = zeros(ap) }, c_state = { m = zeros(cp), v = zeros(cp) },
    progress = torch.share(torch.zeros(1)),
  }

  local coord = process.self()
  local worker, remote_worker = a3c.worker, a3c.remote_worker
  -- Workers go round the places: this node, then opts.nodes in turn. The server (for
  -- remote workers only) is linked to the coordinator: it holds nothing a restart
  -- would need, and its crash ends training with its error.
  local places = { false }
  for _, n in ipairs(nodes) do places[#places + 1] = n end
  local server
  if #nodes > 0 then server = process.spawn_link(a3c.server, coord, o, shared) end
  local children = {}
  for i = 1, W do
    local where = places[(i - 1) % #places + 1]
    local seed = opts.seed * 1000 + i
    local here = { coord, opts.env, seed, o, n_obs, n_act, shared }
    children[i] = { id = "worker" .. i }
    if where then
      children[i].args = { coord, server, opts.env, seed, o, n_obs, n_act }
      -- A worker whose node cannot be reached (gone since training started) is
      -- restarted on this node instead, so a lost node slows training but never
      -- stops it.
      children[i].start = function(...)
        local pid = node.spawn(where, remote_worker, ...)
        if pid then
          process.link(pid)
          return pid
        end
        return process.spawn_link(worker, table.unpack(here))
      end
    else
      children[i].args = here
      children[i].start = function(...) return process.spawn_link(worker, ...) end
    end
  end
  -- Killing every worker at once must not exhaust the restart intensity.
  local sup = assert(supervisor.start {
    strategy = "one_for_one", intensity = 4 * W + 10, period = 5, children = children,
  })

  -- Steps by node: which of the places did the work (log.info.nodes).
  local node_of, by_node = {}, {}
  local steps, updates, seen, n_seen = 0, 0, {}, 0
  local ok, err = pcall(function()
    while not log:done() do
      local m = process.receive(function(m)
        return type(m) == "table" and (m.tag == "hello" or m.tag == "update")
      end, o.idle_timeout_ms)
      if not m then error("tsunami.a3c: no worker reported for " .. o.idle_timeout_ms .. " ms", 0) end
      if not seen[m.pid] then seen[m.pid], n_seen = true, n_seen + 1 end
      if m.tag == "hello" then node_of[m.pid] = m.node end
      if m.tag == "update" then
        local n = node_of[m.pid] or "?"
        by_node[n] = (by_node[n] or 0) + m.steps
        -- Episodes are logged at the step count they ended by, spread over the update.
        for _, r in ipairs(m.episodes) do
          log:episode(r, steps + m.steps)
          if log:done() then break end
        end
        steps = steps + m.steps
        log:tick(steps)
        updates = updates + 1
        if hook then hook { updates = updates, steps = steps, supervisor = sup, nodes = by_node } end
      end
    end
  end)
  supervisor.stop(sup, "normal")
  if server then
    process.unlink(server)
    process.exit(server, "kill")
  end
  ap:copy(shared.actor)
  cp:copy(shared.critic)
  log.info = { updates = updates, workers_seen = n_seen, nodes = by_node }
  if not ok then error(err, 0) end
  return actor
end
