//! The arithmetic kernels, on tensors of this crate, returning candle tensors or new
//! tensors. Which engine does what:
//! - candle: the matrix products (`mm`, `mv`, `addmm`, `dot`, by its gemm), the
//!   elementwise maps (`exp`, `log`, `tanh`, `sigmoid`, `abs`, `sqrt`, `pow`, `clamp`,
//!   scalar `add`/`mul`/`div` as an affine map) and the elementwise tensor-tensor
//!   operations, and `sum`/`mean`;
//! - plain Rust here: `max`/`min` (with Torch7's indices and its NaN rule: the first
//!   NaN wins, as `numpy.argmax`) and `var`/`std` (two passes, as numpy), which candle
//!   either lacks or defines differently.
//!
//! Shapes are checked here, before any kernel runs, so a mismatch is a Lua error that
//! names both shapes, never a candle error or a panic.

use crate::error::{shape_text, TorchError};
use crate::storage::DType;
use crate::tensor::Tensor;
use candle_core::Tensor as Ct;

/// The elementwise functions of one tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    Exp,
    Log,
    Tanh,
    Sigmoid,
    Abs,
    Sqrt,
    Neg,
}

impl Unary {
    pub fn name(self) -> &'static str {
        match self {
            Unary::Exp => "exp",
            Unary::Log => "log",
            Unary::Tanh => "tanh",
            Unary::Sigmoid => "sigmoid",
            Unary::Abs => "abs",
            Unary::Sqrt => "sqrt",
            Unary::Neg => "neg",
        }
    }
}

pub fn unary(t: &Tensor, op: Unary) -> Result<Ct, TorchError> {
    let x = t.to_candle()?;
    Ok(match op {
        Unary::Exp => x.exp()?,
        Unary::Log => x.log()?,
        Unary::Tanh => x.tanh()?,
        // 1 / (1 + e^-x), as Torch7 (and numpy written the obvious way) computes it.
        Unary::Sigmoid => (x.neg()?.exp()? + 1.0)?.recip()?,
        Unary::Abs => x.abs()?,
        Unary::Sqrt => x.sqrt()?,
        Unary::Neg => x.neg()?,
    })
}

/// `x * mul + add` elementwise (scalar `add`, `mul`, `div`).
pub fn affine(t: &Tensor, mul: f64, add: f64) -> Result<Ct, TorchError> {
    Ok(t.to_candle()?.affine(mul, add)?)
}

pub fn pow(t: &Tensor, e: f64) -> Result<Ct, TorchError> {
    Ok(t.to_candle()?.powf(e)?)
}

/// `min(max(x, lo), hi)`; NaN stays NaN, as in Torch7.
pub fn clamp(t: &Tensor, lo: f64, hi: f64) -> Result<Ct, TorchError> {
    Ok(t.to_candle()?.clamp(lo, hi)?)
}

/// The elementwise operations of two tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
}

pub fn same_type(a: &Tensor, b: &Tensor) -> Result<(), TorchError> {
    if a.dtype() != b.dtype() {
        return Err(TorchError::new(format!(
            "type mismatch: {} and {}",
            a.dtype().tensor_name(),
            b.dtype().tensor_name()
        )));
    }
    Ok(())
}

/// Torch7's rule for elementwise operations: the same number of elements (the result
/// has the shape of `a`).
pub fn same_count(a: &Tensor, b: &Tensor) -> Result<(), TorchError> {
    same_type(a, b)?;
    if a.numel() != b.numel() {
        return Err(TorchError::new(format!(
            "inconsistent tensor size: {} and {} have {} and {} elements",
            shape_text(a.sizes()),
            shape_text(b.sizes()),
            a.numel(),
            b.numel()
        )));
    }
    Ok(())
}

/// `a op (scale * b)` elementwise, shaped as `a`.
pub fn binary(a: &Tensor, op: Binary, scale: f64, b: &Tensor) -> Result<Ct, TorchError> {
    same_count(a, b)?;
    let x = a.to_candle()?;
    let mut y = b.to_candle()?.reshape(x.shape())?;
    if scale != 1.0 {
        y = y.affine(scale, 0.0)?;
    }
    Ok(match op {
        Binary::Add => (x + y)?,
        Binary::Sub => (x - y)?,
        Binary::Mul => (x * y)?,
        Binary::Div => (x / y)?,
    })
}

fn matrix_sizes(t: &Tensor, what: &str) -> Result<(usize, usize), TorchError> {
    match t.sizes() {
        [r, c] => Ok((*r, *c)),
        s => Err(TorchError::new(format!(
            "{what}: matrix expected, got a tensor of size {}",
            shape_text(s)
        ))),
    }
}

/// `a * b` for matrices.
pub fn mm(a: &Tensor, b: &Tensor) -> Result<Ct, TorchError> {
    let (_, k1) = matrix_sizes(a, "mm")?;
    let (k2, _) = matrix_sizes(b, "mm")?;
    if k1 != k2 {
        return Err(TorchError::new(format!(
            "size mismatch, m1: {}, m2: {}",
            shape_text(a.sizes()),
            shape_text(b.sizes())
        )));
    }
    same_type(a, b)?;
    Ok(a.to_candle()?.matmul(&b.to_candle()?)?)
}

/// `m * v` for a matrix and a vector.
pub fn mv(m: &Tensor, v: &Tensor) -> Result<Ct, TorchError> {
    let (_, k) = matrix_sizes(m, "mv")?;
    if v.dim() != 1 || v.sizes()[0] != k {
        return Err(TorchError::new(format!(
            "size mismatch, {}, {}",
            shape_text(m.sizes()),
            shape_text(v.sizes())
        )));
    }
    same_type(m, v)?;
    let col = v.to_candle()?.reshape((k, 1))?;
    Ok(m.to_candle()?.matmul(&col)?.flatten_all()?)
}

/// The dot product of two tensors with the same number of elements.
pub fn dot(a: &Tensor, b: &Tensor) -> Result<f64, TorchError> {
    same_count(a, b)?;
    let n = a.numel();
    let x = a.to_candle()?.reshape((1, n))?;
    let y = b.to_candle()?.reshape((n, 1))?;
    let r = x
        .matmul(&y)?
        .flatten_all()?
        .to_dtype(candle_core::DType::F64)?;
    Ok(r.to_vec1::<f64>()?.first().copied().unwrap_or(0.0))
}

/// `beta * m + alpha * (a * b)`.
pub fn addmm(beta: f64, m: &Tensor, alpha: f64, a: &Tensor, b: &Tensor) -> Result<Ct, TorchError> {
    let prod = mm(a, b)?;
    if m.sizes() != prod.dims() {
        return Err(TorchError::new(format!(
            "size mismatch: the sum of {} and the product {} * {}",
            shape_text(m.sizes()),
            shape_text(a.sizes()),
            shape_text(b.sizes())
        )));
    }
    same_type(m, a)?;
    Ok((m.to_candle()?.affine(beta, 0.0)? + prod.affine(alpha, 0.0)?)?)
}

// ----- reductions -----

/// The sum of all elements (0 for an empty tensor, as Torch7).
pub fn sum_all(t: &Tensor) -> Result<f64, TorchError> {
    if t.numel() == 0 {
        return Ok(0.0);
    }
    let s = t
        .to_candle()?
        .sum_all()?
        .to_dtype(candle_core::DType::F64)?;
    Ok(s.to_scalar::<f64>()?)
}

fn check_reduce_dim(t: &Tensor, dim: usize, what: &str) -> Result<(), TorchError> {
    if dim >= t.dim() {
        return Err(TorchError::new(format!(
            "{what}: dimension {} out of range of {}D tensor",
            dim + 1,
            t.dim()
        )));
    }
    Ok(())
}

/// The sums along `dim`, which keeps size 1 (Torch7).
pub fn sum_dim(t: &Tensor, dim: usize) -> Result<Tensor, TorchError> {
    check_reduce_dim(t, dim, "sum")?;
    let s = t.to_candle()?.sum_keepdim(dim)?;
    Tensor::from_candle(&s, t.dtype())
}

pub fn mean_dim(t: &Tensor, dim: usize) -> Result<Tensor, TorchError> {
    check_reduce_dim(t, dim, "mean")?;
    let n = t.sizes()[dim] as f64;
    let s = t.to_candle()?.sum_keepdim(dim)?.affine(1.0 / n, 0.0)?;
    Tensor::from_candle(&s, t.dtype())
}

/// The lanes of a reduction along `dim`: the values of each lane, and the sizes of
/// the result (`dim` kept with size 1).
struct Lanes {
    values: Vec<f64>,
    outer: usize,
    len: usize,
    inner: usize,
    out_sizes: Vec<usize>,
}

impl Lanes {
    fn new(t: &Tensor, dim: usize, what: &str) -> Result<Lanes, TorchError> {
        check_reduce_dim(t, dim, what)?;
        let sizes = t.sizes();
        let mut out_sizes = sizes.to_vec();
        out_sizes[dim] = 1;
        Ok(Lanes {
            values: t.contiguous_values(),
            outer: sizes[..dim].iter().product(),
            len: sizes[dim],
            inner: sizes[dim + 1..].iter().product(),
            out_sizes,
        })
    }

    /// Calls `f` with each lane's values, collecting one result per lane.
    fn map<R>(&self, mut f: impl FnMut(&mut dyn Iterator<Item = f64>) -> R) -> Vec<R> {
        let mut out = Vec::with_capacity(self.outer * self.inner);
        for o in 0..self.outer {
            for i in 0..self.inner {
                let base = o * self.len * self.inner + i;
                let mut lane = (0..self.len).map(|k| self.values[base + k * self.inner]);
                out.push(f(&mut lane));
            }
        }
        out
    }
}

/// Which extreme a `max`/`min` looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extreme {
    Max,
    Min,
}

/// The extreme value and its 0-based index; the first NaN wins, else the first
/// extreme (TH's rule, and numpy's).
fn extreme_of(values: &mut dyn Iterator<Item = f64>, which: Extreme) -> Option<(f64, usize)> {
    let mut best: Option<(f64, usize)> = None;
    for (i, v) in values.enumerate() {
        let better = match best {
            None => true,
            Some((b, _)) if b.is_nan() => false,
            Some((b, _)) => {
                v.is_nan()
                    || match which {
                        Extreme::Max => v > b,
                        Extreme::Min => v < b,
                    }
            }
        };
        if better {
            best = Some((v, i));
        }
    }
    best
}

/// The extreme of all elements.
pub fn extreme_all(t: &Tensor, which: Extreme) -> Result<f64, TorchError> {
    extreme_of(&mut t.contiguous_values().into_iter(), which)
        .map(|(v, _)| v)
        .ok_or_else(|| TorchError::new("max/min of an empty tensor"))
}

/// The extremes along `dim` and their 1-based indices (as doubles: cube has no
/// LongTensor yet).
pub fn extreme_dim(t: &Tensor, dim: usize, which: Extreme) -> Result<(Tensor, Tensor), TorchError> {
    let what = match which {
        Extreme::Max => "max",
        Extreme::Min => "min",
    };
    let lanes = Lanes::new(t, dim, what)?;
    let found = lanes.map(|lane| extreme_of(lane, which).unwrap_or((f64::NAN, 0)));
    let values = found.iter().map(|(v, _)| *v).collect();
    let indices = found.iter().map(|(_, i)| (*i + 1) as f64).collect();
    Ok((
        Tensor::from_values(t.dtype(), &lanes.out_sizes, values)?,
        Tensor::from_values(DType::F64, &lanes.out_sizes, indices)?,
    ))
}

/// The variance of a sequence: `sum((x - mean)^2) / (n - 1)`, or `/ n` when `biased`.
fn variance(values: &mut dyn Iterator<Item = f64>, biased: bool) -> f64 {
    let v: Vec<f64> = values.collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
    ss / if biased { n } else { n - 1.0 }
}

pub fn var_all(t: &Tensor, biased: bool) -> f64 {
    variance(&mut t.contiguous_values().into_iter(), biased)
}

pub fn var_dim(t: &Tensor, dim: usize, biased: bool) -> Result<Tensor, TorchError> {
    let lanes = Lanes::new(t, dim, "var")?;
    let values = lanes.map(|lane| variance(lane, biased));
    Tensor::from_values(t.dtype(), &lanes.out_sizes, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(sizes: &[usize], v: &[f64]) -> Tensor {
        Tensor::from_values(DType::F64, sizes, v.to_vec()).unwrap()
    }

    #[test]
    fn mm_checks_shapes() {
        let a = t(&[2, 3], &[1.0; 6]);
        let b = t(&[4, 5], &[1.0; 20]);
        let e = mm(&a, &b).unwrap_err();
        assert_eq!(e.0, "size mismatch, m1: [2 x 3], m2: [4 x 5]");
    }

    #[test]
    fn extremes_follow_nan_and_first_index() {
        let x = t(&[2, 3], &[1.0, 5.0, 5.0, 2.0, f64::NAN, 9.0]);
        let (v, i) = extreme_dim(&x, 1, Extreme::Max).unwrap();
        assert_eq!(i.contiguous_values(), vec![2.0, 2.0]);
        assert_eq!(v.contiguous_values()[0], 5.0);
        assert!(v.contiguous_values()[1].is_nan());
        let nan_first = t(&[2], &[f64::NAN, 1.0]);
        assert!(extreme_all(&nan_first, Extreme::Min).unwrap().is_nan());
    }

    #[test]
    fn clamp_keeps_nan() {
        let x = t(&[3], &[-2.0, f64::NAN, 2.0]);
        let c = clamp(&x, -1.0, 1.0).unwrap().to_vec1::<f64>().unwrap();
        assert_eq!(c[0], -1.0);
        assert!(c[1].is_nan());
        assert_eq!(c[2], 1.0);
    }
}
