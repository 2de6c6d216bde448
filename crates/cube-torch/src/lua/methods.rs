//! Geometry and element access: `size`, `dim`, `nElement`, `t[i]` reads and writes,
//! the views (`narrow`, `select`, `sub`, `view`, `transpose`, `t`), copies (`clone`,
//! `contiguous`, `reshape`, `copy`, `float`, `double`), `fill`, `zero`, `tostring`.

use super::values::{
    check_tensor, dim_arg, fail, index_of_number, push_size, push_tensor, reserve_sizes, tensor_of,
    view_sizes,
};
use crate::format::tensor_text;
use crate::storage::DType;
use crate::tensor::Tensor;
use cube_lua::host::{Cx, HostFn, HostResult, TableRef, Val};
use cube_lua::{Args, Ret};

pub(crate) const METHODS: &[(&str, HostFn)] = &[
    ("size", size),
    ("dim", dim),
    ("nDimension", dim),
    ("nElement", n_element),
    ("numel", n_element),
    ("stride", stride),
    ("isContiguous", is_contiguous),
    ("narrow", narrow),
    ("select", select),
    ("sub", sub),
    ("view", view),
    ("reshape", reshape),
    ("transpose", transpose),
    ("t", t),
    ("contiguous", contiguous),
    ("clone", clone),
    ("copy", copy),
    ("fill", fill),
    ("zero", zero),
    ("float", float),
    ("double", double),
    ("type", type_),
    ("totable", totable),
];

/// The `torch.f(t, ...)` forms of the methods that return new tensors or values.
pub(crate) const FUNCTIONS: &[(&str, HostFn)] = &[
    ("view", view),
    ("reshape", reshape),
    ("transpose", transpose),
    ("t", t),
    ("clone", clone),
    ("totable", totable),
    ("nElement", n_element),
    ("numel", n_element),
];

pub(crate) const METAMETHODS: &[(&str, HostFn)] =
    &[("__newindex", newindex), ("__tostring", tostring)];

fn push_num<'n>(cx: &mut Cx<'n>, x: f64) -> HostResult<'n, Ret> {
    cx.push(Val::Num(x));
    Ok(Ret::Values(1))
}

fn ret_tensor<'n>(cx: &mut Cx<'n>, t: Tensor) -> HostResult<'n, Ret> {
    push_tensor(cx, t)?;
    Ok(Ret::Values(1))
}

/// Returns argument 1 (the tensor a method worked on in place).
fn ret_self<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    cx.push(v);
    Ok(Ret::Values(1))
}

/// The 0-based position named by a table key `{i, j, ...}` (one 1-based number per
/// dimension of `t`). Torch7's other table keys (ranges such as `{{1, 2}, {}}`) are
/// not supported yet: an error says so.
fn element_key<'n>(cx: &mut Cx<'n>, key: TableRef<'n>, t: &Tensor) -> HostResult<'n, Vec<usize>> {
    let n = cx.raw_len(key);
    if n != t.dim() {
        return Err(cx.rt_error(&format!(
            "t[{{...}}] needs one index per dimension: {n} given for a {}D tensor",
            t.dim()
        )));
    }
    let mut index = Vec::with_capacity(n);
    for d in 0..n {
        let Val::Num(x) = cx.raw_get_int(key, d as i64 + 1) else {
            return Err(cx.rt_error(
                "t[{...}] takes numbers only (ranges such as {{1, 2}} are not supported yet)",
            ));
        };
        index.push(index_of_number(x, t.sizes()[d], d + 1).map_err(|e| fail(cx, e))?);
    }
    Ok(index)
}

/// `t[k]`: a number index gives the element of a 1-d tensor or the view `select(1,
/// k)` of a larger one; `t[{i, j, ...}]` the element at that position; a name gives
/// the method.
pub(crate) fn index<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let key = cx.arg(a, 2);
    if let Val::Table(k) = key {
        let t = check_tensor(cx, a, 1)?;
        let index = element_key(cx, k, &t)?;
        let x = t.get(&index).map_err(|e| fail(cx, e))?;
        return push_num(cx, x);
    }
    if let Val::Num(k) = key {
        let t = check_tensor(cx, a, 1)?;
        if t.dim() == 0 {
            return Err(cx.rt_error("cannot index a tensor with no dimension"));
        }
        let i = index_of_number(k, t.sizes()[0], 1).map_err(|e| fail(cx, e))?;
        if t.dim() == 1 {
            let x = t.get(&[i]).map_err(|e| fail(cx, e))?;
            return push_num(cx, x);
        }
        let v = t.select(0, i).map_err(|e| fail(cx, e))?;
        return ret_tensor(cx, v);
    }
    let methods = cx.upvalue(0);
    let m = match methods {
        Val::Table(m) => cx.raw_get(m, key),
        _ => Val::Nil,
    };
    cx.push(m);
    Ok(Ret::Values(1))
}

/// `t[k] = v`: sets the element of a 1-d tensor, or fills (a number) or copies into (a
/// tensor) the slice `select(1, k)` of a larger one; `t[{i, j, ...}] = x` sets that
/// element.
fn newindex<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    if let Val::Table(k) = cx.arg(a, 2) {
        let index = element_key(cx, k, &t)?;
        let x = cx.check_number(a, 3)?;
        t.set(&index, x).map_err(|e| fail(cx, e))?;
        return Ok(Ret::Values(0));
    }
    let Val::Num(k) = cx.arg(a, 2) else {
        return Err(cx.rt_error("a tensor's fields cannot be set (only t[i] = value)"));
    };
    if t.dim() == 0 {
        return Err(cx.rt_error("cannot index a tensor with no dimension"));
    }
    let i = index_of_number(k, t.sizes()[0], 1).map_err(|e| fail(cx, e))?;
    let slice = t.select(0, i).map_err(|e| fail(cx, e))?;
    let value = cx.arg(a, 3);
    let done = match value {
        Val::Num(x) if t.dim() == 1 => t.set(&[i], x),
        Val::Num(x) => {
            slice.fill(x);
            Ok(())
        }
        other => match tensor_of(cx, other) {
            Some(src) => copy_into(&slice, &src),
            None => return Err(cx.arg_type_error(a, 3, "number or torch.Tensor")),
        },
    };
    done.map_err(|e| fail(cx, e))?;
    Ok(Ret::Values(0))
}

/// Copies `src`'s values into `dst` (same number of elements, any types).
fn copy_into(dst: &Tensor, src: &Tensor) -> Result<(), crate::TorchError> {
    if dst.numel() != src.numel() {
        return Err(crate::TorchError::new(format!(
            "inconsistent tensor size: cannot copy {} elements ({}) into {} ({})",
            src.numel(),
            crate::error::shape_text(src.sizes()),
            dst.numel(),
            crate::error::shape_text(dst.sizes())
        )));
    }
    dst.assign_values(&src.contiguous_values())
}

fn tostring<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    cx.charge_bytes(t.numel().saturating_mul(16))?;
    let text = tensor_text(t.dtype().tensor_name(), t.sizes(), &t.contiguous_values());
    // The text goes into the Lua heap: it must fit under the heap limit.
    cx.reserve(text.len())?;
    cx.push_str(text.as_bytes());
    Ok(Ret::Values(1))
}

/// `t:size()` (a LongStorage) or `t:size(d)` (a number).
fn size<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    if cx.arg(a, 2).is_nil() {
        push_size(cx, t.sizes().to_vec());
        return Ok(Ret::Values(1));
    }
    let d = dim_arg(cx, a, 2, &t)?;
    push_num(cx, t.sizes()[d] as f64)
}

fn stride<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    if cx.arg(a, 2).is_nil() {
        push_size(cx, t.strides().to_vec());
        return Ok(Ret::Values(1));
    }
    let d = dim_arg(cx, a, 2, &t)?;
    push_num(cx, t.strides()[d] as f64)
}

fn dim<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    push_num(cx, t.dim() as f64)
}

fn n_element<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    push_num(cx, t.numel() as f64)
}

fn is_contiguous<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    cx.push(Val::Bool(t.is_contiguous()));
    Ok(Ret::Values(1))
}

/// `t:narrow(dim, index, size)`.
fn narrow<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let d = dim_arg(cx, a, 2, &t)?;
    let start = cx.check_number(a, 3)?;
    let len = cx.check_number(a, 4)?;
    let size = t.sizes()[d];
    let start = index_of_number(start, size, d + 1).map_err(|e| fail(cx, e))?;
    let len = super::values::size_of_number(len).map_err(|e| fail(cx, e))?;
    let v = t.narrow(d, start, len).map_err(|e| fail(cx, e))?;
    ret_tensor(cx, v)
}

/// `t:select(dim, index)`.
fn select<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let d = dim_arg(cx, a, 2, &t)?;
    let i = cx.check_number(a, 3)?;
    let i = index_of_number(i, t.sizes()[d], d + 1).map_err(|e| fail(cx, e))?;
    let v = t.select(d, i).map_err(|e| fail(cx, e))?;
    ret_tensor(cx, v)
}

/// `t:sub(s1, e1 [, s2, e2 ...])`: inclusive ranges per dimension; negative indices
/// count from the end (-1 is the last).
fn sub<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let mut t = check_tensor(cx, a, 1)?;
    let pairs = (a.len.saturating_sub(1)) / 2;
    if pairs == 0 || pairs > t.dim() || a.len.is_multiple_of(2) {
        return Err(cx.rt_error(&format!(
            "sub: expected 1 to {} pairs of (first, last) indices",
            t.dim()
        )));
    }
    for d in 0..pairs {
        let size = t.sizes()[d] as f64;
        let mut s = cx.check_number(a, 2 + 2 * d)?.trunc();
        let mut e = cx.check_number(a, 3 + 2 * d)?.trunc();
        if s < 0.0 {
            s += size + 1.0;
        }
        if e < 0.0 {
            e += size + 1.0;
        }
        if !(s >= 1.0 && s <= size && e >= s && e <= size) {
            return Err(cx.rt_error(&format!(
                "sub: indices {s} to {e} out of range for dimension {} of size {size}",
                d + 1
            )));
        }
        let v = t
            .narrow(d, s as usize - 1, (e - s) as usize + 1)
            .map_err(|e| fail(cx, e))?;
        t = v;
    }
    ret_tensor(cx, t)
}

/// `t:view(sizes...)`: a view of a contiguous tensor (one size may be -1).
fn view<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let sizes = view_sizes(cx, a, 2, t.numel())?;
    let v = t.view(&sizes).map_err(|e| fail(cx, e))?;
    ret_tensor(cx, v)
}

/// `t:reshape(sizes...)` / `torch.reshape(t, sizes...)`: a new contiguous tensor.
fn reshape<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let sizes = view_sizes(cx, a, 2, t.numel())?;
    reserve_sizes(cx, &sizes, t.dtype())?;
    let c = t.clone_as(t.dtype()).map_err(|e| fail(cx, e))?;
    let v = c.view(&sizes).map_err(|e| fail(cx, e))?;
    ret_tensor(cx, v)
}

/// `t:transpose(d1, d2)`.
fn transpose<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let d1 = dim_arg(cx, a, 2, &t)?;
    let d2 = dim_arg(cx, a, 3, &t)?;
    let v = t.transpose(d1, d2).map_err(|e| fail(cx, e))?;
    ret_tensor(cx, v)
}

/// `t:t()`: the transpose of a matrix.
fn t<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    if t.dim() != 2 {
        return Err(cx.rt_error(&format!("t() expects a 2D tensor, got a {}D one", t.dim())));
    }
    let v = t.transpose(0, 1).map_err(|e| fail(cx, e))?;
    ret_tensor(cx, v)
}

/// A new contiguous copy of argument 1 as `dtype`.
fn copy_as<'n>(cx: &mut Cx<'n>, a: Args, dtype: DType) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    reserve_sizes(cx, t.sizes(), dtype)?;
    let c = t.clone_as(dtype).map_err(|e| fail(cx, e))?;
    ret_tensor(cx, c)
}

/// `t:contiguous()`: `t` itself if contiguous, else a contiguous copy.
fn contiguous<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    if t.is_contiguous() {
        return ret_self(cx, a);
    }
    copy_as(cx, a, t.dtype())
}

fn clone<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    copy_as(cx, a, t.dtype())
}

/// `t:type()` (the class name) or `t:type(name)` (`t` itself or a converted copy).
fn type_<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    if cx.arg(a, 2).is_nil() {
        cx.push_str(t.dtype().tensor_name().as_bytes());
        return Ok(Ret::Values(1));
    }
    let name = cx.check_str(a, 2)?.to_str_lossy().into_owned();
    let dtype = match name.as_str() {
        "torch.DoubleTensor" => DType::F64,
        "torch.FloatTensor" => DType::F32,
        other => return Err(cx.arg_error(2, &format!("unknown tensor type '{other}'"))),
    };
    convert(cx, a, t, dtype)
}

/// `t` itself if it has type `dtype` (as Torch7), else a converted copy.
fn convert<'n>(cx: &mut Cx<'n>, a: Args, t: Tensor, dtype: DType) -> HostResult<'n, Ret> {
    if t.dtype() == dtype {
        return ret_self(cx, a);
    }
    copy_as(cx, a, dtype)
}

fn float<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    convert(cx, a, t, DType::F32)
}

fn double<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    convert(cx, a, t, DType::F64)
}

/// `t:copy(src)`: copies the values of a tensor with as many elements (any type).
fn copy<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let src = check_tensor(cx, a, 2)?;
    copy_into(&t, &src).map_err(|e| fail(cx, e))?;
    ret_self(cx, a)
}

fn fill<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let x = cx.check_number(a, 2)?;
    t.fill(x);
    ret_self(cx, a)
}

fn zero<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    t.fill(0.0);
    ret_self(cx, a)
}

/// `t:totable()`: nested tables of numbers.
fn totable<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = check_tensor(cx, a, 1)?;
    let values = t.contiguous_values();
    cx.charge_bytes(values.len().saturating_mul(16))?;
    // The tables go into the Lua heap: a value slot per number, a table per row.
    let rows: usize = t.sizes().iter().rev().skip(1).product::<usize>().max(1);
    cx.reserve(
        values
            .len()
            .saturating_mul(16)
            .saturating_add(rows.saturating_mul(64)),
    )?;
    let sizes = t.sizes().to_vec();
    let v = nested_table(cx, &sizes, &values);
    cx.push(v);
    Ok(Ret::Values(1))
}

pub(crate) fn nested_table<'n>(cx: &mut Cx<'n>, sizes: &[usize], values: &[f64]) -> Val<'n> {
    let Some((&n, rest)) = sizes.split_first() else {
        return Val::Table(cx.new_table());
    };
    let table = cx.new_table_with(n, 0);
    let stride = values.len().checked_div(n).unwrap_or(0);
    for i in 0..n {
        let item = if rest.is_empty() {
            Val::Num(values[i])
        } else {
            nested_table(cx, rest, &values[i * stride..(i + 1) * stride])
        };
        cx.raw_set_int(table, i as i64 + 1, item);
    }
    Val::Table(table)
}
