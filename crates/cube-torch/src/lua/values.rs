//! Between Lua values and tensors: argument checks, pushing results, sizes, indices,
//! and errors.

use super::{size_meta, tensor_meta, with_settings};
use crate::account::Account;
use crate::error::TorchError;
use crate::storage::{check_alloc, DType};
use crate::tensor::{element_count, Tensor};
use cube_lua::host::{Cx, HostResult, Val};
use cube_lua::Args;

/// The payload of a size storage (`t:size()`, `torch.LongStorage{...}`).
pub(crate) struct SizeStorage(pub Vec<usize>);

/// A Lua error with the message of a tensor error (and the position of the caller).
pub(crate) fn fail<'n>(cx: &mut Cx<'n>, e: TorchError) -> Val<'n> {
    cx.rt_error(&e.0)
}

pub(crate) fn tensor_of<'n>(cx: &Cx<'n>, v: Val<'n>) -> Option<Tensor> {
    cx.userdata_get::<Tensor>(v).cloned()
}

/// Argument `i`, which must be a tensor.
pub(crate) fn check_tensor<'n>(cx: &mut Cx<'n>, a: Args, i: usize) -> HostResult<'n, Tensor> {
    let v = cx.arg(a, i);
    match tensor_of(cx, v) {
        Some(t) => Ok(t),
        None => Err(cx.arg_type_error(a, i, "torch.Tensor")),
    }
}

/// A new userdata for a tensor, its storage counted in the process's account
/// ([`adopt`]).
pub(crate) fn tensor_val<'n>(cx: &mut Cx<'n>, t: Tensor) -> HostResult<'n, Val<'n>> {
    adopt(cx, &t)?;
    Ok(tensor_userdata(cx, t))
}

/// The userdata of a tensor already adopted.
pub(crate) fn tensor_userdata<'n>(cx: &mut Cx<'n>, t: Tensor) -> Val<'n> {
    let mt = tensor_meta(cx);
    cx.new_userdata(t, Some(mt))
}

pub(crate) fn push_tensor<'n>(cx: &mut Cx<'n>, t: Tensor) -> HostResult<'n, ()> {
    let v = tensor_val(cx, t)?;
    cx.push(v);
    Ok(())
}

/// This process's account of tensor bytes (`crate::account`).
pub(crate) fn account(cx: &mut Cx<'_>) -> Account {
    with_settings(cx, |s| s.account.clone())
}

/// Counts `t`'s storage in this process's account if no process counts it yet, and
/// then checks that the Lua heap and the live tensors fit the heap limit ([`fit`]).
/// A storage counted here also paces the collector (`Cx::pace_external_alloc`): a
/// loop that makes and drops tensors has its garbage collected in proportion to the
/// tensors' bytes, not to their small userdata. Call it before any side effect of the
/// native; the caller drops `t` on an error, which releases the charge.
pub(crate) fn adopt<'n>(cx: &mut Cx<'n>, t: &Tensor) -> HostResult<'n, ()> {
    let account = account(cx);
    if t.storage().charge_to(&account) {
        cx.pace_external_alloc(storage_bytes(t));
        fit(cx, 0)?;
    }
    Ok(())
}

/// The bytes of `t`'s whole storage.
pub(crate) fn storage_bytes(t: &Tensor) -> usize {
    let s = t.storage();
    s.len().saturating_mul(s.dtype().size_in_bytes())
}

/// Checks that the Lua heap, the process's live tensors and `extra` more bytes fit
/// under the heap limit (`--max-heap`). If they do not, garbage tensors may be what
/// fills it, and only a collection frees them: this asks the driver for one the way
/// `Cx::reserve` does (a reservation the heap cannot grant as it is, so the driver
/// collects and calls the native again with the same arguments); on that second call,
/// still over the limit, the process ends with the uncatchable "heap limit exceeded"
/// (as it does if the collection freed nothing at all). The reservation is made in
/// Lua-heap terms because the driver re-checks the requested bytes against the heap
/// after collecting, not against the tensors, whose count only this crate knows.
pub(crate) fn fit<'n>(cx: &mut Cx<'n>, extra: usize) -> HostResult<'n, ()> {
    let Some(max) = cx.max_heap() else {
        return Ok(());
    };
    let heap = cx.heap_bytes();
    let total = heap
        .saturating_add(account(cx).bytes())
        .saturating_add(extra);
    if total <= max {
        return Ok(());
    }
    cx.reserve_within(0, heap.saturating_sub(1))?;
    Err(cx.heap_limit_error())
}

pub(crate) fn push_size<'n>(cx: &mut Cx<'n>, sizes: Vec<usize>) {
    let mt = size_meta(cx);
    let v = cx.new_userdata(SizeStorage(sizes), Some(mt));
    cx.push(v);
}

/// Checks that a new tensor of `n` elements of `dtype` may be made, before anything is
/// allocated: the per-tensor limit, then the process's heap limit (`--max-heap`), which
/// must hold the Lua heap, the process's live tensors and this one. Call it before any
/// side effect (`Cx::reserve`).
pub(crate) fn reserve_elements<'n>(cx: &mut Cx<'n>, n: usize, dtype: DType) -> HostResult<'n, ()> {
    let bytes = check_alloc(n, dtype).map_err(|e| fail(cx, e))?;
    fit(cx, bytes)
}

pub(crate) fn reserve_sizes<'n>(
    cx: &mut Cx<'n>,
    sizes: &[usize],
    dtype: DType,
) -> HostResult<'n, ()> {
    let n = element_count(sizes).map_err(|e| fail(cx, e))?;
    reserve_elements(cx, n, dtype)
}

/// A size from a Lua number: finite, not negative, truncated toward zero.
pub(crate) fn size_of_number(x: f64) -> Result<usize, TorchError> {
    if !x.is_finite() || x < 0.0 {
        return Err(TorchError::new(format!("invalid tensor size {x}")));
    }
    // `as` saturates; a saturated size fails the allocation limit with its value.
    Ok(x.trunc() as usize)
}

/// Torch7's sizes: a zero size ends the dimensions (`torch.Tensor(0)` has none).
pub(crate) fn torch_sizes(mut sizes: Vec<usize>) -> Vec<usize> {
    if let Some(z) = sizes.iter().position(|&s| s == 0) {
        sizes.truncate(z);
    }
    sizes
}

/// Sizes given from argument `first` on: numbers, or one size storage, or one table
/// of numbers.
pub(crate) fn sizes_from_args<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    first: usize,
) -> HostResult<'n, Vec<usize>> {
    let v = cx.arg(a, first);
    if let Some(s) = cx.userdata_get::<SizeStorage>(v) {
        return Ok(s.0.clone());
    }
    if let Val::Table(t) = v {
        let n = cx.raw_len(t);
        let mut sizes = Vec::with_capacity(n);
        for i in 1..=n {
            match cx.raw_get_int(t, i as i64).as_num() {
                Some(x) => sizes.push(size_of_number(x).map_err(|e| fail(cx, e))?),
                None => return Err(cx.arg_error(first, "table of sizes expected")),
            }
        }
        return Ok(sizes);
    }
    let mut sizes = Vec::new();
    for i in first..=a.len {
        let x = cx.check_number(a, i)?;
        sizes.push(size_of_number(x).map_err(|e| fail(cx, e))?);
    }
    Ok(sizes)
}

/// Sizes for `view`: as [`sizes_from_args`], where one size may be -1 (inferred from
/// the element count `numel`).
pub(crate) fn view_sizes<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    first: usize,
    numel: usize,
) -> HostResult<'n, Vec<usize>> {
    let v = cx.arg(a, first);
    let raw: Vec<f64> = if let Some(s) = cx.userdata_get::<SizeStorage>(v) {
        s.0.iter().map(|&x| x as f64).collect()
    } else {
        let mut raw = Vec::new();
        for i in first..=a.len {
            raw.push(cx.check_number(a, i)?);
        }
        raw
    };
    let holes = raw.iter().filter(|&&x| x == -1.0).count();
    if holes > 1 {
        return Err(cx.rt_error("only one of the view's sizes can be -1"));
    }
    let mut sizes = Vec::with_capacity(raw.len());
    for &x in &raw {
        sizes.push(if x == -1.0 {
            1
        } else {
            size_of_number(x).map_err(|e| fail(cx, e))?
        });
    }
    if holes == 1 {
        let covered = sizes
            .iter()
            .try_fold(1usize, |acc, &s| acc.checked_mul(s))
            .unwrap_or(0);
        let hole = raw.iter().position(|&x| x == -1.0).unwrap_or(0);
        if covered == 0 || !numel.is_multiple_of(covered) {
            return Err(cx.rt_error(&format!("cannot view {numel} elements with sizes {raw:?}")));
        }
        sizes[hole] = numel / covered;
    }
    Ok(sizes)
}

/// A 1-based index into a dimension of `size` elements, as a 0-based one.
pub(crate) fn index_of_number(x: f64, size: usize, dim: usize) -> Result<usize, TorchError> {
    let i = x.trunc();
    if !(i >= 1.0 && i <= size as f64) {
        return Err(TorchError::new(format!(
            "index {x} out of range for dimension {dim} of size {size}"
        )));
    }
    Ok(i as usize - 1)
}

/// Argument `i`, a 1-based dimension of `t`, as a 0-based one.
pub(crate) fn dim_arg<'n>(cx: &mut Cx<'n>, a: Args, i: usize, t: &Tensor) -> HostResult<'n, usize> {
    let x = cx.check_number(a, i)?;
    let d = x.trunc();
    if !(d >= 1.0 && d <= t.dim() as f64) {
        return Err(cx.rt_error(&format!(
            "dimension {x} out of range of {}D tensor",
            t.dim()
        )));
    }
    Ok(d as usize - 1)
}
