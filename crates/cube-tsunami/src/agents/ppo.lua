-- tsunami.ppo: proximal policy optimisation (Schulman et al. 2017), clipped surrogate,
-- generalised advantage estimation, separate actor and critic networks, Adam, for
-- Discrete action spaces. The defaults are rl-baselines3-zoo's tuned CartPole-v1
-- settings (8 environments, 32 steps each per rollout, 20 epochs of one 256 batch,
-- gamma 0.98, lambda 0.8, learning rate and clip range decaying linearly).
--
-- nn has no loss for the clipped surrogate, so its gradient with respect to the
-- actor's log-probabilities is written here and given to actor:backward: for sample
-- i with advantage A, ratio r = exp(logp - logp_old), the loss -min(r A, clip(r) A)
-- has gradient -A r on logp[a] where the unclipped term is the smaller (or the ratio is
-- inside the clip range), 0 elsewhere; the entropy bonus -c H, H = -sum p log p, adds
-- c p_j (log p_j + 1) on every logp_j. LogSoftMax's backward carries both to the
-- logits.
local M = ...
local U = tsunami._util

local ppo = {}
M.ppo = ppo

ppo.defaults = {
  envs = 8, n_steps = 32, epochs = 20, batch = 256, gamma = 0.98, lambda = 0.8,
  lr = 1e-3, clip = 0.2, ent_coef = 0.0, max_grad_norm = 0.5, hidden = { 64, 64 },
  anneal = true,
}

local function options(opts)
  local o = {}
  for k, v in pairs(ppo.defaults) do o[k] = v end
  for k, v in pairs(opts.ppo or {}) do o[k] = v end
  tsunami._util.check_options("ppo", o, {
    envs = { 1, 1024, true }, n_steps = { 1, 1e6, true }, epochs = { 0, 1e4, true },
    batch = { 1, 1e6, true }, gamma = { 0, 1 }, lambda = { 0, 1 }, lr = { 0, 10 },
    clip = { 0, 10 }, ent_coef = { -10, 10 }, max_grad_norm = { 0, 1e9 },
  })
  if o.envs * o.n_steps > 1e6 then error("tsunami.ppo: envs * n_steps must be at most 1e6", 0) end
  return o
end

local function sizes(n_in, hidden, n_out)
  local s = { n_in }
  for _, h in ipairs(hidden) do s[#s + 1] = h end
  s[#s + 1] = n_out
  return s
end

-- Column 1 of a B x 1 tensor as a list.
local function column(t)
  local rows, out = t:totable(), {}
  for i = 1, #rows do out[i] = rows[i][1] end
  return out
end

-- ppo.train(opts, log) -> the actor network (its output: log-probabilities).
function ppo.train(opts, log)
  local o = options(opts)
  local _, n_obs, n_act = U.check_env(opts.env)
  local actor = U.mlp(sizes(n_obs, o.hidden, n_act)):add(nn.LogSoftMax())
  local critic = U.mlp(sizes(n_obs, o.hidden, 1))
  local a_params, a_grads = actor:getParameters()
  local c_params, c_grads = critic:getParameters()
  local a_cfg, c_cfg = { learningRate = o.lr }, { learningRate = o.lr }
  local mse = nn.MSECriterion()

  local N, T = o.envs, o.n_steps
  local envs, obs, ep_ret = {}, {}, {}
  for i = 1, N do
    envs[i] = tsunami.make(opts.env)
    obs[i] = envs[i]:reset(opts.seed * 1000 + i - 1)
    ep_ret[i] = 0
  end
  local steps = 0

  while not log:done() do
    local progress = math.min(steps / opts.steps, 1)
    local frac = o.anneal and (1 - progress) or 1
    a_cfg.learningRate, c_cfg.learningRate = o.lr * frac, o.lr * frac
    local clip = o.clip * frac
    -- Rollout: T steps of N environments, indexed k = (t - 1) * N + i.
    local S, A, LP, V, R, D = {}, {}, {}, {}, {}, {}
    local finished = false
    for t = 1, T do
      local X = torch.Tensor(obs)
      local logp = actor:forward(X):totable()
      local vals = column(critic:forward(X))
      local actions = {}
      for i = 1, N do
        local a = U.sample_logp(logp[i])
        local k = (t - 1) * N + i
        S[k], A[k], LP[k], V[k] = obs[i], a, logp[i][a], vals[i]
        actions[i] = a
      end
      for i = 1, N do
        local k = (t - 1) * N + i
        local o2, r, term, trunc = envs[i]:step(actions[i] - 1)
        steps = steps + 1
        ep_ret[i] = ep_ret[i] + r
        if trunc and not term then
          -- Cut by the time limit, not ended: bootstrap from the value of where it was.
          local v = critic:forward(torch.Tensor({ o2 })):totable()[1][1]
          r = r + o.gamma * v
        end
        R[k], D[k] = r, (term or trunc) and 1 or 0
        if term or trunc then
          log:episode(ep_ret[i], steps)
          ep_ret[i] = 0
          o2 = envs[i]:reset()
        end
        obs[i] = o2
      end
      log:tick(steps)
      if log:done() then finished = true; break end
    end
    if finished then break end

    -- Advantages (GAE) and returns.
    local last = column(critic:forward(torch.Tensor(obs)))
    local ADV, RET, gae = {}, {}, {}
    for i = 1, N do gae[i] = 0 end
    for t = T, 1, -1 do
      for i = 1, N do
        local k = (t - 1) * N + i
        local next_v = (t == T) and last[i] or V[k + N]
        local keep = 1 - D[k]
        local delta = R[k] + o.gamma * next_v * keep - V[k]
        gae[i] = delta + o.gamma * o.lambda * keep * gae[i]
        ADV[k], RET[k] = gae[i], gae[i] + V[k]
      end
    end

    -- Epochs of minibatches.
    local n = N * T
    local idx = {}
    for k = 1, n do idx[k] = k end
    local B = math.min(o.batch, n)
    for _ = 1, o.epochs do
      for k = n, 2, -1 do
        local j = math.random(k)
        idx[k], idx[j] = idx[j], idx[k]
      end
      for start = 1, n - B + 1, B do
        local xs, adv, ret = {}, {}, {}
        local mean, sq = 0, 0
        for b = 1, B do
          local k = idx[start + b - 1]
          xs[b], adv[b], ret[b] = S[k], ADV[k], { RET[k] }
          mean = mean + ADV[k]
        end
        mean = mean / B
        for b = 1, B do sq = sq + (adv[b] - mean) ^ 2 end
        local std = math.sqrt(sq / math.max(B - 1, 1)) + 1e-8
        local X = torch.Tensor(xs)

        a_grads:zero()
        local logp = actor:forward(X):totable()
        local g = {}
        for b = 1, B do
          local k = idx[start + b - 1]
          local lp = logp[b]
          local a = A[k]
          local ad = (adv[b] - mean) / std
          local ratio = math.exp(lp[a] - LP[k])
          local row = {}
          for j = 1, n_act do
            row[j] = o.ent_coef * math.exp(lp[j]) * (lp[j] + 1) / B
          end
          local clipped = math.max(math.min(ratio, 1 + clip), 1 - clip)
          if ratio * ad <= clipped * ad then
            row[a] = row[a] - ad * ratio / B
          end
          g[b] = row
        end
        actor:backward(X, torch.Tensor(g))
        U.clip_grad(a_grads, o.max_grad_norm)
        optim.adam(function() return 0, a_grads end, a_params, a_cfg)

        c_grads:zero()
        local target = torch.Tensor(ret)
        local v = critic:forward(X)
        mse:forward(v, target)
        critic:backward(X, mse:backward(v, target))
        U.clip_grad(c_grads, o.max_grad_norm)
        optim.adam(function() return 0, c_grads end, c_params, c_cfg)
      end
    end
  end
  return actor
end
