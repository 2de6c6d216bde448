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

use cube_lua::gc::Gc;
use cube_lua::proto::Proto;
use cube_lua::table::Table;
use cube_lua::thread::{Cont, Status};
use cube_lua::{Args, LResult, Ret, State, Value};
use std::sync::Arc;

/// This process's own table for module `name`, and whether it was made just now
/// (empty: the caller fills it).
pub fn private_table(st: &mut State, name: &str) -> (Gc<Table>, bool) {
    let modules = match st.host_root {
        Value::Table(t) => t,
        _ => {
            let t = st.new_table();
            st.host_root = Value::Table(t);
            t
        }
    };
    if let Value::Table(t) = st.get_field(modules, name) {
        return (t, false);
    }
    let t = st.new_table();
    st.set_field(modules, name, Value::Table(t));
    (t, true)
}

/// From an `__index(module, key)` native with arguments `a`: returns `table[key]`.
pub fn index(st: &mut State, a: Args, table: Gc<Table>) -> LResult<Ret> {
    let key = st.arg(a, 2);
    st.push(table.get(&key));
    Ok(Ret::Values(1))
}

/// From an `__index(module, key)` native with arguments `a`: runs `chunk` with `table`
/// as its argument, then returns `table[key]`. The chunk runs as a Lua call from the
/// native (no Rust recursion).
pub fn fill_then_index(
    st: &mut State,
    a: Args,
    table: Gc<Table>,
    chunk: Arc<Proto>,
) -> LResult<Ret> {
    let env = Value::Table(st.globals());
    let chunk = st.closure_of(chunk, env);
    st.set_top(a.base + a.len);
    // The table stays below the call, where the continuation finds it.
    st.push(Value::Table(table));
    st.push(chunk);
    st.push(Value::Table(table));
    Ok(Ret::Call {
        nargs: 1,
        nresults: 0,
        cont: Cont::new(answer_lookup, a.len),
    })
}

/// After the chunk: `table[key]`, with the `__index` call's own arguments.
fn answer_lookup(st: &mut State, _status: Status, cont: &mut Cont) -> LResult<Ret> {
    let base = st.frame_base();
    let a = Args {
        base,
        len: cont.ctx,
    };
    let Value::Table(table) = st.stack_at(base + cont.ctx) else {
        unreachable!("pushed before the call");
    };
    let v = table.get(&st.arg(a, 2));
    st.set_top(base + cont.ctx);
    st.push(v);
    Ok(Ret::Values(1))
}
