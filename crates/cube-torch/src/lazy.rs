//! `nn` and `optim` are Lua sources, loaded in each process on first use.
//!
//! A node's processes share one frozen image of their globals, which cannot hold Lua
//! functions (the VM writes them in place; `cube_lua::image`). So the image holds, for
//! each library, an empty table whose metatable's `__index`/`__newindex` are natives
//! (without upvalues, so shared as they are); the first lookup in a process makes that
//! process's own table, runs the library's compiled chunk into it and answers from it
//! (cube-vm's `lazy_module`, as the `supervisor` and `programs` libraries do). Processes
//! that never use `nn` pay nothing, and using it does not copy the image.
//!
//! The chunk gets the table as its argument, with the library's natives (and `torch`)
//! in its field `_natives` (the chunk takes them and clears the field). `torch.class` is a native
//! that loads `nn` first, then calls its `_class`, so Torch7's `require 'nn';
//! torch.class('nn.Mine', 'nn.Module')` works before any other use of `nn`.

use cube_lua::host::{Args, Cont, Cx, HostFn, HostResult, HostStatus, Ret, TableRef, Val};
use cube_lua::proto::Proto;
use cube_vm::lazy_module;
use std::sync::{Arc, OnceLock};

/// A library written in Lua.
pub(crate) struct Library {
    /// Its global name, also its key in the process's own module tables.
    pub name: &'static str,
    /// Its position in [`LIBRARIES`] (how a continuation names it).
    pub index: usize,
    pub chunk_name: &'static str,
    pub source: &'static str,
    pub natives: &'static [(&'static str, HostFn)],
    /// The compiled chunk, shared by every process (prototypes are immutable).
    pub proto: &'static OnceLock<Result<Arc<Proto>, String>>,
}

/// The libraries written in Lua, by [`Library::index`].
const LIBRARIES: [&Library; 2] = [&crate::nn::LIBRARY, &crate::optim::LIBRARY];

impl Library {
    fn proto(&self) -> Result<Arc<Proto>, String> {
        self.proto
            .get_or_init(|| {
                cube_lua::load::compile(self.source.as_bytes(), self.chunk_name)
                    .map_err(|e| format!("{} does not compile: {}", self.chunk_name, e.message))
            })
            .clone()
    }

    /// The key of this library's own table in a process (kept apart from cube-vm's
    /// libraries' names).
    fn key(&self) -> String {
        format!("torch.{}", self.name)
    }
}

/// The process's own table of `lib`, and the chunk to fill it with if it was made
/// just now (the natives are already in it).
fn own_table<'n>(
    cx: &mut Cx<'n>,
    lib: &Library,
) -> HostResult<'n, (TableRef<'n>, Option<Arc<Proto>>)> {
    let (table, new) = lazy_module::private_table(cx, &lib.key());
    if !new {
        return Ok((table, None));
    }
    let proto = lib.proto().map_err(|e| cx.rt_error(&e))?;
    let natives = cx.new_table();
    cx.register(natives, lib.natives);
    // `torch` from the loaded modules, not the global a script may have replaced.
    let loaded = cx.loaded_table();
    let torch = cx.get_field(loaded, "torch");
    cx.set_field(natives, "torch", torch);
    cx.set_field(table, "_natives", Val::Table(natives));
    Ok((table, Some(proto)))
}

/// `__index(proxy, key)` of a library's shared table.
pub(crate) fn index<'n>(cx: &mut Cx<'n>, a: Args, lib: &Library) -> HostResult<'n, Ret> {
    match own_table(cx, lib)? {
        (table, None) => lazy_module::index(cx, a, table),
        (table, Some(proto)) => lazy_module::fill_then_index(cx, a, table, proto),
    }
}

/// `__newindex(proxy, key, value)`: stores into the process's own table (loading the
/// library first if needed), so `nn.Mine = ...` works as on a plain table.
pub(crate) fn newindex<'n>(cx: &mut Cx<'n>, a: Args, lib: &Library) -> HostResult<'n, Ret> {
    let (table, fill) = own_table(cx, lib)?;
    let (key, value) = (cx.arg(a, 2), cx.arg(a, 3));
    if cx.raw_set(table, key, value).is_err() {
        return Err(cx.rt_error("table index is nil or NaN"));
    }
    match fill {
        None => Ok(Ret::Values(0)),
        Some(proto) => lazy_module::fill_then_index(cx, a, table, proto),
    }
}

/// `__pairs(proxy)`: iterates over the process's own table (loading the library
/// first if needed), so `pairs(nn)` lists the classes as on a plain table.
pub(crate) fn pairs<'n>(cx: &mut Cx<'n>, a: Args, lib: &Library) -> HostResult<'n, Ret> {
    match own_table(cx, lib)? {
        (table, None) => push_iteration(cx, table),
        (table, Some(proto)) => {
            run_chunk_then(cx, a, table, proto, after_loading_for_pairs, lib.index)
        }
    }
}

fn after_loading_for_pairs<'n>(
    cx: &mut Cx<'n>,
    _status: HostStatus<'n>,
    cont: &mut Cont,
) -> HostResult<'n, Ret> {
    let lib = LIBRARIES[cont.ctx.min(LIBRARIES.len() - 1)];
    let (table, _) = lazy_module::private_table(cx, &lib.key());
    push_iteration(cx, table)
}

/// Returns `next, table, nil`, the generic `for`'s triple (`next` being `raw_next`).
fn push_iteration<'n>(cx: &mut Cx<'n>, table: TableRef<'n>) -> HostResult<'n, Ret> {
    let next = cx.new_function("next", raw_next, &[]);
    cx.push(next);
    cx.push(Val::Table(table));
    cx.push(Val::Nil);
    Ok(Ret::Values(3))
}

/// `next(table, key)` without metamethods, as Lua's own.
fn raw_next<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let table = cx.check_table(a, 1)?;
    let key = cx.arg(a, 2);
    match cx.next(table, key) {
        Some((k, v)) => {
            cx.push(k);
            cx.push(v);
            Ok(Ret::Values(2))
        }
        None => {
            cx.push(Val::Nil);
            Ok(Ret::Values(1))
        }
    }
}

/// Runs a library's chunk into `table` as a Lua call from the native with
/// arguments `a`, then `then` with `ctx`.
fn run_chunk_then<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    table: TableRef<'n>,
    proto: Arc<Proto>,
    then: cube_lua::host::HostContFn,
    ctx: usize,
) -> HostResult<'n, Ret> {
    let env = Val::Table(cx.globals());
    let chunk = cx.closure_of(proto, env);
    cx.set_top(a.base + a.len);
    cx.push(chunk);
    cx.push(Val::Table(table));
    Ok(Ret::Call {
        nargs: 1,
        nresults: 0,
        cont: Cont::host(then, ctx),
    })
}

/// `torch.class(name [, parent])`: `nn`'s `_class`, once `nn` is loaded.
pub(crate) fn torch_class<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    match own_table(cx, &crate::nn::LIBRARY)? {
        (table, None) => call_class(cx, a, table),
        (table, Some(proto)) => run_chunk_then(cx, a, table, proto, after_loading, a.len),
    }
}

/// After `nn`'s chunk ran for `torch.class`: the class call itself.
fn after_loading<'n>(
    cx: &mut Cx<'n>,
    _status: HostStatus<'n>,
    cont: &mut Cont,
) -> HostResult<'n, Ret> {
    let a = Args {
        base: cx.frame_base(),
        len: cont.ctx,
    };
    let (table, _) = lazy_module::private_table(cx, &crate::nn::LIBRARY.key());
    call_class(cx, a, table)
}

/// Replaces the native's frame by a call of `table._class` with its arguments.
fn call_class<'n>(cx: &mut Cx<'n>, a: Args, table: TableRef<'n>) -> HostResult<'n, Ret> {
    let class = cx.get_field(table, "_class");
    if !class.is_function() {
        return Err(cx.rt_error("torch.class: nn did not load"));
    }
    cx.check_stack(a.len + 1)?;
    let args: Vec<Val<'n>> = (1..=a.len).map(|i| cx.arg(a, i)).collect();
    cx.set_top(a.base + a.len);
    cx.push(class);
    for v in args {
        cx.push(v);
    }
    Ok(Ret::TailCall { nargs: a.len })
}

/// The library's shared table: empty, answered by `index`/`newindex` natives.
pub(crate) fn install<'n>(
    cx: &mut Cx<'n>,
    name: &str,
    hooks: &[(&'static str, HostFn)],
) -> TableRef<'n> {
    let proxy = cx.new_table();
    let meta = cx.new_table();
    cx.register(meta, hooks);
    cx.set_table_meta(proxy, Some(meta));
    cx.set_global(name, Val::Table(proxy));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, name, Val::Table(proxy));
    proxy
}
