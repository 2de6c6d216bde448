-- nn: Torch7's neural network modules and criteria, on cube-torch.
--
-- The classes and the module protocol are here, in Lua, as in Torch7; the
-- computations are natives (`native.forward`, `native.criterion`) that record a
-- candle graph, and gradients come from candle's autograd on that graph
-- (`native.backward`): see src/nn/mod.rs for how forward/backward map onto it.
-- Containers loop over their modules; nesting them costs Lua frames only.
-- Each process runs this on first use of `nn` (src/lazy.rs), with its own `nn`
-- table as the argument and the natives (and `torch`) in its field `_natives`.

local nn = ...
local native = nn._natives
nn._natives = nil
local G = _ENV
local torch = native.torch

local function instance_tostring(o)
  return o:__tostring__()
end

-- A class: a table that is the metatable of its instances, callable to make one
-- (`nn.Linear(2, 3)` runs `__init`), looking up what it lacks in `parent`.
local function class(name, parent)
  local cls = { __typename = name, __tostring = instance_tostring }
  cls.__index = cls
  setmetatable(cls, {
    __index = parent,
    __call = function(c, ...)
      local o = setmetatable({}, c)
      o:__init(...)
      return o
    end,
  })
  return cls
end

-- The table a dotted name ('nn.Linear') names, from the globals.
local function lookup(name)
  local t = G
  for part in string.gmatch(name, '[^.]+') do
    if type(t) ~= 'table' then return nil end
    t = t[part]
  end
  return t
end

-- torch.class('nn.MyModule', 'nn.Module'), Torch7's way to define a class (the
-- class is stored under its dotted name and returned with its parent). torch.class
-- is a native that loads nn, then calls this.
function nn._class(name, parentName)
  if type(name) ~= 'string' then error('torch.class: class name expected', 2) end
  local parent
  if parentName ~= nil then
    parent = lookup(parentName)
    if type(parent) ~= 'table' then error('torch.class: unknown parent class ' .. tostring(parentName), 2) end
  end
  local cls = class(name, parent)
  local pkg, short = string.match(name, '^(.*)%.([^.]+)$')
  local home = G
  if pkg then
    home = lookup(pkg)
    if type(home) ~= 'table' then error('torch.class: unknown package ' .. pkg, 2) end
  end
  home[short or name] = cls
  return cls, parent
end

local function check_number(x, what)
  if type(x) ~= 'number' then
    error(string.format('%s: number expected, got %s', what, type(x)), 3)
  end
  return x
end

local function check_count(x, what)
  check_number(x, what)
  if x < 1 or x ~= math.floor(x) then
    error(string.format('%s: whole number >= 1 expected, got %s', what, tostring(x)), 3)
  end
  return x
end

-- ----- Module -----

local Module = class('nn.Module')
nn.Module = Module

function Module:__init()
  self.gradInput = torch.Tensor()
  self.output = torch.Tensor()
  self.train = true
end

function Module:__tostring__()
  return self.__typename
end

-- The parameters and their gradients, two lists in the same order (nil, nil for a
-- module without parameters).
function Module:parameters()
  if self.weight and self.bias then
    return { self.weight, self.bias }, { self.gradWeight, self.gradBias }
  elseif self.weight then
    return { self.weight }, { self.gradWeight }
  elseif self.bias then
    return { self.bias }, { self.gradBias }
  end
end

function Module:forward(input)
  return self:updateOutput(input)
end

function Module:backward(input, gradOutput, scale)
  scale = scale or 1
  self:updateGradInput(input, gradOutput)
  self:accGradParameters(input, gradOutput, scale)
  return self.gradInput
end

function Module:updateOutput(input)
  return self.output
end

function Module:updateGradInput(input, gradOutput)
  return self.gradInput
end

function Module:accGradParameters(input, gradOutput, scale)
end

function Module:zeroGradParameters()
  local _, grads = self:parameters()
  if grads then
    for i = 1, #grads do grads[i]:zero() end
  end
end

function Module:updateParameters(learningRate)
  check_number(learningRate, 'updateParameters')
  local params, grads = self:parameters()
  if params then
    for i = 1, #params do params[i]:add(-learningRate, grads[i]) end
  end
end

function Module:training()
  self.train = true
  return self
end

function Module:evaluate()
  self.train = false
  return self
end

-- The module with its tensors converted to `typename` ('torch.FloatTensor' or
-- 'torch.DoubleTensor'); containers convert their modules. The last forward's
-- record is dropped (it holds the old type).
function Module:type(typename)
  for _, k in ipairs({ 'weight', 'bias', 'gradWeight', 'gradBias', 'output', 'gradInput' }) do
    if torch.isTensor(self[k]) then self[k] = self[k]:type(typename) end
  end
  self._graph, self._input = nil, nil
  if self.modules then
    for _, m in ipairs(self.modules) do m:type(typename) end
  end
  return self
end

function Module:float()
  return self:type('torch.FloatTensor')
end

function Module:double()
  return self:type('torch.DoubleTensor')
end

-- A deep copy: new tensors with the same values, the same classes, and the same
-- sharing inside the copy (a table reached twice is copied once). The last
-- forward's record is not copied.
function Module:clone()
  local seen = {}
  local function copy(v)
    if torch.isTensor(v) then
      if not seen[v] then seen[v] = v:clone() end
      return seen[v]
    end
    if type(v) ~= 'table' then return v end
    if seen[v] then return seen[v] end
    local c = {}
    seen[v] = c
    for k, x in pairs(v) do
      if k ~= '_graph' and k ~= '_input' and k ~= '_target' then c[copy(k)] = copy(x) end
    end
    return setmetatable(c, getmetatable(v))
  end
  return copy(self)
end

-- One flat parameter tensor and one flat gradient tensor; the modules' own tensors
-- become views of them, so updating the flat tensor updates the modules (Torch7).
-- Call it once per network: a second call makes new flat tensors.
function Module:getParameters()
  local params, grads = self:parameters()
  return native.flatten(params or {}), native.flatten(grads or {})
end

-- ----- modules computed by a recorded candle graph -----

-- Runs the native computation `kind` on `input` (and the extra arguments), keeping
-- the graph for backward.
local function record(self, input, kind, ...)
  local output, graph = native.forward(kind, input, ...)
  self.output, self._graph, self._input = output, graph, input
  return output
end

-- The gradients of the recorded graph for `gradOutput` (input first, then the
-- parameters); records a pass on `input` first if it is not the last one's.
local function gradients(self, input, gradOutput)
  if self._graph == nil or not rawequal(self._input, input) then
    self:updateOutput(input)
  end
  return native.backward(self._graph, gradOutput)
end

local function accumulate(self, grads, scale)
  local _, own = self:parameters()
  if own then
    for i = 1, #own do own[i]:add(scale or 1, grads[i + 1]) end
  end
end

local Graphed = class('nn.GraphedModule', Module)

function Graphed:updateGradInput(input, gradOutput)
  self.gradInput = (gradients(self, input, gradOutput))
  return self.gradInput
end

function Graphed:accGradParameters(input, gradOutput, scale)
  accumulate(self, { gradients(self, input, gradOutput) }, scale)
end

-- One backward pass of the graph gives gradInput and the parameter gradients.
function Graphed:backward(input, gradOutput, scale)
  local grads = { gradients(self, input, gradOutput) }
  self.gradInput = grads[1]
  accumulate(self, grads, scale)
  return self.gradInput
end

-- Linear(inputSize, outputSize [, bias = true])
local Linear = class('nn.Linear', Graphed)
nn.Linear = Linear

function Linear:__init(inputSize, outputSize, bias)
  Module.__init(self)
  check_count(inputSize, 'nn.Linear')
  check_count(outputSize, 'nn.Linear')
  self.weight = torch.zeros(outputSize, inputSize)
  self.gradWeight = torch.zeros(outputSize, inputSize)
  if bias ~= false then
    self.bias = torch.zeros(outputSize)
    self.gradBias = torch.zeros(outputSize)
  end
  self:reset()
end

-- Uniform in [-stdv, stdv], stdv = 1/sqrt(inputSize) by default, as Torch7.
function Linear:reset(stdv)
  stdv = stdv or 1 / math.sqrt(self.weight:size(2))
  self.weight:copy(torch.rand(self.weight:size()):mul(2 * stdv):add(-stdv))
  if self.bias then
    self.bias:copy(torch.rand(self.bias:size()):mul(2 * stdv):add(-stdv))
  end
  return self
end

function Linear:updateOutput(input)
  return record(self, input, 'linear', self.weight, self.bias)
end

function Linear:__tostring__()
  return string.format('nn.Linear(%d -> %d%s)', self.weight:size(2), self.weight:size(1),
    self.bias and '' or ' without bias')
end

local function activation(name, kind)
  local cls = class(name, Graphed)
  function cls:updateOutput(input)
    return record(self, input, kind)
  end
  return cls
end

nn.ReLU = activation('nn.ReLU', 'relu')
nn.Tanh = activation('nn.Tanh', 'tanh')
nn.Sigmoid = activation('nn.Sigmoid', 'sigmoid')
nn.SoftMax = activation('nn.SoftMax', 'softmax')
nn.LogSoftMax = activation('nn.LogSoftMax', 'logsoftmax')

-- Dropout(p = 0.5): at training time zeroes each element with probability p and
-- scales the others by 1/(1-p) (Torch7's default); the identity at evaluation.
local Dropout = class('nn.Dropout', Graphed)
nn.Dropout = Dropout

function Dropout:__init(p)
  Module.__init(self)
  self.p = p or 0.5
  check_number(self.p, 'nn.Dropout')
  if self.p < 0 or self.p >= 1 then
    error(string.format('nn.Dropout: probability %s out of range [0, 1)', tostring(self.p)), 2)
  end
end

function Dropout:updateOutput(input)
  return record(self, input, 'dropout', self.train and self.p or 0)
end

function Dropout:__tostring__()
  return string.format('nn.Dropout(%g)', self.p)
end

-- View(sizes...): the input's elements with these sizes; one size may be -1. An
-- input holding several copies of the sizes is a batch of them (the batch size is
-- put in front); setNumInputDims(n) says the last n input dimensions are one example.
local View = class('nn.View', Graphed)
nn.View = View

function View:__init(...)
  Module.__init(self)
  local sizes = { ... }
  if #sizes == 1 and type(sizes[1]) ~= 'number' then
    sizes = sizes[1]:totable()
  end
  for i = 1, #sizes do
    local s = sizes[i]
    if type(s) ~= 'number' or not (s == -1 or (s >= 1 and s == math.floor(s))) then
      error('nn.View: sizes must be whole numbers >= 1 or -1', 2)
    end
  end
  self.size = sizes
end

function View:setNumInputDims(n)
  self.numInputDims = n
  return self
end

-- Torch7's rule: the last numInputDims sizes of the input (all of them by default)
-- hold some number of copies of the view; that number, times the sizes before them,
-- is a batch size put in front, unless it is 1 (and the input has no dimension
-- beyond numInputDims). With a -1 size the copies are one and -1 takes the rest.
local function view_sizes(self, input)
  local n, dims = input:nElement(), input:dim()
  local known, hole = 1, nil
  for i, s in ipairs(self.size) do
    if s == -1 then
      if hole then error('nn.View: only one size can be -1', 3) end
      hole = i
    else
      known = known * s
    end
  end
  local kept = math.min(self.numInputDims or dims, dims)
  local inner = 1
  for d = dims - kept + 1, dims do inner = inner * input:size(d) end
  local function bad()
    error(string.format('nn.View: cannot view an input of %d elements as %s', n, table.concat(self.size, 'x')), 4)
  end
  if inner % known ~= 0 then bad() end
  local batch = hole and 1 or inner / known
  for d = dims - kept, 1, -1 do batch = batch * input:size(d) end
  local out = {}
  if not (batch == 1 and (not self.numInputDims or dims <= self.numInputDims)) then
    out[1] = batch
  end
  for _, s in ipairs(self.size) do out[#out + 1] = s end
  if hole then
    local rest = n / (batch * known)
    if rest ~= math.floor(rest) or rest < 1 then bad() end
    out[hole + (#out - #self.size)] = rest
  end
  return out
end

function View:updateOutput(input)
  return record(self, input, 'view', view_sizes(self, input))
end

function View:__tostring__()
  return 'nn.View(' .. table.concat(self.size, ', ') .. ')'
end

-- SpatialConvolution(nInputPlane, nOutputPlane, kW, kH [, dW, dH, padW, padH]) on
-- [planes x h x w] or [batch x planes x h x w]; candle has one stride and one padding
-- for both axes, so dW must equal dH and padW padH.
local Conv = class('nn.SpatialConvolution', Graphed)
nn.SpatialConvolution = Conv

function Conv:__init(nIn, nOut, kW, kH, dW, dH, padW, padH)
  Module.__init(self)
  for _, x in ipairs({ nIn, nOut, kW, kH }) do check_count(x, 'nn.SpatialConvolution') end
  dW = dW or 1
  dH = dH or dW
  padW = padW or 0
  padH = padH or padW
  if dW ~= dH or padW ~= padH then
    error('nn.SpatialConvolution: the strides and the paddings of both axes must be equal', 2)
  end
  self.nInputPlane, self.nOutputPlane = nIn, nOut
  self.kW, self.kH, self.dW, self.dH, self.padW, self.padH = kW, kH, dW, dH, padW, padH
  self.weight = torch.zeros(nOut, nIn, kH, kW)
  self.gradWeight = torch.zeros(nOut, nIn, kH, kW)
  self.bias = torch.zeros(nOut)
  self.gradBias = torch.zeros(nOut)
  self:reset()
end

function Conv:reset(stdv)
  stdv = stdv or 1 / math.sqrt(self.kW * self.kH * self.nInputPlane)
  self.weight:copy(torch.rand(self.weight:size()):mul(2 * stdv):add(-stdv))
  self.bias:copy(torch.rand(self.bias:size()):mul(2 * stdv):add(-stdv))
  return self
end

function Conv:updateOutput(input)
  return record(self, input, 'conv', self.weight, self.bias, self.dW, self.padW)
end

function Conv:__tostring__()
  return string.format('nn.SpatialConvolution(%d -> %d, %dx%d, %d,%d, %d,%d)', self.nInputPlane,
    self.nOutputPlane, self.kW, self.kH, self.dW, self.dH, self.padW, self.padH)
end

-- SpatialMaxPooling(kW, kH [, dW = kW, dH = kH]); candle differentiates only pooling
-- whose stride is its kernel.
local Pool = class('nn.SpatialMaxPooling', Graphed)
nn.SpatialMaxPooling = Pool

function Pool:__init(kW, kH, dW, dH)
  Module.__init(self)
  check_count(kW, 'nn.SpatialMaxPooling')
  check_count(kH, 'nn.SpatialMaxPooling')
  self.kW, self.kH, self.dW, self.dH = kW, kH, dW or kW, dH or kH
  if self.dW ~= kW or self.dH ~= kH then
    error('nn.SpatialMaxPooling: only a stride equal to the kernel size is supported', 2)
  end
end

function Pool:updateOutput(input)
  return record(self, input, 'maxpool', self.kW, self.kH, self.dW, self.dH)
end

function Pool:__tostring__()
  return string.format('nn.SpatialMaxPooling(%dx%d, %d,%d)', self.kW, self.kH, self.dW, self.dH)
end

-- ----- containers -----

local Container = class('nn.Container', Module)
nn.Container = Container

function Container:__init()
  Module.__init(self)
  self.modules = {}
end

function Container:add(module)
  if type(module) ~= 'table' or type(module.forward) ~= 'function' then
    error('add: a module expected', 2)
  end
  self.modules[#self.modules + 1] = module
  return self
end

function Container:get(i)
  return self.modules[i]
end

function Container:size()
  return #self.modules
end

function Container:parameters()
  local params, grads = {}, {}
  for _, m in ipairs(self.modules) do
    local p, g = m:parameters()
    if p then
      for i = 1, #p do
        params[#params + 1] = p[i]
        grads[#grads + 1] = g[i]
      end
    end
  end
  return params, grads
end

function Container:training()
  self.train = true
  for _, m in ipairs(self.modules) do m:training() end
  return self
end

function Container:evaluate()
  self.train = false
  for _, m in ipairs(self.modules) do m:evaluate() end
  return self
end

function Container:zeroGradParameters()
  for _, m in ipairs(self.modules) do m:zeroGradParameters() end
end

function Container:updateParameters(learningRate)
  for _, m in ipairs(self.modules) do m:updateParameters(learningRate) end
end

local Sequential = class('nn.Sequential', Container)
nn.Sequential = Sequential

function Sequential:updateOutput(input)
  local current = input
  for i = 1, #self.modules do
    current = self.modules[i]:updateOutput(current)
  end
  self.output = current
  return current
end

-- Module i gets the output of module i-1 as its input, as in Torch7.
local function input_of(self, i, input)
  if i == 1 then return input end
  return self.modules[i - 1].output
end

function Sequential:updateGradInput(input, gradOutput)
  local g = gradOutput
  for i = #self.modules, 1, -1 do
    g = self.modules[i]:updateGradInput(input_of(self, i, input), g)
  end
  self.gradInput = g
  return g
end

function Sequential:accGradParameters(input, gradOutput, scale)
  local g = gradOutput
  for i = #self.modules, 1, -1 do
    local m = self.modules[i]
    m:accGradParameters(input_of(self, i, input), g, scale)
    g = m.gradInput
  end
end

function Sequential:backward(input, gradOutput, scale)
  local g = gradOutput
  for i = #self.modules, 1, -1 do
    g = self.modules[i]:backward(input_of(self, i, input), g, scale)
  end
  self.gradInput = g
  return g
end

function Sequential:__tostring__()
  local lines = { 'nn.Sequential {' }
  local chain = { '[input' }
  for i = 1, #self.modules do chain[#chain + 1] = '(' .. i .. ')' end
  chain[#chain + 1] = 'output]'
  lines[2] = '  ' .. table.concat(chain, ' -> ')
  for i, m in ipairs(self.modules) do
    local text = string.gsub(tostring(m), '\n', '\n  ')
    lines[#lines + 1] = string.format('  (%d): %s', i, text)
  end
  lines[#lines + 1] = '}'
  return table.concat(lines, '\n')
end

-- ----- criteria -----

local Criterion = class('nn.Criterion')
nn.Criterion = Criterion

function Criterion:__init()
  self.gradInput = torch.Tensor()
  self.output = 0
  self.sizeAverage = true
end

function Criterion:__tostring__()
  return self.__typename
end

function Criterion:forward(input, target)
  return self:updateOutput(input, target)
end

function Criterion:backward(input, target)
  return self:updateGradInput(input, target)
end

local function criterion(name, kind)
  local cls = class(name, Criterion)
  function cls:updateOutput(input, target)
    self.output, self._graph = native.criterion(kind, input, target, self.sizeAverage)
    self._input, self._target = input, target
    return self.output
  end
  function cls:updateGradInput(input, target)
    if self._graph == nil or not rawequal(self._input, input) or not rawequal(self._target, target) then
      self:updateOutput(input, target)
    end
    self.gradInput = native.backward(self._graph)
    return self.gradInput
  end
  return cls
end

-- MSECriterion([sizeAverage = true])
nn.MSECriterion = criterion('nn.MSECriterion', 'mse')
function nn.MSECriterion:__init(sizeAverage)
  Criterion.__init(self)
  if sizeAverage ~= nil then self.sizeAverage = sizeAverage end
end

local function no_weights(name, weights)
  if weights ~= nil then error(name .. ': class weights are not supported', 3) end
end

-- ClassNLLCriterion([weights, sizeAverage = true]): the input holds log-probabilities.
nn.ClassNLLCriterion = criterion('nn.ClassNLLCriterion', 'nll')
function nn.ClassNLLCriterion:__init(weights, sizeAverage)
  Criterion.__init(self)
  no_weights('nn.ClassNLLCriterion', weights)
  if sizeAverage ~= nil then self.sizeAverage = sizeAverage end
end

-- CrossEntropyCriterion(): LogSoftMax then ClassNLLCriterion, in one graph.
nn.CrossEntropyCriterion = criterion('nn.CrossEntropyCriterion', 'crossentropy')
function nn.CrossEntropyCriterion:__init(weights)
  Criterion.__init(self)
  no_weights('nn.CrossEntropyCriterion', weights)
end

return nn
