//! `torch.Tensor` and the other constructors, the default tensor type, the random
//! generator's seed, and type queries.

use super::values::{
    fail, push_size, push_tensor, reserve_elements, reserve_sizes, size_of_number, sizes_from_args,
    tensor_of, torch_sizes, SizeStorage,
};
use super::with_settings;
use crate::error::TorchError;
use crate::rng::Rng;
use crate::storage::DType;
use crate::tensor::Tensor;
use cube_lua::host::{Cx, HostFn, HostResult, Val};
use cube_lua::{Args, Ret};

pub(crate) const FUNCTIONS: &[(&str, HostFn)] = &[
    ("Tensor", tensor_default),
    ("DoubleTensor", tensor_double),
    ("FloatTensor", tensor_float),
    ("LongStorage", long_storage),
    ("zeros", zeros),
    ("ones", ones),
    ("rand", rand),
    ("randn", randn),
    ("range", range),
    ("linspace", linspace),
    ("eye", eye),
    ("setdefaulttensortype", set_default_type),
    ("getdefaulttensortype", get_default_type),
    ("manualSeed", manual_seed),
    ("seed", seed),
    ("type", type_of),
    ("typename", typename),
    ("isTensor", is_tensor),
];

pub(crate) fn default_type(cx: &mut Cx<'_>) -> DType {
    with_settings(cx, |s| s.default_type)
}

fn tensor_default<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let dtype = default_type(cx);
    construct(cx, a, dtype)
}

fn tensor_double<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    construct(cx, a, DType::F64)
}

fn tensor_float<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    construct(cx, a, DType::F32)
}

/// The deepest nesting a table given to `torch.Tensor` may have (a table that
/// contains itself would otherwise never end).
const MAX_TABLE_DEPTH: usize = 64;

/// `torch.Tensor()`, `(sizes...)`, `(LongStorage)`, `(table)`, `(tensor)` (a view of
/// the same storage, as in Torch7).
fn construct<'n>(cx: &mut Cx<'n>, a: Args, dtype: DType) -> HostResult<'n, Ret> {
    let first = cx.arg(a, 1);
    if a.len == 0 || first.is_nil() {
        push_tensor(cx, Tensor::empty(dtype))?;
        return Ok(Ret::Values(1));
    }
    if let Some(t) = tensor_of(cx, first) {
        if t.dtype() != dtype {
            return Err(cx.rt_error(&format!(
                "cannot make a {} view of a {}",
                dtype.tensor_name(),
                t.dtype().tensor_name()
            )));
        }
        push_tensor(cx, t)?;
        return Ok(Ret::Values(1));
    }
    if let Val::Table(_) = first {
        let mut sizes = Vec::new();
        let mut v = first;
        while let Val::Table(t) = v {
            if sizes.len() == MAX_TABLE_DEPTH {
                return Err(cx.rt_error("torch.Tensor: table nested too deeply"));
            }
            sizes.push(cx.raw_len(t));
            v = cx.raw_get_int(t, 1);
        }
        if sizes.contains(&0) {
            push_tensor(cx, Tensor::empty(dtype))?;
            return Ok(Ret::Values(1));
        }
        reserve_sizes(cx, &sizes, dtype)?;
        let mut values = Vec::new();
        flatten_table(cx, first, &sizes, 0, &mut values).map_err(|e| fail(cx, e))?;
        let t = Tensor::from_values(dtype, &sizes, values).map_err(|e| fail(cx, e))?;
        push_tensor(cx, t)?;
        return Ok(Ret::Values(1));
    }
    let sizes = torch_sizes(sizes_from_args(cx, a, 1)?);
    new_filled(cx, dtype, &sizes, |_| 0.0)
}

/// Appends the numbers of a nested table of the given shape, row-major.
fn flatten_table<'n>(
    cx: &mut Cx<'n>,
    v: Val<'n>,
    sizes: &[usize],
    depth: usize,
    out: &mut Vec<f64>,
) -> Result<(), TorchError> {
    let Val::Table(t) = v else {
        return Err(TorchError::new(format!(
            "torch.Tensor: a table expected at depth {}, got {}",
            depth + 1,
            v.type_name()
        )));
    };
    if cx.raw_len(t) != sizes[depth] {
        return Err(TorchError::new(format!(
            "torch.Tensor: inconsistent table: {} elements at depth {} where {} were expected",
            cx.raw_len(t),
            depth + 1,
            sizes[depth]
        )));
    }
    for i in 1..=sizes[depth] {
        let item = cx.raw_get_int(t, i as i64);
        if depth + 1 == sizes.len() {
            match item {
                Val::Num(x) => out.push(x),
                other => {
                    return Err(TorchError::new(format!(
                        "torch.Tensor: a number expected in the table, got {}",
                        other.type_name()
                    )))
                }
            }
        } else {
            flatten_table(cx, item, sizes, depth + 1, out)?;
        }
    }
    Ok(())
}

/// A new tensor whose element `i` (row-major) is `f(i)`, after the size checks.
fn new_filled<'n>(
    cx: &mut Cx<'n>,
    dtype: DType,
    sizes: &[usize],
    mut f: impl FnMut(usize) -> f64,
) -> HostResult<'n, Ret> {
    reserve_sizes(cx, sizes, dtype)?;
    let n = crate::tensor::element_count(sizes).map_err(|e| fail(cx, e))?;
    cx.charge_bytes(n.saturating_mul(dtype.size_in_bytes()))?;
    let t = Tensor::zeros(dtype, sizes).map_err(|e| fail(cx, e))?;
    let values: Vec<f64> = (0..t.numel()).map(&mut f).collect();
    t.assign_values(&values).map_err(|e| fail(cx, e))?;
    push_tensor(cx, t)?;
    Ok(Ret::Values(1))
}

fn long_storage<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let sizes = match cx.arg(a, 1) {
        Val::Num(n) => vec![0; size_of_number(n).map_err(|e| fail(cx, e))?.min(1 << 20)],
        _ => sizes_from_args(cx, a, 1)?,
    };
    push_size(cx, sizes);
    Ok(Ret::Values(1))
}

fn zeros<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let dtype = default_type(cx);
    let sizes = torch_sizes(sizes_from_args(cx, a, 1)?);
    new_filled(cx, dtype, &sizes, |_| 0.0)
}

fn ones<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let dtype = default_type(cx);
    let sizes = torch_sizes(sizes_from_args(cx, a, 1)?);
    new_filled(cx, dtype, &sizes, |_| 1.0)
}

/// Runs `f` with this process's generator (seeded from the clock on first use).
pub(crate) fn with_rng<'n, R>(cx: &mut Cx<'n>, f: impl FnOnce(&mut Rng) -> R) -> R {
    with_settings(cx, |s| f(s.rng.get_or_insert_with(Rng::from_time)))
}

fn random<'n>(cx: &mut Cx<'n>, a: Args, normal: bool) -> HostResult<'n, Ret> {
    let dtype = default_type(cx);
    let sizes = torch_sizes(sizes_from_args(cx, a, 1)?);
    reserve_sizes(cx, &sizes, dtype)?;
    let n = crate::tensor::element_count(&sizes).map_err(|e| fail(cx, e))?;
    let values: Vec<f64> = with_rng(cx, |rng| {
        (0..n)
            .map(|_| if normal { rng.normal() } else { rng.uniform() })
            .collect()
    });
    new_filled(cx, dtype, &sizes, |i| values[i])
}

fn rand<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    random(cx, a, false)
}

fn randn<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    random(cx, a, true)
}

/// `torch.range(x, y [, step])`: x, x+step, ... up to y inclusive.
fn range<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let x = cx.check_number(a, 1)?;
    let y = cx.check_number(a, 2)?;
    let step = match cx.arg(a, 3) {
        Val::Nil => 1.0,
        _ => cx.check_number(a, 3)?,
    };
    if step == 0.0 || !step.is_finite() || !x.is_finite() || !y.is_finite() || (y - x) / step < 0.0
    {
        return Err(cx.rt_error(&format!(
            "torch.range: upper bound and step are inconsistent (from {x} to {y} by {step})"
        )));
    }
    let n = ((y - x) / step).floor() + 1.0;
    let n = size_of_number(n).map_err(|e| fail(cx, e))?;
    let dtype = default_type(cx);
    reserve_elements(cx, n, dtype)?;
    new_filled(cx, dtype, &[n], |i| x + i as f64 * step)
}

/// `torch.linspace(x1, x2 [, n = 100])`: n points from x1 to x2, both included.
fn linspace<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let x1 = cx.check_number(a, 1)?;
    let x2 = cx.check_number(a, 2)?;
    let n = match cx.arg(a, 3) {
        Val::Nil => 100.0,
        _ => cx.check_number(a, 3)?,
    };
    let n = size_of_number(n).map_err(|e| fail(cx, e))?;
    if n < 2 {
        return Err(cx.rt_error("torch.linspace: the number of points must be at least 2"));
    }
    let dtype = default_type(cx);
    let step = (x2 - x1) / (n - 1) as f64;
    new_filled(cx, dtype, &[n], |i| {
        if i + 1 == n {
            x2
        } else {
            x1 + i as f64 * step
        }
    })
}

/// `torch.eye(n [, m])`.
fn eye<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let n = cx.check_number(a, 1)?;
    let n = size_of_number(n).map_err(|e| fail(cx, e))?;
    let m = match cx.arg(a, 2) {
        Val::Nil => n,
        _ => {
            let m = cx.check_number(a, 2)?;
            size_of_number(m).map_err(|e| fail(cx, e))?
        }
    };
    let dtype = default_type(cx);
    let sizes = torch_sizes(vec![n, m]);
    new_filled(cx, dtype, &sizes, |i| {
        if i / m.max(1) == i % m.max(1) {
            1.0
        } else {
            0.0
        }
    })
}

fn set_default_type<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let dtype = match name.as_str() {
        "torch.DoubleTensor" => DType::F64,
        "torch.FloatTensor" => DType::F32,
        other => {
            return Err(cx.arg_error(
                1,
                &format!(
                "'{other}' is not a tensor type cube has (torch.DoubleTensor, torch.FloatTensor)"
            ),
            ))
        }
    };
    with_settings(cx, |s| s.default_type = dtype);
    Ok(Ret::Values(0))
}

fn get_default_type<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let dtype = default_type(cx);
    cx.push_str(dtype.tensor_name().as_bytes());
    Ok(Ret::Values(1))
}

/// `torch.manualSeed(n)`: restarts this process's generator from `n` (cube's streams,
/// not Torch7's: see `rng.rs`).
fn manual_seed<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let n = cx.check_number(a, 1)?;
    if !n.is_finite() {
        return Err(cx.arg_error(1, "a finite seed expected"));
    }
    with_settings(cx, |s| s.rng = Some(Rng::seeded(n as i64 as u64)));
    Ok(Ret::Values(0))
}

/// `torch.seed()`: reseeds from the clock and returns the seed.
fn seed<'n>(cx: &mut Cx<'n>, _a: Args) -> HostResult<'n, Ret> {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 & ((1 << 53) - 1))
        .unwrap_or(0);
    with_settings(cx, |st| st.rng = Some(Rng::seeded(s)));
    cx.push(Val::Num(s as f64));
    Ok(Ret::Values(1))
}

/// Torch7's class name of a value, if it is one of this library's.
pub(crate) fn class_name<'n>(cx: &Cx<'n>, v: Val<'n>) -> Option<&'static str> {
    if let Some(t) = cx.userdata_get::<Tensor>(v) {
        return Some(t.dtype().tensor_name());
    }
    cx.userdata_get::<SizeStorage>(v)
        .map(|_| "torch.LongStorage")
}

/// `torch.type(x)`: the class name of a tensor or storage, else `type(x)`.
fn type_of<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let name = class_name(cx, v).unwrap_or(v.type_name());
    cx.push_str(name.as_bytes());
    Ok(Ret::Values(1))
}

/// `torch.typename(x)`: the class name, or nil.
fn typename<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    match class_name(cx, v) {
        Some(name) => cx.push_str(name.as_bytes()),
        None => cx.push(Val::Nil),
    }
    Ok(Ret::Values(1))
}

fn is_tensor<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let yes = cx.userdata_get::<Tensor>(v).is_some();
    cx.push(Val::Bool(yes));
    Ok(Ret::Values(1))
}
