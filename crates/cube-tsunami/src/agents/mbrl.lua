-- tsunami.mbrl: model-based reinforcement learning in the manner of PETS (Chua et al.
-- 2018): an ensemble of dynamics networks learned from real transitions, and
-- model-predictive control by the cross-entropy method inside that model. The
-- networks are nn modules trained here; the planner that runs them thousands of times
-- per real step is Rust (planner.rs, tsunami._planner), given their weights after each
-- fit. A physics prior, `mbrl.prior = function(obs, action) return next_obs end`, makes
-- the networks learn only its error: they predict next - prior(obs, action) instead of
-- next - obs.
--
-- Learning: `random_steps` steps of random actions, then episodes acted by the
-- planner. The ensemble is refitted before each planned episode and every
-- `refit_every` steps inside one, each member on its own bootstrap of the transitions
-- (the members then disagree where data is thin, and the planner's particles spread
-- over them). Learning stops when the step budget (opts.steps) is spent, or when
-- `stop_after` consecutive episodes return at least opts.target. The agent is then
-- frozen and evaluated for `eval_episodes` episodes, which are not learning steps:
-- info.eval_mean, and `solved` when that mean reaches opts.target. The planner's
-- reward is the environment's, shaped toward its goal (planner.rs, Objective), so
-- CartPole-v1 and Acrobot-v1 only so far.
local M = ...
local U = tsunami._util

local mbrl = {}
M.mbrl = mbrl

mbrl.defaults = {
  ensemble = 5, hidden = { 32, 32 }, lr = 2e-3, batch = 64, epochs = 20,
  random_steps = 200, refit_every = 250, stop_after = 2, eval_episodes = 100,
  horizon = 20, candidates = 64, iterations = 2, elites = 8, particles = 1, smoothing = 0.1,
}

local function options(opts)
  local o = {}
  for k, v in pairs(mbrl.defaults) do o[k] = v end
  for k, v in pairs(opts.mbrl or {}) do o[k] = v end
  U.check_options("mbrl", o, {
    ensemble = { 1, 64, true }, lr = { 0, 10 }, batch = { 1, 1e5, true },
    epochs = { 0, 1e4, true }, random_steps = { 1, 2 ^ 50, true },
    refit_every = { 1, 2 ^ 50, true }, stop_after = { 1, 1e6, true },
    eval_episodes = { 0, 1e7, true }, horizon = { 1, 1000, true },
    candidates = { 1, 1e5, true }, iterations = { 1, 100, true },
    elites = { 1, 1e5, true }, particles = { 1, 64, true }, smoothing = { 0, 0.999 },
  })
  if o.prior ~= nil and type(o.prior) ~= "function" then
    error("tsunami.mbrl: prior must be a function(obs, action) -> next observation", 0)
  end
  return o
end

-- The prior as the planner calls it: a batch of states and actions at once.
local function batch_prior(prior)
  return function(states, actions)
    local out = {}
    for i = 1, #states do out[i] = prior(states[i], actions[i]) end
    return out
  end
end

-- What the networks learn from (obs, a, next): the base their output is added to.
local function base_of(prior, obs, a)
  if not prior then return obs end
  local b = prior(obs, a)
  if type(b) ~= "table" or #b ~= #obs then
    error("tsunami.mbrl: the prior must return a list of " .. #obs .. " numbers", 0)
  end
  return b
end

-- Mean and standard deviation of each column of a list of rows (stds floored, so a
-- column that never changes does not divide by zero).
local function column_stats(rows, d)
  local mean, std = {}, {}
  local n = #rows
  for j = 1, d do
    local s = 0
    for i = 1, n do s = s + rows[i][j] end
    local m = s / n
    local v = 0
    for i = 1, n do local e = rows[i][j] - m; v = v + e * e end
    mean[j], std[j] = m, math.max(math.sqrt(v / n), 1e-6)
  end
  return mean, std
end

-- The model: members (nn networks with their optimiser state) and the normalisation.
local Model = {}
Model.__index = Model

local function new_model(o, n_obs, n_act)
  local s = { n_obs + n_act }
  for _, h in ipairs(o.hidden) do s[#s + 1] = h end
  s[#s + 1] = n_obs
  local members = {}
  for m = 1, o.ensemble do
    local net = U.mlp(s)
    local params, grads = net:getParameters()
    members[m] = { net = net, params = params, grads = grads, state = {} }
  end
  return setmetatable({ members = members, n_obs = n_obs, n_act = n_act, o = o }, Model)
end

-- One input row: the normalised observation and the one-hot action.
function Model:input(obs, a)
  local row = {}
  for j = 1, self.n_obs do row[j] = (obs[j] - self.obs_mean[j]) / self.obs_std[j] end
  for k = 1, self.n_act do row[self.n_obs + k] = (k - 1 == a) and 1 or 0 end
  return row
end

-- Fits every member on its own bootstrap of the transitions D = {obs, act, delta}.
function Model:fit(D)
  local n, d = #D.obs, self.n_obs
  self.obs_mean, self.obs_std = column_stats(D.obs, d)
  self.delta_mean, self.delta_std = column_stats(D.delta, d)
  local crit = nn.MSECriterion()
  local o = self.o
  local cfg = { learningRate = o.lr }
  for _, m in ipairs(self.members) do
    local xs, ys = {}, {}
    for i = 1, n do
      local k = math.random(n)
      xs[i] = self:input(D.obs[k], D.act[k])
      local y, delta = {}, D.delta[k]
      for j = 1, d do y[j] = (delta[j] - self.delta_mean[j]) / self.delta_std[j] end
      ys[i] = y
    end
    local X, Y = torch.Tensor(xs), torch.Tensor(ys)
    for _ = 1, o.epochs do
      for start = 1, n, o.batch do
        local len = math.min(o.batch, n - start + 1)
        local xb, yb = X:narrow(1, start, len), Y:narrow(1, start, len)
        optim.adam(function()
          m.grads:zero()
          local out = m.net:forward(xb)
          local loss = crit:forward(out, yb)
          m.net:backward(xb, crit:backward(out, yb))
          return loss, m.grads
        end, m.params, cfg, m.state)
      end
    end
  end
end

-- The members' layers as the planner takes them.
function Model:layers()
  local members = {}
  for i, m in ipairs(self.members) do
    local layers = {}
    for k, lin in ipairs(U.linears(m.net)) do
      layers[k] = { weight = lin.weight:totable(), bias = lin.bias:totable() }
    end
    members[i] = layers
  end
  return members
end

-- A planner over the model as it is now.
local function planner_of(spec)
  return tsunami._planner(spec)
end

function Model:planner(env_id, seed)
  local o = self.o
  return planner_of {
    env = env_id, members = self:layers(),
    obs_mean = self.obs_mean, obs_std = self.obs_std,
    delta_mean = self.delta_mean, delta_std = self.delta_std,
    horizon = o.horizon, candidates = o.candidates, iterations = o.iterations,
    elites = math.min(o.elites, o.candidates), particles = math.min(o.particles, o.ensemble),
    smoothing = o.smoothing, seed = seed, prior = o.prior ~= nil,
  }
end

-- The acting agent: a planner and the prior it calls.
local Agent = {}
Agent.__index = Agent

local function agent_of(planner, prior, env_id, spec)
  return setmetatable({
    planner = planner, prior = prior and batch_prior(prior), env = env_id, spec = spec,
  }, Agent)
end

function Agent:act(obs)
  return (self.planner:act(obs, self.prior))
end

function Agent:reset() self.planner:reset() end

-- mbrl.train(opts, log) -> the agent (agent:act(obs) plans an action).
function mbrl.train(opts, log)
  local o = options(opts)
  local env, n_obs, n_act = U.check_env(opts.env)
  -- The objective exists for this environment (an error now, not after learning).
  local probe = {}
  for j = 1, n_obs do probe[j] = 0 end
  local model = new_model(o, n_obs, n_act)
  model.obs_mean, model.obs_std, model.delta_mean, model.delta_std = probe, {}, probe, {}
  for j = 1, n_obs do model.obs_std[j], model.delta_std[j] = 1, 1 end
  model:planner(opts.env, opts.seed)

  local D = { obs = {}, act = {}, delta = {} }
  local steps, ep_ret, mid_episode = 0, 0, false
  local obs = env:reset(opts.seed)
  local function record(o1, a, o2)
    local base = base_of(o.prior, o1, a)
    local delta = {}
    for j = 1, n_obs do delta[j] = o2[j] - base[j] end
    local k = #D.obs + 1
    D.obs[k], D.act[k], D.delta[k] = o1, a, delta
  end

  -- Random actions first: the model's first data.
  while steps < math.min(o.random_steps, opts.steps) do
    local a = math.random(n_act) - 1
    local o2, r, term, trunc = env:step(a)
    record(obs, a, o2)
    steps, ep_ret, mid_episode = steps + 1, ep_ret + r, true
    if term or trunc then
      log:episode(ep_ret, steps)
      ep_ret, obs, mid_episode = 0, env:reset(), false
    else
      obs = o2
    end
    log:tick(steps)
  end

  -- Planned episodes, refitting as data comes in.
  local agent, since_fit, good_runs = nil, 0, 0
  local function refit()
    model:fit(D)
    agent = agent_of(model:planner(opts.env, opts.seed + steps), o.prior, opts.env)
    since_fit = 0
  end
  -- A random episode still running is dropped (its steps counted, not its return):
  -- planned episodes start from a reset.
  if mid_episode then ep_ret, obs = 0, env:reset() end
  while steps < opts.steps and good_runs < o.stop_after do
    refit()
    agent:reset()
    while steps < opts.steps do
      local a = agent:act(obs)
      local o2, r, term, trunc = env:step(a)
      record(obs, a, o2)
      steps, ep_ret, since_fit = steps + 1, ep_ret + r, since_fit + 1
      log:tick(steps)
      if term or trunc then
        log:episode(ep_ret, steps)
        good_runs = (opts.target and ep_ret >= opts.target) and good_runs + 1 or 0
        ep_ret, obs = 0, env:reset()
        break
      end
      obs = o2
      if since_fit >= o.refit_every then refit() end
    end
  end
  if not agent or since_fit > 0 then refit() end

  -- Frozen: the evaluation episodes (not learning steps).
  local learn_steps, learn_episodes = steps, log.episodes
  local returns, sum, lo = {}, 0, math.huge
  local eval_env = tsunami.make(opts.env)
  for e = 1, o.eval_episodes do
    local ob = eval_env:reset(e == 1 and opts.seed + 1000003 or nil)
    agent:reset()
    local total = 0
    while true do
      local o2, r, term, trunc = eval_env:step(agent:act(ob))
      ob, total = o2, total + r
      if term or trunc then break end
    end
    returns[e], sum, lo = total, sum + total, math.min(lo, total)
    if log.progress then
      io.stderr:write(string.format("\revaluating: episode %d of %d, mean return %.2f   ",
        e, o.eval_episodes, sum / e))
    end
  end
  local eval_mean = o.eval_episodes > 0 and sum / o.eval_episodes or 0 / 0
  log.steps = learn_steps
  log.info = {
    learn_steps = learn_steps, learn_episodes = learn_episodes,
    eval_episodes = o.eval_episodes, eval_mean = eval_mean, eval_min = lo, eval_returns = returns,
  }
  log.solved = opts.target ~= nil and o.eval_episodes > 0 and eval_mean >= opts.target
  agent.model = model
  return agent
end

-- The checkpoint: every member's layers (mbrl.member.M.K.weight / .bias), the
-- normalisation, the planner's settings and whether it was trained with a prior.
function mbrl.checkpoint(agent, env_id, algo)
  local model, o = agent.model, agent.model.o
  local t = {}
  for m, layers in ipairs(model:layers()) do
    for k, l in ipairs(layers) do
      t["mbrl.member." .. m .. "." .. k .. ".weight"] = torch.Tensor(l.weight)
      t["mbrl.member." .. m .. "." .. k .. ".bias"] = torch.Tensor(l.bias)
    end
  end
  for _, name in ipairs { "obs_mean", "obs_std", "delta_mean", "delta_std" } do
    t["mbrl." .. name] = torch.Tensor(model[name])
  end
  t["mbrl.planner"] = torch.Tensor { o.horizon, o.candidates, o.iterations,
    math.min(o.elites, o.candidates), math.min(o.particles, o.ensemble), o.smoothing,
    o.prior and 1 or 0 }
  t["tsunami.env." .. env_id] = torch.zeros(1)
  t["tsunami.algo." .. algo] = torch.zeros(1)
  return t
end

-- A policy from a checkpoint's tensors (tsunami.load): `prior` is required when the
-- agent was trained with one (a function cannot be saved).
function mbrl.policy(t, env_id, path, prior)
  local cfg = t["mbrl.planner"]
  if not cfg or cfg:dim() ~= 1 or cfg:size(1) ~= 7 then
    error("tsunami.load: " .. path .. " has no planner settings (mbrl.planner)", 3)
  end
  cfg = cfg:totable()
  if cfg[7] == 1 and type(prior) ~= "function" then
    error("tsunami.load: " .. path .. " was trained with a physics prior: " ..
      "pass it as tsunami.load(path, {prior = f})", 3)
  end
  local members = {}
  while t["mbrl.member." .. (#members + 1) .. ".1.weight"] do
    local m, layers = #members + 1, {}
    while t["mbrl.member." .. m .. "." .. (#layers + 1) .. ".weight"] do
      local k = #layers + 1
      local w, b = t["mbrl.member." .. m .. "." .. k .. ".weight"], t["mbrl.member." .. m .. "." .. k .. ".bias"]
      if not b or w:dim() ~= 2 or b:dim() ~= 1 then
        error("tsunami.load: layer " .. k .. " of member " .. m .. " of " .. path .. " is malformed", 3)
      end
      layers[k] = { weight = w:totable(), bias = b:totable() }
    end
    members[m] = layers
  end
  local spec = {
    env = env_id, members = members, horizon = cfg[1], candidates = cfg[2],
    iterations = cfg[3], elites = cfg[4], particles = cfg[5], smoothing = cfg[6],
    prior = cfg[7] == 1,
  }
  for _, name in ipairs { "obs_mean", "obs_std", "delta_mean", "delta_std" } do
    local v = t["mbrl." .. name]
    if not v then error("tsunami.load: " .. path .. " lacks mbrl." .. name, 3) end
    spec[name] = v:totable()
  end
  local ok, planner = pcall(planner_of, spec)
  if not ok then error("tsunami.load: " .. path .. ": " .. tostring(planner), 3) end
  return agent_of(planner, cfg[7] == 1 and prior or nil, env_id)
end
