//! A numerical gradient check of every module and criterion of `nn`: the gradients
//! candle's autograd gives through `backward` against central finite differences.
//!
//! In f64: each input element and each parameter is moved by h = 1e-6 either way; for
//! a module the differentiated function is `sum(output * gradOutput)` with a fixed
//! random `gradOutput`, for a criterion the loss. Tolerance: |autograd - numeric| <=
//! 1e-6 * max(1, |numeric|) (the central difference errs by O(h^2) from the third
//! derivative and O(eps/h) ~ 1e-10 from rounding, both far below it). Inputs keep
//! clear of ReLU's kink and of max-pooling ties; dropout's mask is held fixed by
//! reseeding the generator before every forward pass.

mod common;

/// Lua defining `check(make, x, target)`: the largest relative error over the input
/// and the parameters, and how many values were checked.
const CHECK: &str = r#"
local h, seed = 1e-6, 7
local function flat(t) return t:contiguous():view(t:nElement()) end
local function sumprod(a, b) return torch.cmul(a:contiguous():view(a:nElement()), flat(b)):sum() end
local function worst(a, n, err)
  local d = math.abs(a - n) / math.max(1, math.abs(n))
  return math.max(err, d)
end
function check(m, x, target)
  local f, go
  if target ~= nil then
    f = function() torch.manualSeed(seed); return m:forward(x, target) end
  else
    torch.manualSeed(seed)
    local out = m:forward(x)
    go = torch.randn(out:size())
    f = function() torch.manualSeed(seed); return sumprod(m:forward(x), go) end
  end
  -- autograd
  local params, grads
  if m.parameters then params, grads = m:parameters() end
  params = params or {}
  for _, g in ipairs(grads or {}) do g:zero() end
  f()
  local gx
  if target ~= nil then gx = m:backward(x, target):clone()
  else gx = m:backward(x, go):clone() end
  local err, n = 0, 0
  local function numeric(t, analytic)
    local tf, af = flat(t), flat(analytic)
    assert(t:isContiguous())
    for i = 1, tf:nElement() do
      local v = tf[i]
      tf[i] = v + h; local fp = f()
      tf[i] = v - h; local fm = f()
      tf[i] = v
      err = worst(af[i], (fp - fm) / (2 * h), err)
      n = n + 1
    end
  end
  numeric(x, gx)
  local gcopy = {}
  for i, g in ipairs(grads or {}) do gcopy[i] = g:clone() end
  for i, p in ipairs(params) do numeric(p, gcopy[i]) end
  return err, n
end
"#;

fn check(name: &str, setup: &str) {
    let src = format!(
        "{CHECK}\ntorch.manualSeed(1)\n{setup}\nlocal e, n = check(m, x, target)\nreturn e .. ' ' .. n"
    );
    let out = common::eval(&src).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (err, n) = out.split_once(' ').expect("two numbers");
    let err: f64 = err.parse().expect("error");
    let n: usize = n.parse().expect("count");
    assert!(n > 0, "{name}: nothing checked");
    assert!(err <= 1e-6, "{name}: relative error {err} over {n} values");
}

/// Inputs away from 0 (ReLU's kink): |x| in [0.2, 1.2].
const AWAY_FROM_ZERO: &str =
    "local function away(...) local r = torch.rand(...); local s = torch.rand(...); \
     local t = r:add(0.2); local sv = s:view(s:nElement()); local tv = t:view(t:nElement()); \
     for i = 1, tv:nElement() do if sv[i] < 0.5 then tv[i] = -tv[i] end end; return t end";

#[test]
fn linear() {
    check("linear batch", "m = nn.Linear(4, 3); x = torch.randn(5, 4)");
    check("linear vector", "m = nn.Linear(4, 3); x = torch.randn(4)");
    check(
        "linear without bias",
        "m = nn.Linear(3, 2, false); x = torch.randn(2, 3)",
    );
}

#[test]
fn activations() {
    check(
        "relu",
        &format!("{AWAY_FROM_ZERO}; m = nn.ReLU(); x = away(3, 4)"),
    );
    check("tanh", "m = nn.Tanh(); x = torch.randn(3, 4)");
    check("sigmoid", "m = nn.Sigmoid(); x = torch.randn(3, 4)");
    check("softmax batch", "m = nn.SoftMax(); x = torch.randn(3, 5)");
    check("softmax vector", "m = nn.SoftMax(); x = torch.randn(5)");
    check("logsoftmax", "m = nn.LogSoftMax(); x = torch.randn(3, 5)");
    check(
        "logsoftmax vector",
        "m = nn.LogSoftMax(); x = torch.randn(4)",
    );
}

#[test]
fn dropout_and_view() {
    check(
        "dropout training",
        "m = nn.Dropout(0.4); x = torch.randn(4, 5)",
    );
    check(
        "dropout evaluate",
        "m = nn.Dropout(0.4):evaluate(); x = torch.randn(4, 5)",
    );
    check("view", "m = nn.View(6); x = torch.randn(2, 3)");
    check("view batch", "m = nn.View(-1, 2); x = torch.randn(3, 2, 2)");
}

#[test]
fn convolution_and_pooling() {
    check(
        "conv",
        "m = nn.SpatialConvolution(2, 3, 3, 3); x = torch.randn(2, 5, 5)",
    );
    check(
        "conv batch strided padded",
        "m = nn.SpatialConvolution(2, 2, 3, 3, 2, 2, 1, 1); x = torch.randn(2, 2, 5, 5)",
    );
    check(
        "maxpool",
        "m = nn.SpatialMaxPooling(2, 2); x = torch.randn(2, 4, 6)",
    );
}

#[test]
fn containers() {
    check(
        "mlp",
        "m = nn.Sequential():add(nn.Linear(3, 5)):add(nn.Tanh()):add(nn.Linear(5, 4))\
         :add(nn.Sigmoid()):add(nn.Linear(4, 2)):add(nn.LogSoftMax()); x = torch.randn(3, 3)",
    );
    check(
        "nested",
        "m = nn.Sequential():add(nn.Sequential():add(nn.Linear(3, 3)):add(nn.Tanh()))\
         :add(nn.Sequential():add(nn.View(3)):add(nn.Linear(3, 2))); x = torch.randn(2, 3)",
    );
    check(
        "convnet",
        "m = nn.Sequential():add(nn.SpatialConvolution(1, 2, 3, 3)):add(nn.Tanh())\
         :add(nn.SpatialMaxPooling(2, 2)):add(nn.View(8)):add(nn.Linear(8, 3))\
         :add(nn.LogSoftMax()); x = torch.randn(2, 1, 6, 6)",
    );
}

#[test]
fn criteria() {
    check(
        "mse",
        "m = nn.MSECriterion(); x = torch.randn(3, 4); target = torch.randn(3, 4)",
    );
    check(
        "mse summed",
        "m = nn.MSECriterion(false); x = torch.randn(5); target = torch.randn(5)",
    );
    check(
        "classnll",
        "m = nn.ClassNLLCriterion(); x = torch.randn(4, 3); target = torch.Tensor{3, 1, 2, 3}",
    );
    check(
        "classnll vector",
        "m = nn.ClassNLLCriterion(); x = torch.randn(4); target = 2",
    );
    check(
        "crossentropy",
        "m = nn.CrossEntropyCriterion(); x = torch.randn(4, 3); target = torch.Tensor{2, 2, 1, 3}",
    );
}
