-- optim: Torch7's optimisers, with its signature:
--   x, {fx} = optim.method(feval, x [, config [, state]])
-- feval(x) returns f(x) and df/dx (a tensor of x's size); x is updated in place.
-- config holds the hyper-parameters, state what the method carries between calls
-- (state defaults to config, as in Torch7). The update arithmetic of adam and
-- rmsprop is native (`native.adam`, `native.rmsprop`, in src/optim.rs). Each
-- process runs this on first use of `optim` (src/lazy.rs).

local optim = ...
local native = optim._natives
optim._natives = nil
local torch = native.torch

local function evaluate(opfunc, x, name)
  if type(opfunc) ~= 'function' then
    error(name .. ': function expected as argument #1', 3)
  end
  if not torch.isTensor(x) then
    error(name .. ': tensor expected as argument #2', 3)
  end
  local fx, dfdx = opfunc(x)
  if not torch.isTensor(dfdx) then
    error(name .. ': feval must return f(x) and df/dx (a tensor)', 3)
  end
  if dfdx:nElement() ~= x:nElement() then
    error(string.format('%s: df/dx has %d elements, x has %d', name, dfdx:nElement(), x:nElement()), 3)
  end
  return fx, dfdx
end

-- A tensor of zeros of x's type and size.
local function zeros_like(x)
  return x:clone():zero()
end

-- sgd: learningRate (1e-3), learningRateDecay (0), weightDecay (0), momentum (0),
-- dampening (= momentum), nesterov (false), and per-element learningRates and
-- weightDecays (tensors of x's size); state.evalCounter, state.dfdx.
function optim.sgd(opfunc, x, config, state)
  config = config or {}
  state = state or config
  local lr = config.learningRate or 1e-3
  local lrd = config.learningRateDecay or 0
  local wd = config.weightDecay or 0
  local mom = config.momentum or 0
  local damp = config.dampening or mom
  local nesterov = config.nesterov or false
  state.evalCounter = state.evalCounter or 0
  if nesterov and (mom <= 0 or damp ~= 0) then
    error('optim.sgd: Nesterov momentum requires a momentum and zero dampening', 2)
  end
  local lrs, wds = config.learningRates, config.weightDecays
  local fx, dfdx = evaluate(opfunc, x, 'optim.sgd')
  if wd ~= 0 then dfdx:add(wd, x) end
  if wds then dfdx:add(torch.cmul(wds, x)) end
  if mom ~= 0 then
    if not state.dfdx then
      state.dfdx = dfdx:clone()
    else
      state.dfdx:mul(mom):add(1 - damp, dfdx)
    end
    if nesterov then
      dfdx:add(mom, state.dfdx)
    else
      dfdx = state.dfdx
    end
  end
  local clr = lr / (1 + state.evalCounter * lrd)
  if lrs then
    x:add(-clr, torch.cmul(lrs, dfdx))
  else
    x:add(-clr, dfdx)
  end
  state.evalCounter = state.evalCounter + 1
  return x, { fx }
end

-- adam: learningRate (1e-3), learningRateDecay (0), beta1 (0.9), beta2 (0.999),
-- epsilon (1e-8), weightDecay (0); state.t, state.m, state.v.
function optim.adam(opfunc, x, config, state)
  config = config or {}
  state = state or config
  local lr = config.learningRate or 1e-3
  local lrd = config.learningRateDecay or 0
  local beta1 = config.beta1 or 0.9
  local beta2 = config.beta2 or 0.999
  local epsilon = config.epsilon or 1e-8
  local wd = config.weightDecay or 0
  local fx, dfdx = evaluate(opfunc, x, 'optim.adam')
  if wd ~= 0 then dfdx:add(wd, x) end
  state.t = state.t or 0
  state.m = state.m or zeros_like(x)
  state.v = state.v or zeros_like(x)
  local clr = lr / (1 + state.t * lrd)
  state.t = state.t + 1
  native.adam(x, dfdx, state.m, state.v, clr, beta1, beta2, epsilon, state.t)
  return x, { fx }
end

-- rmsprop: learningRate (1e-2), alpha (0.99), epsilon (1e-8), weightDecay (0),
-- initialMean (0); state.m.
function optim.rmsprop(opfunc, x, config, state)
  config = config or {}
  state = state or config
  local lr = config.learningRate or 1e-2
  local alpha = config.alpha or 0.99
  local epsilon = config.epsilon or 1e-8
  local wd = config.weightDecay or 0
  local mfill = config.initialMean or 0
  local fx, dfdx = evaluate(opfunc, x, 'optim.rmsprop')
  if wd ~= 0 then dfdx:add(wd, x) end
  state.m = state.m or zeros_like(x):fill(mfill)
  native.rmsprop(x, dfdx, state.m, lr, alpha, epsilon)
  return x, { fx }
end

return optim
