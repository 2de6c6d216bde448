-- tsunami's driver and the helpers its learners share: tsunami.train, tsunami.load,
-- tsunami.eval, tsunami._util. Loaded into a process's own tsunami table on first use
-- (agents.rs).
local M = ...
local U = {}
M._util = U

local now = M._now

-- Algorithms by name; each is a table with train(opts, log) -> actor network.
local ALGOS = { ppo = true, dqn = true, a3c = true, mbrl = true }

-- A network of Linear layers with tanh between them: sizes = {in, hidden..., out}.
function U.mlp(sizes)
  local m = nn.Sequential()
  for i = 1, #sizes - 1 do
    m:add(nn.Linear(sizes[i], sizes[i + 1]))
    if i < #sizes - 1 then m:add(nn.Tanh()) end
  end
  return m
end

-- The Linear layers of a network made by U.mlp, in order.
function U.linears(model)
  local out = {}
  for _, mod in ipairs(model.modules) do
    if mod.weight then out[#out + 1] = mod end
  end
  return out
end

-- Index (1-based) of the largest value of a list.
function U.argmax(xs)
  local best, k = xs[1], 1
  for i = 2, #xs do
    if xs[i] > best then best, k = xs[i], i end
  end
  return k
end

-- Samples an index from a list of log-probabilities.
function U.sample_logp(logp)
  local u, acc = math.random(), 0
  for i = 1, #logp do
    acc = acc + math.exp(logp[i])
    if u < acc then return i end
  end
  return #logp
end

-- Scales a gradient tensor so its norm is at most max_norm (PPO's and A3C's clipping).
function U.clip_grad(grads, max_norm)
  local norm = math.sqrt(grads:dot(grads))
  if norm > max_norm then grads:mul(max_norm / norm) end
  return norm
end

-- Checks a learner's options against its table of limits, {name = {lo, hi, integer}}:
-- a count of 0 would loop for ever, a huge one allocate without bound.
function U.check_options(algo, o, limits)
  for name, lim in pairs(limits) do
    local v = o[name]
    if type(v) ~= "number" or v ~= v or v < lim[1] or v > lim[2]
        or (lim[3] and v ~= math.floor(v)) then
      error(string.format("tsunami.%s: %s must be %s in [%s, %s] (got %s)", algo, name,
        lim[3] and "an integer" or "a number", lim[1], lim[2], tostring(v)), 0)
    end
  end
  if type(o.hidden) ~= "table" or #o.hidden > 16 then
    error("tsunami." .. algo .. ": hidden must be a list of at most 16 layer sizes", 0)
  end
  for _, h in ipairs(o.hidden) do
    if type(h) ~= "number" or h < 1 or h > 4096 or h ~= math.floor(h) then
      error("tsunami." .. algo .. ": hidden layer sizes must be integers in [1, 4096]", 0)
    end
  end
end

-- The environment a learner can use: discrete actions only, so far.
function U.check_env(env_id)
  local env = tsunami.make(env_id)
  local space = env.action_space
  if space.kind ~= "Discrete" then
    error(string.format("tsunami.train: %s has a %s action space; the learners handle " ..
      "Discrete actions only so far", env_id, space.kind), 3)
  end
  return env, env.observation_space.shape[1], space.n
end

-- The learning curve: one row per finished episode, the mean return of the last 100,
-- the progress line, and when to stop (the step budget or the target mean return).
local Log = {}
Log.__index = Log

function U.log(opts)
  local log = setmetatable({
    window = {}, wsum = 0, episodes = 0, steps = 0, t0 = now(), last_print = -1,
    max_steps = opts.steps, target = opts.target, progress = opts.progress,
    solved = false, mean = 0 / 0, rows = opts.keep_rows and {} or nil,
  }, Log)
  if opts.out then
    local f, err = io.open(opts.out .. "/curve.csv", "w")
    if not f then error("tsunami.train: " .. tostring(err), 0) end
    f:write("steps,episodes,mean_return_100,wall_s\n")
    log.csv = f
  end
  return log
end

-- An episode with return ret ended; the learner has taken `steps` environment steps.
function Log:episode(ret, steps)
  self.steps = steps
  self.episodes = self.episodes + 1
  local w = self.window
  local slot = (self.episodes - 1) % 100 + 1
  self.wsum = self.wsum - (w[slot] or 0) + ret
  w[slot] = ret
  self.mean = self.wsum / #w
  local wall = now() - self.t0
  if self.csv then
    self.csv:write(string.format("%d,%d,%.6g,%.3f\n", steps, self.episodes, self.mean, wall))
    -- Flushed about once a second, so `tail -f curve.csv` follows a run.
    if wall - (self.flushed or 0) >= 1 then self.csv:flush(); self.flushed = wall end
  end
  if self.rows then self.rows[#self.rows + 1] = self.mean end
  if self.target and #w == 100 and self.mean >= self.target then self.solved = true end
  self:tick(steps)
end

-- The live progress line on stderr, at most 4 times a second.
function Log:tick(steps)
  self.steps = steps
  if not self.progress then return end
  local t = now() - self.t0
  if t - self.last_print < 0.25 then return end
  self.last_print = t
  local mean = self.episodes > 0 and string.format("%8.2f", self.mean) or "       -"
  io.stderr:write(string.format("\r%9d steps  %7.0f steps/s  %6d episodes  mean return (last 100) %s ",
    steps, steps / math.max(t, 1e-9), self.episodes, mean))
  io.stderr:flush()
end

-- Whether training should stop: the budget is spent or the target is reached.
function Log:done()
  return self.solved or self.steps >= self.max_steps
end

function Log:close()
  if self.progress then
    self.last_print = -1
    self:tick(self.steps)
    io.stderr:write("\n")
  end
  if self.csv then self.csv:close(); self.csv = nil end
end

-- The checkpoint: the actor's Linear layers as policy.K.weight / policy.K.bias, and
-- the environment and algorithm as the names of two one-element tensors (torch.save
-- keeps tensors only), so `eval` needs nothing but the file.
function U.checkpoint(model, env_id, algo)
  local t = {}
  for k, lin in ipairs(U.linears(model)) do
    t["policy." .. k .. ".weight"] = lin.weight:clone()
    t["policy." .. k .. ".bias"] = lin.bias:clone()
  end
  t["tsunami.env." .. env_id] = torch.zeros(1)
  t["tsunami.algo." .. algo] = torch.zeros(1)
  return t
end

-- tsunami.train{algo=, env=, steps=, seed=, target=, out=, workers=, nodes=, progress=}
--   -> {steps=, episodes=, mean_return_100=, solved=, wall_s=, policy=<network>}
function M.train(opts)
  if type(opts) ~= "table" then error("tsunami.train: expected a table of options", 2) end
  local algo = opts.algo
  if type(algo) ~= "string" or not ALGOS[algo] then
    error("tsunami.train: algo must be one of ppo, dqn, a3c, mbrl (got " .. tostring(algo) .. ")", 2)
  end
  if type(opts.env) ~= "string" then error("tsunami.train: env must be an id string", 2) end
  if opts.nodes ~= nil and algo ~= "a3c" then
    error("tsunami.train: nodes (workers on other nodes) is for a3c only", 2)
  end
  local steps = opts.steps or 100000
  if type(steps) ~= "number" or steps < 1 or steps ~= math.floor(steps) or steps > 2 ^ 50 then
    error("tsunami.train: steps must be a positive integer", 2)
  end
  local seed = opts.seed or 0
  if type(seed) ~= "number" or seed < 0 or seed ~= math.floor(seed) or seed > 2 ^ 31 then
    error("tsunami.train: seed must be an integer in [0, 2^31]", 2)
  end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.steps, o.seed = steps, seed
  U.check_env(o.env)
  torch.manualSeed(seed)
  math.randomseed(seed)
  local log = U.log(o)
  local ok, model = pcall(tsunami[algo].train, o, log)
  log:close()
  if not ok then error(model, 0) end
  if o.out then
    local checkpoint = tsunami[algo].checkpoint or U.checkpoint
    torch.save(o.out .. "/policy.safetensors", checkpoint(model, o.env, algo))
  end
  return {
    steps = log.steps, episodes = log.episodes, mean_return_100 = log.mean,
    solved = log.solved, wall_s = now() - log.t0, policy = model, curve = log.rows,
    info = log.info,
  }
end

-- tsunami.load(path [, {prior=f}]) -> policy with policy:act(obs) (greedy, or planned
-- for mbrl) and policy.env (its id). An mbrl agent trained with a physics prior needs
-- that prior again.
function M.load(path, opts)
  local t = torch.load(path)
  if type(t) ~= "table" then error("tsunami.load: " .. path .. " is not a tsunami checkpoint", 2) end
  local env_id, algo
  for k in pairs(t) do
    env_id = env_id or k:match("^tsunami%.env%.(.+)$")
    algo = algo or k:match("^tsunami%.algo%.(.+)$")
  end
  if not env_id then error("tsunami.load: " .. path .. " names no environment (not a tsunami checkpoint)", 2) end
  if algo == "mbrl" then
    local policy = tsunami.mbrl.policy(t, env_id, path, type(opts) == "table" and opts.prior or nil)
    policy.algo = algo
    return policy
  end
  local layers = {}
  while t["policy." .. (#layers + 1) .. ".weight"] do
    local k = #layers + 1
    local w, b = t["policy." .. k .. ".weight"], t["policy." .. k .. ".bias"]
    if not b or w:dim() ~= 2 or b:dim() ~= 1 or b:size(1) ~= w:size(1) then
      error("tsunami.load: layer " .. k .. " of " .. path .. " is malformed", 2)
    end
    if k > 1 and w:size(2) ~= layers[k - 1][1]:size(1) then
      error("tsunami.load: layer " .. k .. " of " .. path .. " does not fit the layer before it", 2)
    end
    layers[k] = { w, b }
  end
  if #layers == 0 then error("tsunami.load: " .. path .. " has no policy layers", 2) end
  local sizes = { layers[1][1]:size(2) }
  for k, l in ipairs(layers) do sizes[k + 1] = l[1]:size(1) end
  local model = U.mlp(sizes)
  for k, lin in ipairs(U.linears(model)) do
    lin.weight:copy(layers[k][1])
    lin.bias:copy(layers[k][2])
  end
  return {
    env = env_id, algo = algo, model = model,
    -- The greedy action (0-based, as the environment takes it).
    act = function(self, obs)
      local out = self.model:forward(torch.Tensor(obs)):totable()
      return U.argmax(out) - 1
    end,
  }
end

-- tsunami.eval(path, episodes [, seed [, load_opts]]) -> mean return, list of returns
function M.eval(path, episodes, seed, load_opts)
  episodes = episodes or 100
  if type(episodes) ~= "number" or episodes < 1 or episodes ~= math.floor(episodes) or episodes > 1e7 then
    error("tsunami.eval: episodes must be a positive integer", 2)
  end
  local policy = M.load(path, load_opts)
  local env = tsunami.make(policy.env)
  local returns, sum = {}, 0
  for e = 1, episodes do
    local obs = env:reset((seed or 0) + e - 1)
    if policy.reset then policy:reset() end
    local total = 0
    while true do
      local o, r, term, trunc = env:step(policy:act(obs))
      obs, total = o, total + r
      if term or trunc then break end
    end
    returns[e], sum = total, sum + total
  end
  return sum / episodes, returns
end
