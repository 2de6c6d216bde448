//! `torch.save(path, x)` and `torch.load(path)` (safetensors; see `crate::file`).
//! `x` is a tensor, or a table of named tensors (string keys).

use super::values::{check_tensor, fail, push_tensor, tensor_of, tensor_val};
use crate::file::{self, Loaded, SINGLE_NAME};
use cube_lua::host::{Cx, HostFn, HostResult, Val};
use cube_lua::{Args, Ret};

pub(crate) const FUNCTIONS: &[(&str, HostFn)] = &[("save", save), ("load", load)];

fn save<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let path = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let v = cx.arg(a, 2);
    let (named, single) = if let Val::Table(t) = v {
        let mut named = Vec::new();
        let mut k = Val::Nil;
        while let Some((key, value)) = cx.next(t, k) {
            let Val::Str(name) = key else {
                return Err(cx.rt_error("torch.save: a table of tensors must have string keys"));
            };
            let Some(tensor) = tensor_of(cx, value) else {
                return Err(cx.rt_error(&format!(
                    "torch.save: '{}' is a {}, not a tensor",
                    name.to_str_lossy(),
                    value.type_name()
                )));
            };
            named.push((name.to_str_lossy().into_owned(), tensor));
            k = key;
        }
        named.sort_by(|x, y| x.0.cmp(&y.0));
        (named, false)
    } else {
        let t = check_tensor(cx, a, 2)?;
        (vec![(SINGLE_NAME.to_string(), t)], true)
    };
    let bytes: usize = named
        .iter()
        .map(|(_, t)| t.numel() * t.dtype().size_in_bytes())
        .sum();
    cx.charge_bytes(bytes)?;
    file::save(&path, &named, single).map_err(|e| fail(cx, e))?;
    Ok(Ret::Values(0))
}

fn load<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let path = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    match file::load(&path).map_err(|e| fail(cx, e))? {
        Loaded::Single(t) => push_tensor(cx, t)?,
        Loaded::Named(named) => {
            let table = cx.new_table_with(0, named.len());
            for (name, t) in named {
                let v = tensor_val(cx, t)?;
                let k = cx.new_str(name.as_bytes());
                if cx.raw_set(table, k, v).is_err() {
                    return Err(cx.rt_error("torch.load: bad tensor name"));
                }
            }
            cx.push(Val::Table(table));
        }
    }
    Ok(Ret::Values(1))
}
