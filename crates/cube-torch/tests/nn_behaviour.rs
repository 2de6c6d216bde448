//! `nn` and `optim` as a Lua user meets them: the module protocol (parameters,
//! getParameters views, gradient accumulation, training/evaluate), optimisers on a
//! problem with a closed-form answer, training a network, and bad input (errors
//! naming the shapes, never a panic; deep nesting is no Rust stack overflow).

mod common;

use common::{error_of, eval};

fn ok(src: &str) -> String {
    eval(src).unwrap_or_else(|e| panic!("{src}\n  raised: {e}"))
}

fn expect(src: &str, needle: &str) {
    let e = error_of(src);
    assert!(e.contains(needle), "{src}\n  error {e:?} lacks {needle:?}");
}

#[test]
fn libraries_are_loaded_everywhere_torch_is() {
    assert_eq!(
        ok("return type(nn) .. type(optim) .. tostring(package.loaded.nn == nn) .. tostring(package.loaded.optim == optim)"),
        "tabletabletruetrue"
    );
}

#[test]
fn get_parameters_are_shared_views() {
    let src = r#"
torch.manualSeed(3)
local m = nn.Sequential():add(nn.Linear(3, 4)):add(nn.ReLU()):add(nn.Linear(4, 2, false))
local w0 = m:get(1).weight:clone()
local p, g = m:getParameters()
assert(p:nElement() == 3*4 + 4 + 4*2 and g:nElement() == p:nElement())
-- the values were kept
assert((m:get(1).weight - w0):abs():max() == 0)
-- writing the flat tensor writes the modules
p:fill(0.5)
assert(m:get(1).weight[2][3] == 0.5 and m:get(3).weight[2][4] == 0.5 and m:get(1).bias[4] == 0.5)
-- and the modules' gradients land in the flat gradient
g:zero()
local x = torch.randn(5, 3)
m:forward(x)
m:backward(x, torch.ones(5, 2))
assert(g:abs():sum() > 0)
assert(math.abs(g:sum() - (m:get(1).gradWeight:sum() + m:get(1).gradBias:sum() + m:get(3).gradWeight:sum())) < 1e-12)
local ws, gs = m:parameters()
return #ws .. ' ' .. #gs
"#;
    assert_eq!(ok(src), "3 3");
}

#[test]
fn gradients_accumulate_until_zeroed_and_update_parameters_steps() {
    let src = r#"
torch.manualSeed(4)
local m = nn.Linear(2, 2)
local x, go = torch.randn(3, 2), torch.randn(3, 2)
m:zeroGradParameters()
m:forward(x); m:backward(x, go)
local once = m.gradWeight:clone()
m:backward(x, go, 0.5)
assert((m.gradWeight - once * 1.5):abs():max() < 1e-12)
m:zeroGradParameters()
assert(m.gradWeight:abs():sum() == 0 and m.gradBias:abs():sum() == 0)
m:backward(x, go)
local w = m.weight:clone()
m:updateParameters(0.1)
assert((m.weight - (w - m.gradWeight * 0.1)):abs():max() < 1e-12)
-- updateGradInput and accGradParameters separately give the same as backward
local gi = m:updateGradInput(x, go):clone()
m:zeroGradParameters(); m:accGradParameters(x, go)
assert((m.gradWeight - once):abs():max() < 1e-12)
assert((gi - m:backward(x, go)):abs():max() < 1e-12)
-- backward with another input records that input first
local x2 = torch.randn(3, 2)
m:forward(x)
local a = m:backward(x2, go):clone()
m:forward(x2)
return tostring((a - m:backward(x2, go)):abs():max())
"#;
    assert_eq!(ok(src), "0");
}

#[test]
fn training_and_evaluate_switch_dropout() {
    let src = r#"
torch.manualSeed(5)
local m = nn.Sequential():add(nn.Dropout(0.5))
local x = torch.ones(1000)
local y = m:forward(x)
local zeros = 0
for i = 1, 1000 do
  assert(y[i] == 0 or y[i] == 2)
  if y[i] == 0 then zeros = zeros + 1 end
end
assert(zeros > 400 and zeros < 600, zeros)
m:evaluate()
assert(m:get(1).train == false)
assert(m:forward(x):sum() == 1000)
m:training()
return tostring(m:get(1).train)
"#;
    assert_eq!(ok(src), "true");
}

#[test]
fn outputs_and_gradients_are_fields() {
    let src = r#"
local m = nn.Tanh()
local x = torch.Tensor{0, 1}
local y = m:forward(x)
assert(rawequal(y, m.output))
local g = m:backward(x, torch.Tensor{1, 1})
assert(rawequal(g, m.gradInput))
return string.format('%.6f %.6f', g[1], g[2])
"#;
    assert_eq!(ok(src), "1.000000 0.419974");
}

/// A quadratic f(x) = 1/2 x'Ax - b'x with A symmetric positive definite: every
/// optimiser must reach A^-1 b.
const QUADRATIC: &str = r#"
local A = torch.Tensor{{3, 1, 0}, {1, 2, 0.5}, {0, 0.5, 1}}
local b = torch.Tensor{1, -2, 0.5}
local function feval(x)
  local Ax = torch.mv(A, x)
  return 0.5 * torch.dot(x, Ax) - torch.dot(b, x), Ax - b
end
-- A^-1 b, by solving the 3x3 system (Cramer's rule)
local function det3(m)
  return m[1][1]*(m[2][2]*m[3][3]-m[2][3]*m[3][2]) - m[1][2]*(m[2][1]*m[3][3]-m[2][3]*m[3][1])
       + m[1][3]*(m[2][1]*m[3][2]-m[2][2]*m[3][1])
end
local solution = torch.zeros(3)
for j = 1, 3 do
  local m = A:clone()
  for i = 1, 3 do m[i][j] = b[i] end
  solution[j] = det3(m) / det3(A)
end
local function run(method, config, steps)
  local x = torch.zeros(3)
  local fs
  for _ = 1, steps do _, fs = optim[method](feval, x, config) end
  return (x - solution):abs():max(), fs[1]
end
"#;

#[test]
fn optimisers_reach_the_minimum_of_a_quadratic() {
    // (method, config, steps, tolerance): RMSprop with a constant rate ends up
    // oscillating about the minimum by about its rate, hence its looser bound.
    let cases = [
        ("sgd", "{learningRate = 0.1}", 500, 1e-6),
        ("sgd", "{learningRate = 0.05, momentum = 0.9}", 500, 1e-6),
        (
            "sgd",
            "{learningRate = 0.05, momentum = 0.9, dampening = 0, nesterov = true}",
            500,
            1e-6,
        ),
        ("adam", "{learningRate = 0.05}", 3000, 1e-4),
        ("rmsprop", "{learningRate = 0.01}", 3000, 2e-2),
    ];
    for (method, config, steps, tol) in cases {
        let src = format!(
            "{QUADRATIC}\nlocal err, f = run('{method}', {config}, {steps})\nreturn err .. ' ' .. f"
        );
        let out = ok(&src);
        let err: f64 = out.split(' ').next().unwrap().parse().unwrap();
        assert!(err < tol, "{method} {config}: {out}");
    }
    // weight decay moves the minimum to (A + wd I)^-1 b: no longer A^-1 b
    let src =
        format!("{QUADRATIC}\nreturn (run('sgd', {{learningRate = 0.1, weightDecay = 0.5}}, 500))");
    let err: f64 = ok(&src).parse().unwrap();
    assert!(err > 0.05, "{err}");
}

#[test]
fn optim_state_and_signature() {
    let src = r#"
local x = torch.Tensor{1, 2}
local config, state = {learningRate = 0.5}, {}
local function feval(x) return x:dot(x), x * 2 end
local x2, fs = optim.sgd(feval, x, config, state)
assert(rawequal(x, x2) and type(fs) == 'table' and fs[1] == 5)
assert(state.evalCounter == 1 and config.evalCounter == nil)
optim.adam(feval, x, config, state)
assert(state.t == 1 and torch.isTensor(state.m) and torch.isTensor(state.v))
optim.rmsprop(feval, x, {}, state)
return tostring(torch.isTensor(state.m))
"#;
    assert_eq!(ok(src), "true");
    expect(
        "optim.sgd(function(x) return 0, torch.zeros(3) end, torch.zeros(2))",
        "df/dx has 3 elements, x has 2",
    );
    expect(
        "optim.adam(function(x) return 0 end, torch.zeros(2))",
        "feval must return f(x) and df/dx",
    );
    expect(
        "optim.sgd(function(x) return 0, x end, torch.zeros(2), {nesterov = true})",
        "Nesterov momentum requires a momentum",
    );
}

/// XOR with a 2-8-2 tanh network, full batch, trained by optim.sgd through
/// getParameters: deterministic under torch.manualSeed, and 100% accurate.
const XOR: &str = r#"
torch.manualSeed(42)
local inputs = torch.Tensor{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
local labels = torch.Tensor{1, 2, 2, 1}
local model = nn.Sequential():add(nn.Linear(2, 8)):add(nn.Tanh()):add(nn.Linear(8, 2))
local criterion = nn.CrossEntropyCriterion()
local params, grads = model:getParameters()
local config = {learningRate = 0.5, momentum = 0.9}
local loss
for epoch = 1, 300 do
  local function feval(p)
    grads:zero()
    local out = model:forward(inputs)
    local l = criterion:forward(out, labels)
    model:backward(inputs, criterion:backward(out, labels))
    return l, grads
  end
  local _, fs = optim.sgd(feval, params, config)
  loss = fs[1]
end
local correct = 0
local out = model:forward(inputs)
for i = 1, 4 do
  local _, k = out[i]:max(1)
  if k[1] == labels[i] then correct = correct + 1 end
end
return string.format('%d %.17g', correct, loss)
"#;

#[test]
fn an_mlp_learns_xor_deterministically() {
    let a = ok(XOR);
    let (correct, loss) = a.split_once(' ').unwrap();
    assert_eq!(correct, "4", "{a}");
    let loss: f64 = loss.parse().unwrap();
    assert!(loss < 0.05, "{a}");
    assert_eq!(ok(XOR), a, "same seed, same training");
}

#[test]
fn deep_nesting_is_no_rust_stack_overflow() {
    // 20000 nested Sequentials: forward, backward and parameters run in Lua frames
    // (no Rust recursion); too deep is a Lua error, never a crash.
    let src = r#"
local m = nn.Linear(2, 2)
for i = 1, 20000 do m = nn.Sequential():add(m) end
local ok1 = pcall(function() return m:forward(torch.randn(2)) end)
local ok2 = pcall(function() return m:backward(torch.randn(2), torch.randn(2)) end)
local ok3 = pcall(function() return m:getParameters() end)
local ok4, e4 = pcall(tostring, m)
return tostring(ok1 and ok2 and ok3) .. ' ' .. tostring(ok4) .. ' ' .. tostring(e4)
"#;
    // Printing goes through `__tostring`, a native calling Lua, whose nesting cube-lua
    // bounds as PUC-Rio bounds C calls.
    assert_eq!(ok(src), "true false C stack overflow");
    let shallow = r#"
local m = nn.Linear(2, 2)
for i = 1, 150 do m = nn.Sequential():add(m) end
local x = torch.randn(2)
local y = m:forward(x)
local p = m:getParameters()
return p:nElement() .. ' ' .. m:backward(x, torch.ones(2)):nElement()
"#;
    assert_eq!(ok(shallow), "6 2");
}

#[test]
fn bad_input_is_a_lua_error_naming_the_shapes() {
    expect(
        "nn.Linear(3, 4):forward(torch.randn(2, 5))",
        "nn.Linear: size mismatch, input: [2 x 5], weight: [4 x 3], bias: [4]",
    );
    expect(
        "nn.Linear(3, 4):forward(torch.randn(2, 2, 3))",
        "nn.Linear: size mismatch, input: [2 x 2 x 3]",
    );
    expect(
        "local m = nn.Linear(3, 4); m:forward(torch.randn(3)); m:backward(torch.randn(3), torch.randn(5))",
        "gradOutput of size [5] for an output of size [4]",
    );
    expect(
        "nn.MSECriterion():forward(torch.randn(3), torch.randn(4))",
        "input of size [3] and target of size [4]",
    );
    expect(
        "nn.ClassNLLCriterion():forward(torch.randn(2, 3), torch.Tensor{1, 4})",
        "target 4 out of range: classes are 1 to 3",
    );
    expect(
        "nn.ClassNLLCriterion():forward(torch.randn(2, 3), torch.Tensor{1, 0/0})",
        "out of range",
    );
    expect(
        "nn.CrossEntropyCriterion():forward(torch.randn(2, 3), torch.Tensor{1, 2, 3})",
        "3 targets for an input of size [2 x 3]",
    );
    expect(
        "nn.SoftMax():forward(torch.randn(2, 2, 2))",
        "vector or matrix expected, got [2 x 2 x 2]",
    );
    expect(
        "nn.View(4):forward(torch.randn(3))",
        "nn.View: cannot view an input of 3 elements as 4",
    );
    expect(
        "nn.SpatialConvolution(3, 2, 3, 3):forward(torch.randn(2, 5, 5))",
        "nn.SpatialConvolution: size mismatch, input: [2 x 5 x 5], weight: [2 x 3 x 3 x 3]",
    );
    expect(
        "nn.SpatialMaxPooling(4, 4):forward(torch.randn(1, 3, 3))",
        "is too small for kernel 4x4",
    );
    expect(
        "nn.Linear(2, 2):forward(torch.randn(2):float())",
        "type mismatch",
    );
    expect("nn.Linear(2, 2):forward(42)", "torch.Tensor expected");
    expect("nn.Dropout(1)", "probability 1 out of range");
    expect("nn.Linear(0, 2)", "whole number >= 1 expected");
    expect("nn.Sequential():add(3)", "a module expected");
    expect(
        "nn.SpatialMaxPooling(2, 2, 1, 1)",
        "only a stride equal to the kernel size",
    );
    expect("nn.Linear(2, 2):updateParameters('x')", "number expected");
}

#[test]
fn huge_sizes_fail_before_allocating() {
    expect("nn.Linear(1e6, 1e6)", "larger than the limit");
    // a small input, weight (316x316) and output (316x316) whose unfolded copy for
    // the convolution (316^4 values) would be huge
    expect(
        "local m = nn.SpatialConvolution(1, 1, 316, 316, 1, 1, 315, 315); m:forward(torch.ones(1, 1, 1))",
        "larger than the limit",
    );
    expect(
        "nn.View(1e9, 1e9):forward(torch.randn(4))",
        "nn.View: cannot view",
    );
}

#[test]
fn nan_flows_through_and_the_gradient_says_so() {
    let src = r#"
local m = nn.Sequential():add(nn.Linear(2, 2)):add(nn.Tanh())
local x = torch.Tensor{0/0, 1}
local y = m:forward(x)
local g = m:backward(x, torch.ones(2))
return tostring(y[1] ~= y[1]) .. ' ' .. tostring(g[1] ~= g[1])
"#;
    assert_eq!(ok(src), "true true");
}

#[test]
fn user_modules_with_torch_class() {
    let src = r#"
local Double, parent = torch.class('nn.Double', 'nn.Module')
assert(parent == nn.Module and nn.Double == Double)
function Double:updateOutput(input) self.output = input * 2; return self.output end
function Double:updateGradInput(input, gradOutput) self.gradInput = gradOutput * 2; return self.gradInput end
local m = nn.Sequential():add(nn.Double()):add(nn.Linear(2, 1))
local x = torch.ones(2)
m:forward(x)
local g = m:backward(x, torch.ones(1))
local w = m:get(2).weight
return tostring(math.abs(g[1] - 2 * w[1][1]) < 1e-12) .. ' ' .. tostring(m:get(1))
"#;
    assert_eq!(ok(src), "true nn.Double");
}

#[test]
fn works_in_processes_sharing_an_image() {
    // A node's processes start from one frozen image, which cannot hold Lua
    // functions: nn and optim load in each state on first use, and one state's
    // additions stay its own.
    let image = cube_lua::image::Image::new(|st| {
        cube_lua::stdlib::open_libs(st);
        cube_torch::open(st, cube_torch::Access::Full);
    });
    let mut first = cube_lua::State::from_image(&image);
    let mut second = cube_lua::State::from_image(&image);
    let a = common::eval_in(&mut first, XOR).expect("xor in the first state");
    assert!(a.starts_with("4 "), "{a}");
    assert_eq!(
        common::eval_in(&mut first, "nn.Mine = 42; return nn.Mine").unwrap(),
        "42"
    );
    let b = common::eval_in(
        &mut second,
        "local C = torch.class('nn.Other', 'nn.Module'); return tostring(nn.Mine) .. ' ' .. tostring(nn.Other == C)",
    )
    .expect("class in the second state");
    assert_eq!(b, "nil true");
    assert_eq!(common::eval_in(&mut second, XOR).unwrap(), a);
}

/// A small convolutional network tells horizontal bars from vertical ones in noisy
/// 6x6 images: convolution, ReLU, max pooling, View and Linear trained end to end.
const BARS: &str = r#"
torch.manualSeed(7)
local n = 24
local images, labels = torch.zeros(n, 1, 6, 6), torch.zeros(n)
for i = 1, n do
  local k = 1 + math.floor(torch.rand(1)[1] * 6)
  local img = images[i][1]
  img:copy(torch.rand(6, 6):mul(0.3))
  if i % 2 == 0 then img:select(1, k):add(1); labels[i] = 1
  else img:select(2, k):add(1); labels[i] = 2 end
end
local model = nn.Sequential()
  :add(nn.SpatialConvolution(1, 4, 3, 3)):add(nn.ReLU())
  :add(nn.SpatialMaxPooling(2, 2)):add(nn.View(4 * 2 * 2))
  :add(nn.Linear(16, 2))
local criterion = nn.CrossEntropyCriterion()
local params, grads = model:getParameters()
local function feval()
  grads:zero()
  local out = model:forward(images)
  local loss = criterion:forward(out, labels)
  model:backward(images, criterion:backward(out, labels))
  return loss, grads
end
local config = {learningRate = 0.05}
for _ = 1, 150 do optim.adam(feval, params, config) end
local out = model:forward(images)
local correct = 0
for i = 1, n do
  local _, k = out[i]:max(1)
  if k[1] == labels[i] then correct = correct + 1 end
end
return correct .. '/' .. n
"#;

#[test]
fn a_convnet_learns_bars() {
    assert_eq!(ok(BARS), "24/24");
}

#[test]
fn clone_type_and_modules_without_parameters() {
    let src = r#"
torch.manualSeed(9)
local m = nn.Sequential():add(nn.Linear(3, 2)):add(nn.Tanh())
local x = torch.randn(3)
local c = m:clone()
assert(getmetatable(c) == getmetatable(m) and tostring(c) == tostring(m))
assert((c:forward(x) - m:forward(x)):abs():max() == 0)
c:get(1).weight:fill(0)          -- the copy has its own tensors
assert(m:get(1).weight:abs():sum() > 0)
local f = m:clone():float()
assert(torch.type(f:get(1).weight) == 'torch.FloatTensor')
assert(torch.type(f:forward(x:float())) == 'torch.FloatTensor')
assert((f:forward(x:float()):double() - m:forward(x)):abs():max() < 1e-6)
local p, g = nn.Tanh():getParameters()
return p:nElement() .. ' ' .. g:nElement() .. ' ' .. select('#', nn.Tanh():parameters())
"#;
    assert_eq!(ok(src), "0 0 0");
}

/// Module work is charged like tensor work: under a reduction limit a large layer
/// ends the code where a small one does not; a layer whose output does not fit the
/// heap limit is refused before it is made.
#[test]
fn limits_hold_for_modules() {
    let run = |src: &str| {
        let mut st = common::state();
        st.budget = 200_000;
        st.reduction_limit_enabled = true;
        common::eval_in(&mut st, src)
    };
    let src = |n: usize| {
        format!(
            "local m = nn.Linear({n}, {n}); local x = torch.ones(8, {n}); \
             for i = 1, 5 do m:forward(x); m:backward(x, torch.ones(8, {n})) end; return 'done'"
        )
    };
    assert_eq!(run(&src(4)).unwrap(), "done");
    let e = run(&src(300)).unwrap_err();
    assert!(e.contains("reduction limit exceeded"), "{e}");
    let mut st = common::state();
    st.set_max_heap(Some(32 << 20));
    let e = common::eval_in(
        &mut st,
        "local m = nn.Linear(10, 10000); return m:forward(torch.ones(1000, 10))",
    )
    .unwrap_err();
    assert!(e.contains("heap limit"), "{e}");
}

#[test]
fn a_replaced_torch_global_does_not_break_loading() {
    let src = r#"
local t = torch
torch = nil
local m = nn.Linear(2, 3)
local y = m:forward(t.ones(2))
local x = t.zeros(2)
optim.sgd(function(x) return 0, t.ones(2) end, x, {learningRate = 1})
return y:nElement() .. ' ' .. x[1]
"#;
    assert_eq!(ok(src), "3 -1");
}

#[test]
fn pairs_lists_the_libraries() {
    let src = r#"
local seen = {}
for k, v in pairs(optim) do seen[#seen + 1] = k end
table.sort(seen)
local classes = 0
for k, v in pairs(nn) do
  if type(v) == 'table' and v.__typename then classes = classes + 1 end
end
return table.concat(seen, ' ') .. ' ' .. tostring(classes >= 17)
"#;
    assert_eq!(ok(src), "adam rmsprop sgd true");
}
