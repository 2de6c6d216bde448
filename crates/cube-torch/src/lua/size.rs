//! The size storage: what `t:size()` and `t:stride()` return and `torch.LongStorage`
//! makes (Torch7's LongStorage, used here for sizes only): `s[i]`, `#s`, `s:size()`,
//! `s:totable()`, `==`, and `tostring` in Torch7's layout.

use super::methods::nested_table;
use super::values::{index_of_number, SizeStorage};
use crate::format::storage_text;
use cube_lua::host::{Cx, HostFn, HostResult, Val};
use cube_lua::{Args, Ret};

pub(crate) const METHODS: &[(&str, HostFn)] = &[("size", size_len), ("totable", size_totable)];

pub(crate) const METAMETHODS: &[(&str, HostFn)] = &[
    ("__len", size_len),
    ("__tostring", size_tostring),
    ("__eq", size_eq),
];

fn push_num<'n>(cx: &mut Cx<'n>, x: f64) -> HostResult<'n, Ret> {
    cx.push(Val::Num(x));
    Ok(Ret::Values(1))
}
fn check_size<'n>(cx: &mut Cx<'n>, a: Args, i: usize) -> HostResult<'n, Vec<usize>> {
    let v = cx.arg(a, i);
    match cx.userdata_get::<SizeStorage>(v) {
        Some(s) => Ok(s.0.clone()),
        None => Err(cx.arg_type_error(a, i, "torch.LongStorage")),
    }
}

/// `s[i]` (nil out of range, as a table) or a method.
pub(crate) fn size_index<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let s = check_size(cx, a, 1)?;
    let key = cx.arg(a, 2);
    if let Val::Num(k) = key {
        let v = match index_of_number(k, s.len(), 1) {
            Ok(i) => Val::Num(s[i] as f64),
            Err(_) => Val::Nil,
        };
        cx.push(v);
        return Ok(Ret::Values(1));
    }
    let m = match cx.upvalue(0) {
        Val::Table(m) => cx.raw_get(m, key),
        _ => Val::Nil,
    };
    cx.push(m);
    Ok(Ret::Values(1))
}

fn size_len<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let s = check_size(cx, a, 1)?;
    push_num(cx, s.len() as f64)
}

fn size_totable<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let s = check_size(cx, a, 1)?;
    let values: Vec<f64> = s.iter().map(|&x| x as f64).collect();
    let v = nested_table(cx, &[values.len()], &values);
    cx.push(v);
    Ok(Ret::Values(1))
}

fn size_tostring<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let s = check_size(cx, a, 1)?;
    let values: Vec<f64> = s.iter().map(|&x| x as f64).collect();
    let text = storage_text("torch.LongStorage", &values);
    cx.push_str(text.as_bytes());
    Ok(Ret::Values(1))
}

fn size_eq<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let x = cx.arg(a, 1);
    let y = cx.arg(a, 2);
    let same = match (
        cx.userdata_get::<SizeStorage>(x),
        cx.userdata_get::<SizeStorage>(y),
    ) {
        (Some(p), Some(q)) => p.0 == q.0,
        _ => false,
    };
    cx.push(Val::Bool(same));
    Ok(Ret::Values(1))
}
