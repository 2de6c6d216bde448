-- tsunami.dqn: deep Q-learning (Mnih et al. 2015) with a replay buffer, a target
-- network copied every target_every steps, epsilon-greedy exploration decaying
-- linearly, and the Huber loss, for Discrete action spaces. The loss's gradient on the
-- chosen action's Q value, clamp(q - y, -1, 1) / B, is written here and given to
-- the network's backward (nn has no Huber criterion). An episode cut by the time limit
-- is bootstrapped (only `terminated` stops the return).
local M = ...
local U = tsunami._util

local dqn = {}
M.dqn = dqn

dqn.defaults = {
  lr = 1e-3, batch = 64, buffer = 50000, learning_starts = 1000, gamma = 0.99,
  train_every = 4, target_every = 500, eps_start = 1.0, eps_end = 0.05,
  eps_fraction = 0.2, hidden = { 64, 64 },
}

-- dqn.train(opts, log) -> the Q network (its greedy action is the policy).
function dqn.train(opts, log)
  local o = {}
  for k, v in pairs(dqn.defaults) do o[k] = v end
  for k, v in pairs(opts.dqn or {}) do o[k] = v end
  U.check_options("dqn", o, {
    lr = { 0, 10 }, batch = { 1, 1e5, true }, buffer = { 1, 1e7, true },
    learning_starts = { 0, 2 ^ 50, true }, gamma = { 0, 1 }, train_every = { 1, 1e9, true },
    target_every = { 1, 1e9, true }, eps_start = { 0, 1 }, eps_end = { 0, 1 },
    eps_fraction = { 0, 1 },
  })
  local env, n_obs, n_act = U.check_env(opts.env)
  local s = { n_obs }
  for _, h in ipairs(o.hidden) do s[#s + 1] = h end
  s[#s + 1] = n_act
  local q = U.mlp(s)
  local target = U.mlp(s)
  local params, grads = q:getParameters()
  local t_params = target:getParameters()
  t_params:copy(params)
  local cfg = { learningRate = o.lr }

  -- The replay buffer: parallel circular lists.
  local BS, BA, BR, BN, BT = {}, {}, {}, {}, {}
  local size, head = 0, 0
  local obs = env:reset(opts.seed)
  local ep_ret, steps = 0, 0
  local decay = math.max(1, o.eps_fraction * opts.steps)

  while not log:done() do
    local eps = o.eps_start + (o.eps_end - o.eps_start) * math.min(steps / decay, 1)
    local a
    if math.random() < eps then
      a = math.random(n_act)
    else
      a = U.argmax(q:forward(torch.Tensor(obs)):totable())
    end
    local o2, r, term, trunc = env:step(a - 1)
    steps = steps + 1
    ep_ret = ep_ret + r
    head = head % o.buffer + 1
    size = math.min(size + 1, o.buffer)
    BS[head], BA[head], BR[head], BN[head], BT[head] = obs, a, r, o2, term and 1 or 0
    if term or trunc then
      log:episode(ep_ret, steps)
      ep_ret = 0
      obs = env:reset()
    else
      obs = o2
    end
    log:tick(steps)

    if steps >= o.learning_starts and steps % o.train_every == 0 then
      local B = math.min(o.batch, size)
      local xs, nx, pick = {}, {}, {}
      for b = 1, B do
        local k = math.random(size)
        pick[b], xs[b], nx[b] = k, BS[k], BN[k]
      end
      local next_q = target:forward(torch.Tensor(nx)):totable()
      local X = torch.Tensor(xs)
      grads:zero()
      local qs = q:forward(X):totable()
      local g = {}
      for b = 1, B do
        local k = pick[b]
        local best = next_q[b][1]
        for j = 2, n_act do best = math.max(best, next_q[b][j]) end
        local y = BR[k] + o.gamma * (1 - BT[k]) * best
        local row = {}
        for j = 1, n_act do row[j] = 0 end
        row[BA[k]] = math.max(-1, math.min(1, qs[b][BA[k]] - y)) / B
        g[b] = row
      end
      q:backward(X, torch.Tensor(g))
      U.clip_grad(grads, 10)
      optim.adam(function() return 0, grads end, params, cfg)
    end
    if steps % o.target_every == 0 then t_params:copy(params) end
  end
  return q
end
