//! Torch7's `optim` library: `optim.sgd`, `optim.adam`, `optim.rmsprop` with Torch7's
//! signature `x, {fx} = optim.method(feval, x, config, state)`.
//!
//! The drivers are Lua (`optim.lua`, loaded on first use: `lazy.rs`), because they call the user's `feval` and keep
//! Torch7's `config`/`state` tables; `sgd` is plain tensor arithmetic there. The
//! updates of `adam` and `rmsprop` are natives here: one pass over the elements
//! instead of the chain of temporary tensors the tensor methods would need (Torch7
//! used `addcmul`/`addcdiv`, which cube's `torch` does not have). They compute in
//! f64 and store in the tensors' own type, with Torch7's formulas:
//! - adam: `m = b1 m + (1-b1) g`, `v = b2 v + (1-b2) g^2`,
//!   `x -= lr sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)`;
//! - rmsprop: `m = a m + (1-a) g^2`, `x -= lr g / (sqrt(m) + eps)`.

use crate::error::TorchError;
use crate::lazy::{self, Library};
use crate::lua::{check_tensor, fail};
use crate::tensor::Tensor;
use cube_lua::host::{Cx, HostFn, HostResult};
use cube_lua::{Args, Ret};
use std::sync::OnceLock;

const FUNCTIONS: &[(&str, HostFn)] = &[("adam", adam), ("rmsprop", rmsprop)];

/// The library, loaded in each process on first use (see `lazy.rs`).
pub(crate) static LIBRARY: Library = Library {
    name: "optim",
    index: 1,
    chunk_name: "=optim",
    source: include_str!("optim.lua"),
    natives: FUNCTIONS,
    proto: &PROTO,
};
static PROTO: OnceLock<Result<std::sync::Arc<cube_lua::proto::Proto>, String>> = OnceLock::new();

/// The metamethods of the shared `optim` table.
pub(crate) const HOOKS: &[(&str, HostFn)] = &[
    ("__index", index),
    ("__newindex", newindex),
    ("__pairs", pairs),
];

fn index<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    lazy::index(cx, a, &LIBRARY)
}

fn newindex<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    lazy::newindex(cx, a, &LIBRARY)
}

fn pairs<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    lazy::pairs(cx, a, &LIBRARY)
}

/// Arguments `first..first+n` as tensors with as many elements as the first.
fn same_sized<'n>(cx: &mut Cx<'n>, a: Args, n: usize, what: &str) -> HostResult<'n, Vec<Tensor>> {
    let mut ts = Vec::with_capacity(n);
    for i in 1..=n {
        ts.push(check_tensor(cx, a, i)?);
    }
    let len = ts[0].numel();
    if let Some(bad) = ts.iter().find(|t| t.numel() != len) {
        let e = TorchError::new(format!(
            "{what}: tensors of {} and {} elements",
            len,
            bad.numel()
        ));
        return Err(fail(cx, e));
    }
    cx.charge_bytes(len.saturating_mul(8 * n))?;
    Ok(ts)
}

/// Adam's update of `x` with gradient `g` and moments `m`, `v`, at step `t` (from 1).
#[allow(clippy::too_many_arguments)]
pub fn adam_update(
    x: &mut [f64],
    g: &[f64],
    m: &mut [f64],
    v: &mut [f64],
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    t: f64,
) {
    let step = lr * (1.0 - beta2.powf(t)).sqrt() / (1.0 - beta1.powf(t));
    for i in 0..x.len() {
        m[i] = beta1 * m[i] + (1.0 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1.0 - beta2) * g[i] * g[i];
        x[i] -= step * m[i] / (v[i].sqrt() + eps);
    }
}

/// RMSprop's update of `x` with gradient `g` and mean square `m`.
pub fn rmsprop_update(x: &mut [f64], g: &[f64], m: &mut [f64], lr: f64, alpha: f64, eps: f64) {
    for i in 0..x.len() {
        m[i] = alpha * m[i] + (1.0 - alpha) * g[i] * g[i];
        x[i] -= lr * g[i] / (m[i].sqrt() + eps);
    }
}

/// `adam(x, dfdx, m, v, lr, beta1, beta2, epsilon, t)`.
fn adam<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let ts = same_sized(cx, a, 4, "optim.adam")?;
    let mut h = [0.0; 5];
    for (k, slot) in h.iter_mut().enumerate() {
        *slot = cx.check_number(a, 5 + k)?;
    }
    let (mut x, g) = (ts[0].contiguous_values(), ts[1].contiguous_values());
    let (mut m, mut v) = (ts[2].contiguous_values(), ts[3].contiguous_values());
    adam_update(&mut x, &g, &mut m, &mut v, h[0], h[1], h[2], h[3], h[4]);
    let stored = ts[0]
        .assign_values(&x)
        .and_then(|()| ts[2].assign_values(&m))
        .and_then(|()| ts[3].assign_values(&v));
    stored.map_err(|e| fail(cx, e))?;
    Ok(Ret::Values(0))
}

/// `rmsprop(x, dfdx, m, lr, alpha, epsilon)`.
fn rmsprop<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let ts = same_sized(cx, a, 3, "optim.rmsprop")?;
    let lr = cx.check_number(a, 4)?;
    let alpha = cx.check_number(a, 5)?;
    let eps = cx.check_number(a, 6)?;
    let (mut x, g, mut m) = (
        ts[0].contiguous_values(),
        ts[1].contiguous_values(),
        ts[2].contiguous_values(),
    );
    rmsprop_update(&mut x, &g, &mut m, lr, alpha, eps);
    let stored = ts[0]
        .assign_values(&x)
        .and_then(|()| ts[2].assign_values(&m));
    stored.map_err(|e| fail(cx, e))?;
    Ok(Ret::Values(0))
}
