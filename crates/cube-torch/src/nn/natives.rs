//! The natives `nn.lua` is written on (the table it gets as its second argument):
//! - `forward(kind, input, ...)`: a module's output and its recorded graph;
//! - `criterion(kind, input, target, sizeAverage)`: a loss and its graph;
//! - `backward(graph [, gradOutput])`: the gradients of the graph's leaves, input
//!   first, then the parameters;
//! - `flatten(tensors)`: one flat tensor holding all of them, each tensor becoming a
//!   view of it (`getParameters`).
//!
//! Sizes are checked before any tensor is made; the work is charged in reductions in
//! proportion to the elements touched (and multiply-adds of the products).

use super::graph::Graph;
use super::layers::{one_hot, Layer, Loss};
use crate::error::TorchError;
use crate::lua::{adopt, check_tensor, fail, push_tensor, reserve_sizes, tensor_of, with_rng};
use crate::storage::DType;
use crate::tensor::{element_count, Tensor};
use cube_lua::host::{Cx, HostFn, HostResult, Val};
use cube_lua::{Args, Ret};

pub(crate) const FUNCTIONS: &[(&str, HostFn)] = &[
    ("forward", forward),
    ("criterion", criterion),
    ("backward", backward),
    ("flatten", flatten),
];

/// A whole number argument (a kernel size, a stride) of at least `min`.
fn count_arg<'n>(cx: &mut Cx<'n>, a: Args, i: usize, min: usize) -> HostResult<'n, usize> {
    let x = cx.check_number(a, i)?;
    if !(x >= min as f64 && x <= u32::MAX as f64) || x.fract() != 0.0 {
        return Err(cx.arg_error(i, &format!("whole number >= {min} expected, got {x}")));
    }
    Ok(x as usize)
}

/// Reads the layer kind and its tensors (input first) from the arguments.
fn layer_args<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, (Layer, Vec<Tensor>)> {
    let kind = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let input = check_tensor(cx, a, 2)?;
    let opt_tensor = |cx: &mut Cx<'n>, i: usize| -> HostResult<'n, Option<Tensor>> {
        if cx.arg(a, i).is_nil() {
            Ok(None)
        } else {
            check_tensor(cx, a, i).map(Some)
        }
    };
    let mut leaves = vec![input.clone()];
    let layer = match kind.as_str() {
        "linear" => {
            leaves.push(check_tensor(cx, a, 3)?);
            let bias = opt_tensor(cx, 4)?;
            let has_bias = bias.is_some();
            leaves.extend(bias);
            Layer::Linear { bias: has_bias }
        }
        "relu" => Layer::ReLU,
        "tanh" => Layer::Tanh,
        "sigmoid" => Layer::Sigmoid,
        "softmax" => Layer::SoftMax,
        "logsoftmax" => Layer::LogSoftMax,
        "dropout" => {
            let p = cx.check_number(a, 3)?;
            if !(0.0..1.0).contains(&p) {
                return Err(
                    cx.rt_error(&format!("nn.Dropout: probability {p} out of range [0, 1)"))
                );
            }
            reserve_sizes(cx, input.sizes(), input.dtype())?;
            let n = input.numel();
            let keep = 1.0 / (1.0 - p);
            let mask: Vec<f64> = with_rng(cx, |rng| {
                (0..n)
                    .map(|_| if rng.uniform() < p { 0.0 } else { keep })
                    .collect()
            });
            let mask =
                Tensor::from_values(input.dtype(), input.sizes(), mask).map_err(|e| fail(cx, e))?;
            leaves.push(mask);
            Layer::Dropout
        }
        "view" => {
            let t = cx.check_table(a, 3)?;
            let mut sizes = Vec::new();
            for i in 1..=cx.raw_len(t) {
                match cx.raw_get_int(t, i as i64).as_num() {
                    Some(x) if x >= 1.0 && x.fract() == 0.0 => sizes.push(x as usize),
                    _ => return Err(cx.rt_error("nn.View: sizes must be whole numbers >= 1")),
                }
            }
            Layer::View(sizes)
        }
        "conv" => {
            leaves.push(check_tensor(cx, a, 3)?);
            leaves.push(check_tensor(cx, a, 4)?);
            let stride = count_arg(cx, a, 5, 1)?;
            let pad = count_arg(cx, a, 6, 0)?;
            Layer::Conv { stride, pad }
        }
        "maxpool" => {
            let kw = count_arg(cx, a, 3, 1)?;
            let kh = count_arg(cx, a, 4, 1)?;
            let dw = count_arg(cx, a, 5, 1)?;
            let dh = count_arg(cx, a, 6, 1)?;
            Layer::MaxPool {
                kernel: (kh, kw),
                stride: (dh, dw),
            }
        }
        other => return Err(cx.rt_error(&format!("nn: unknown layer kind '{other}'"))),
    };
    Ok((layer, leaves))
}

/// Charges the work of a pass over `elements` elements and `macs` multiply-adds.
fn charge<'n>(cx: &mut Cx<'n>, elements: usize, macs: usize) -> HostResult<'n, ()> {
    cx.charge_bytes(elements.saturating_add(macs).saturating_mul(8))
}

fn multiply_adds(layer: &Layer, leaves: &[Tensor], out: &[usize]) -> usize {
    match layer {
        Layer::Linear { .. } => leaves[0]
            .numel()
            .saturating_mul(out.last().copied().unwrap_or(0)),
        Layer::Conv { .. } => {
            let w = leaves[1].sizes();
            let per_output: usize = w[1..].iter().product();
            element_count(out).unwrap_or(0).saturating_mul(per_output)
        }
        _ => 0,
    }
}

/// `forward(kind, input, ...)`: the output (a new tensor) and the graph.
fn forward<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let (layer, leaves) = layer_args(cx, a)?;
    let sizes: Vec<&[usize]> = leaves.iter().map(|t| t.sizes()).collect();
    let out = layer.output_sizes(&sizes).map_err(|e| fail(cx, e))?;
    let dtype = leaves[0].dtype();
    reserve_sizes(cx, &out, dtype)?;
    let touched: usize = leaves.iter().map(|t| t.numel()).sum();
    let macs = multiply_adds(&layer, &leaves, &out);
    charge(
        cx,
        touched.saturating_add(element_count(&out).unwrap_or(0)),
        macs,
    )?;
    let refs: Vec<&Tensor> = leaves.iter().collect();
    let run = || -> Result<(Graph, Tensor), TorchError> {
        // The mask of a dropout is a constant, not a leaf to differentiate.
        let (vars, constant) = if layer == Layer::Dropout {
            (&refs[..1], Some(refs[1].to_candle()?))
        } else {
            (&refs[..], None)
        };
        let g = Graph::record(vars, |xs| match &constant {
            Some(mask) => layer.forward(&[xs[0].clone(), mask.clone()]),
            None => layer.forward(xs),
        })?;
        let t = g.output()?;
        Ok((g, t))
    };
    let (graph, output) = run().map_err(|e| fail(cx, e))?;
    push_tensor(cx, output)?;
    let g = cx.new_userdata(graph, None);
    cx.push(g);
    Ok(Ret::Values(2))
}

/// `criterion(kind, input, target, sizeAverage)`: the loss (a number) and the graph.
fn criterion<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let kind = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let loss = match kind.as_str() {
        "mse" => Loss::Mse,
        "nll" => Loss::ClassNll,
        "crossentropy" => Loss::CrossEntropy,
        other => return Err(cx.rt_error(&format!("nn: unknown criterion '{other}'"))),
    };
    let input = check_tensor(cx, a, 2)?;
    loss.check(input.sizes()).map_err(|e| fail(cx, e))?;
    let average = cx.arg(a, 4).truthy();
    let target_val = cx.arg(a, 3);
    let target = match loss {
        Loss::Mse => {
            let t = check_tensor(cx, a, 3)?;
            if t.numel() != input.numel() {
                return Err(fail(
                    cx,
                    TorchError::new(format!(
                        "nn.MSECriterion: input of size {} and target of size {}",
                        crate::error::shape_text(input.sizes()),
                        crate::error::shape_text(t.sizes())
                    )),
                ));
            }
            t
        }
        Loss::ClassNll | Loss::CrossEntropy => {
            let classes = match (target_val.as_num(), tensor_of(cx, target_val)) {
                (Some(c), _) => vec![c],
                (None, Some(t)) => t.contiguous_values(),
                _ => return Err(cx.arg_type_error(a, 3, "torch.Tensor or number")),
            };
            let hot = one_hot(input.sizes(), &classes, loss.name()).map_err(|e| fail(cx, e))?;
            Tensor::from_values(input.dtype(), input.sizes(), hot).map_err(|e| fail(cx, e))?
        }
    };
    charge(cx, input.numel().saturating_mul(4), 0)?;
    let run = || -> Result<(Graph, f64), TorchError> {
        let t = target.to_candle()?.to_dtype(input.dtype().candle())?;
        let g = Graph::record(&[&input], |xs| loss.forward(&xs[0], &t, average))?;
        let v = g.scalar()?;
        Ok((g, v))
    };
    let (graph, value) = run().map_err(|e| fail(cx, e))?;
    cx.push(Val::Num(value));
    let g = cx.new_userdata(graph, None);
    cx.push(g);
    Ok(Ret::Values(2))
}

/// `backward(graph [, gradOutput])`: the gradients of the graph's leaves.
fn backward<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let gv = cx.arg(a, 1);
    let grad_output = if cx.arg(a, 2).is_nil() {
        None
    } else {
        Some(check_tensor(cx, a, 2)?)
    };
    let Some(graph) = cx.userdata_get::<Graph>(gv) else {
        return Err(cx.rt_error("backward called before forward"));
    };
    let n = graph.output_elements();
    let result = graph.grads(grad_output.as_ref());
    charge(cx, n.saturating_mul(4), 0)?;
    let grads = result.map_err(|e| fail(cx, e))?;
    cx.check_stack(grads.len())?;
    let count = grads.len();
    for g in grads {
        push_tensor(cx, g)?;
    }
    Ok(Ret::Values(count))
}

/// `flatten(tensors)`: copies the tensors (all of one type) into one new flat tensor
/// and makes each of them a view of its part, so the modules holding them and the
/// flat tensor share the values (Torch7's `getParameters`). Views of a tensor taken
/// before no longer see it.
fn flatten<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let list = cx.check_table(a, 1)?;
    let n = cx.raw_len(list);
    let mut vals = Vec::with_capacity(n);
    let mut tensors = Vec::with_capacity(n);
    for i in 1..=n {
        let v = cx.raw_get_int(list, i as i64);
        match tensor_of(cx, v) {
            Some(t) => {
                vals.push(v);
                tensors.push(t);
            }
            None => {
                return Err(cx.rt_error(&format!("getParameters: parameter {i} is not a tensor")))
            }
        }
    }
    let dtype = tensors.first().map(|t| t.dtype()).unwrap_or(DType::F64);
    if tensors.iter().any(|t| t.dtype() != dtype) {
        return Err(cx.rt_error("getParameters: the parameters are not all of one type"));
    }
    let total = tensors
        .iter()
        .try_fold(0usize, |acc, t| acc.checked_add(t.numel()))
        .unwrap_or(usize::MAX);
    reserve_sizes(cx, &[total], dtype)?;
    charge(cx, total, 0)?;
    let flat = if total == 0 {
        Tensor::empty(dtype)
    } else {
        Tensor::zeros(dtype, &[total]).map_err(|e| fail(cx, e))?
    };
    // Counted (and the limit checked) before any parameter is replaced.
    adopt(cx, &flat)?;
    let mut offset = 0;
    for (v, t) in vals.into_iter().zip(tensors) {
        let k = t.numel();
        if k == 0 {
            continue;
        }
        let part = flat
            .narrow(0, offset, k)
            .and_then(|p| p.view(t.sizes()))
            .and_then(|p| p.assign_values(&t.contiguous_values()).map(|()| p))
            .map_err(|e| fail(cx, e))?;
        if let Some(slot) = cx.userdata_mut::<Tensor>(v) {
            *slot = part;
        }
        offset += k;
    }
    push_tensor(cx, flat)?;
    Ok(Ret::Values(1))
}
