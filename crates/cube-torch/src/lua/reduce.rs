//! Reductions, as methods and `torch.f` forms alike: `sum mean max min std var`.
//! Without a dimension they give a number; with one, a tensor in which that
//! dimension has size 1 (Torch7); `max`/`min` with a dimension also give the 1-based
//! indices (a DoubleTensor: cube has no LongTensor yet). `std`/`var` divide by n - 1,
//! or by n when the flag after the dimension is true (Torch7's `flag`).

use super::values::{check_tensor, dim_arg, fail, push_tensor};
use crate::ops::{self, Extreme};
use cube_lua::host::{Cx, HostFn, HostResult, Val};
use cube_lua::{Args, Ret};

pub(crate) const FUNCTIONS: &[(&str, HostFn)] = &[
    ("sum", sum),
    ("mean", mean),
    ("max", max),
    ("min", min),
    ("std", std),
    ("var", var),
];

fn has_dim<'n>(cx: &Cx<'n>, a: Args) -> bool {
    !cx.arg(a, 2).is_nil()
}

fn number<'n>(cx: &mut Cx<'n>, x: f64) -> HostResult<'n, Ret> {
    cx.push(Val::Num(x));
    Ok(Ret::Values(1))
}

/// Charges the work of a pass over `t`'s elements.
fn charge_pass<'n>(cx: &mut Cx<'n>, t: &crate::Tensor) -> HostResult<'n, ()> {
    cx.charge_bytes(t.numel().saturating_mul(8))
}

fn sum<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    charge_pass(cx, &t)?;
    if !has_dim(cx, a) {
        let s = ops::sum_all(&t).map_err(|e| fail(cx, e))?;
        return number(cx, s);
    }
    let d = dim_arg(cx, a, 2, &t)?;
    let r = ops::sum_dim(&t, d).map_err(|e| fail(cx, e))?;
    push_tensor(cx, r)?;
    Ok(Ret::Values(1))
}

fn mean<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    charge_pass(cx, &t)?;
    if !has_dim(cx, a) {
        let s = ops::sum_all(&t).map_err(|e| fail(cx, e))?;
        return number(cx, s / t.numel() as f64);
    }
    let d = dim_arg(cx, a, 2, &t)?;
    let r = ops::mean_dim(&t, d).map_err(|e| fail(cx, e))?;
    push_tensor(cx, r)?;
    Ok(Ret::Values(1))
}

fn extreme<'n>(cx: &mut Cx<'n>, a: Args, which: Extreme) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    charge_pass(cx, &t)?;
    if !has_dim(cx, a) {
        let x = ops::extreme_all(&t, which).map_err(|e| fail(cx, e))?;
        return number(cx, x);
    }
    let d = dim_arg(cx, a, 2, &t)?;
    let (values, indices) = ops::extreme_dim(&t, d, which).map_err(|e| fail(cx, e))?;
    push_tensor(cx, values)?;
    push_tensor(cx, indices)?;
    Ok(Ret::Values(2))
}

fn max<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    extreme(cx, a, Extreme::Max)
}

fn min<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    extreme(cx, a, Extreme::Min)
}

fn variance<'n>(cx: &mut Cx<'n>, a: Args, root: bool) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    charge_pass(cx, &t)?;
    let finish = |x: f64| if root { x.sqrt() } else { x };
    if !has_dim(cx, a) {
        let v = ops::var_all(&t, false);
        return number(cx, finish(v));
    }
    let d = dim_arg(cx, a, 2, &t)?;
    let biased = cx.arg(a, 3).truthy();
    let r = ops::var_dim(&t, d, biased).map_err(|e| fail(cx, e))?;
    let r = if root {
        let c = ops::unary(&r, ops::Unary::Sqrt).map_err(|e| fail(cx, e))?;
        crate::Tensor::from_candle(&c, r.dtype()).map_err(|e| fail(cx, e))?
    } else {
        r
    };
    push_tensor(cx, r)?;
    Ok(Ret::Values(1))
}

fn std<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    variance(cx, a, true)
}

fn var<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    variance(cx, a, false)
}
