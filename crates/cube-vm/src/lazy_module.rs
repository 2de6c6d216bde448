//! Library modules written in Lua that load on first use: the module table starts empty
//! with an `__index` metamethod (a native of the library); the first lookup fills the
//! table by running the library's compiled chunk with the table as its argument
//! (`local M = ...`), then answers the lookup. Used by `supervisor` and by cube-sup's
//! `programs`. The chunk runs as a Lua call from the native (no Rust recursion).

use cube_lua::gc::Gc;
use cube_lua::proto::Proto;
use cube_lua::table::Table;
use cube_lua::thread::{Cont, Status};
use cube_lua::{Args, LResult, Ret, State, Value};
use std::sync::Arc;

/// From an `__index(module, key)` native with arguments `a`: runs `chunk` with `module`
/// as its argument, then returns `module[key]`. The native must have made the state
/// own its image (`State::own_image`) before it read `module`, since the module table
/// is part of the node's shared image.
pub fn fill_then_index(
    st: &mut State,
    a: Args,
    module: Gc<Table>,
    chunk: Arc<Proto>,
) -> LResult<Ret> {
    let env = Value::Table(st.globals);
    let chunk = st.closure_of(chunk, env);
    st.set_top(a.base + a.len);
    st.push(chunk);
    st.push(Value::Table(module));
    Ok(Ret::Call {
        nargs: 1,
        nresults: 0,
        cont: Cont::new(answer_lookup, a.len),
    })
}

/// After the chunk: `module[key]`, with the `__index` call's own arguments.
fn answer_lookup(st: &mut State, _status: Status, cont: &mut Cont) -> LResult<Ret> {
    let base = st.cur.frames.last().expect("__index frame").base;
    let a = Args {
        base,
        len: cont.ctx,
    };
    let (module, key) = (st.arg(a, 1), st.arg(a, 2));
    let Value::Table(t) = module else {
        unreachable!("checked before the call");
    };
    let v = t.get(&key);
    st.set_top(base + cont.ctx);
    st.push(v);
    Ok(Ret::Values(1))
}
