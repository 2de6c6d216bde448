//! The Lua `term` library, in every process: the Erlang-only shapes of DESIGN.md's
//! table ("Erlang terms at the Lua boundary"), so that atoms, tuples and lists keep
//! their type on a round trip through an Erlang node.
//!
//! | call | meaning |
//! |---|---|
//! | `term.atom(name)` | the atom `name`: interned, equal by value, a table key, `tostring` is its name (`"true"`, `"false"`, `"nil"` give the Lua values) |
//! | `term.tuple(...)` | a table holding the arguments, marked as a tuple |
//! | `term.list([t])` | `t` (or a new table), marked as a list; returns it |
//! | `term.type(v)` | `"atom"`, `"tuple"`, `"list"`, `"pid"`, else `type(v)` |
//!
//! Atoms are light userdata (see `library.rs`). A tuple or list is a table whose
//! metatable is the node's tuple or list metatable; the metatable holds a mark at `[1]`
//! (a light userdata no Lua code can make), which is what the message copy looks for
//! (`cube_term::Bridge::table_kind`), so the mark survives a process copying the shared
//! image. Received tuples and lists come marked the same way.

use crate::library::{as_atom, as_pid, atom_value, registry_table, LIST_MARK, TUPLE_MARK};
use cube_lua::host::{Args, Cx, HostResult, Ret, TableRef, Val};
use cube_term::{Atom, TableKind};

const TUPLE_META: &str = "cube.tuple";
const LIST_META: &str = "cube.list";

/// Adds the `term` table and the two metatables to the state every process starts
/// from.
pub(crate) fn open(cx: &mut Cx<'_>) {
    for (key, mark) in [(TUPLE_META, TUPLE_MARK), (LIST_META, LIST_MARK)] {
        let mt = registry_table(cx, key);
        cx.raw_set_int(mt, 1, Val::LightUserData(mark));
    }
    let lib = cx.new_table();
    cx.register(
        lib,
        &[
            ("atom", atom),
            ("tuple", tuple),
            ("list", list),
            ("type", type_),
        ],
    );
    cx.set_global("term", Val::Table(lib));
    let loaded = cx.loaded_table();
    cx.set_field(loaded, "term", Val::Table(lib));
}

/// Whether `t` is marked as a tuple or a list.
pub(crate) fn kind_of<'n>(cx: &Cx<'n>, t: TableRef<'n>) -> Option<TableKind> {
    let mt = cx.metatable(Val::Table(t))?;
    match cx.raw_get_int(mt, 1) {
        Val::LightUserData(TUPLE_MARK) => Some(TableKind::Tuple),
        Val::LightUserData(LIST_MARK) => Some(TableKind::List),
        _ => None,
    }
}

/// Marks `t` as a tuple or a list.
pub(crate) fn mark<'n>(cx: &mut Cx<'n>, t: TableRef<'n>, kind: TableKind) {
    let key = match kind {
        TableKind::Tuple => TUPLE_META,
        TableKind::List => LIST_META,
    };
    let mt = registry_table(cx, key);
    cx.set_table_meta(t, Some(mt));
}

fn atom<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let name = cx.check_str(a, 1)?.to_str_lossy().into_owned();
    let v = match Atom::try_new(&name) {
        Some(Atom::NIL) => Val::Nil,
        Some(Atom::TRUE) => Val::Bool(true),
        Some(Atom::FALSE) => Val::Bool(false),
        Some(atom) => atom_value(atom),
        None => return Err(cx.rt_error("atom table full")),
    };
    cx.push(v);
    Ok(Ret::Values(1))
}

fn tuple<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = cx.new_table_with(a.len, 0);
    for i in 1..=a.len {
        let v = cx.arg(a, i);
        cx.raw_set_int(t, i as i64, v);
    }
    mark(cx, t, TableKind::Tuple);
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

fn list<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let t = match cx.arg(a, 1) {
        Val::Nil => cx.new_table(),
        _ => cx.check_table(a, 1)?,
    };
    mark(cx, t, TableKind::List);
    cx.push(Val::Table(t));
    Ok(Ret::Values(1))
}

fn type_<'n>(cx: &mut Cx<'n>, a: Args) -> HostResult<'n, Ret> {
    let v = cx.arg(a, 1);
    let name: &[u8] = if as_atom(v).is_some() {
        b"atom"
    } else if as_pid(v).is_some() {
        b"pid"
    } else {
        match v {
            Val::Table(t) => match kind_of(cx, t) {
                Some(TableKind::Tuple) => b"tuple",
                Some(TableKind::List) => b"list",
                None => b"table",
            },
            Val::Nil => b"nil",
            Val::Bool(_) => b"boolean",
            Val::Num(_) => b"number",
            Val::Str(_) => b"string",
            Val::Function(_) => b"function",
            Val::Thread(_) => b"thread",
            Val::UserData(_) | Val::LightUserData(_) => b"userdata",
        }
    };
    cx.push_str(name);
    Ok(Ret::Values(1))
}
