//! Library modules written in Lua that load on first use (`supervisor`, cube-sup's
//! `programs`), without copying the node's shared image.
//!
//! The module table every process sees is part of the shared image (`cube_lua::image`)
//! and stays empty, with an `__index` metamethod (a native of the library). On the
//! first lookup in a process, the native makes that process's own table for the module
//! (kept in the state's host root, a GC root of the state), fills it by running the
//! library's compiled chunk with it as the argument (`local M = ...`), and answers the
//! lookup from it; later lookups are answered from it at once. Filling the shared table
//! instead would make every process that uses the module copy the whole image.

use cube_lua::host::{Args, Cont, Cx, HostResult, HostStatus, Ret, TableRef, Val};
use cube_lua::proto::Proto;
use std::sync::Arc;

/// This process's own table for module `name`, and whether it was made just now
/// (empty: the caller fills it).
pub fn private_table<'n>(cx: &mut Cx<'n>, name: &str) -> (TableRef<'n>, bool) {
    let modules = match cx.host_root() {
        Val::Table(t) => t,
        _ => {
            let t = cx.new_table();
            cx.set_host_root(Val::Table(t));
            t
        }
    };
    if let Val::Table(t) = cx.get_field(modules, name) {
        return (t, false);
    }
    let t = cx.new_table();
    cx.set_field(modules, name, Val::Table(t));
    (t, true)
}

/// From an `__index(module, key)` native with arguments `a`: returns `table[key]`.
pub fn index<'n>(cx: &mut Cx<'n>, a: Args, table: TableRef<'n>) -> HostResult<'n, Ret> {
    let key = cx.arg(a, 2);
    let v = cx.raw_get(table, key);
    cx.push(v);
    Ok(Ret::Values(1))
}

/// From an `__index(module, key)` native with arguments `a`: runs `chunk` with `table`
/// as its argument, then returns `table[key]`. The chunk runs as a Lua call from the
/// native (no Rust recursion).
pub fn fill_then_index<'n>(
    cx: &mut Cx<'n>,
    a: Args,
    table: TableRef<'n>,
    chunk: Arc<Proto>,
) -> HostResult<'n, Ret> {
    let env = Val::Table(cx.globals());
    let chunk = cx.closure_of(chunk, env);
    cx.set_top(a.base + a.len);
    // The table stays below the call, where the continuation finds it.
    cx.push(Val::Table(table));
    cx.push(chunk);
    cx.push(Val::Table(table));
    Ok(Ret::Call {
        nargs: 1,
        nresults: 0,
        cont: Cont::host(answer_lookup, a.len),
    })
}

/// After the chunk: `table[key]`, with the `__index` call's own arguments.
fn answer_lookup<'n>(
    cx: &mut Cx<'n>,
    _status: HostStatus<'n>,
    cont: &mut Cont,
) -> HostResult<'n, Ret> {
    let base = cx.frame_base();
    let a = Args {
        base,
        len: cont.ctx,
    };
    let Val::Table(table) = cx.stack_at(base + cont.ctx) else {
        unreachable!("pushed before the call");
    };
    let key = cx.arg(a, 2);
    let v = cx.raw_get(table, key);
    cx.set_top(base + cont.ctx);
    cx.push(v);
    Ok(Ret::Values(1))
}
