//! Moving the function given to `process.spawn` into the new process (DESIGN.md
//! decision 4): its prototype is shared (`Arc`), its upvalues are deep-copied, and Lua
//! functions found in upvalues travel the same way (recursively, keeping shared
//! upvalue cells and cycles such as a recursive local function). `_ENV` becomes the new
//! process's fresh globals; native functions are found again by their global name.

use cube_lua::gc::Gc;
use cube_lua::proto::Proto;
use cube_lua::value::{LClosure, UpState, UpVal};
use cube_lua::{State, Value};
use cube_term::{Bridge, Term};
use std::collections::HashMap;
use std::sync::Arc;

enum CellVal {
    Term(Term),
    Func(usize),
    Env,
    Native(String),
}

struct FuncDesc {
    proto: Arc<Proto>,
    cells: Vec<usize>,
}

/// A spawned function and its arguments, independent of any heap.
pub(crate) struct Packet {
    funcs: Vec<FuncDesc>,
    cells: Vec<CellVal>,
    args: Vec<Term>,
    /// Estimated bytes once materialised (`limits::term_size` of every copied value).
    size: usize,
}

impl Packet {
    /// Estimated bytes the packet's values take once materialised.
    pub(crate) fn size(&self) -> usize {
        self.size
    }
}

/// Why a function cannot be packed.
pub(crate) enum PackError {
    /// A value that cannot be sent (the message says which and where).
    Unsendable(String),
    /// The copied values exceed the budget given to `pack`.
    TooBig,
}

impl From<String> for PackError {
    fn from(m: String) -> PackError {
        PackError::Unsendable(m)
    }
}

/// Adds the size of `t` to `total`, failing once it passes `budget`. Each upvalue and
/// argument is a separate copy (a string shared by several of them is copied each
/// time), so the running total is what bounds the packet's memory: checked after each
/// copy, the packet never holds more than `budget` plus one copy, and one copy is
/// linear in the spawner's heap (`limits.rs`).
fn add_size(total: &mut usize, t: &Term, budget: Option<usize>) -> Result<(), PackError> {
    *total = total.saturating_add(crate::limits::term_size(t));
    if budget.is_some_and(|b| *total > b) {
        return Err(PackError::TooBig);
    }
    Ok(())
}

fn upval_value(uv: &UpVal) -> Value {
    match uv.state {
        UpState::Closed(v) => v,
        UpState::Open { thread, index } => thread.stack[index],
    }
}

/// Copies `f` (a Lua function) and `args` out of `st`; with a `budget`, fails with
/// `TooBig` as soon as the copies pass it, before the packet is materialised anywhere.
pub(crate) fn pack(
    st: &State,
    f: Value,
    args: &[Value],
    bridge: &dyn Bridge,
    budget: Option<usize>,
) -> Result<Packet, PackError> {
    let Value::LFn(main) = f else {
        return Err(PackError::Unsendable("function expected".into()));
    };
    let mut size: usize = 0;
    let mut funcs: Vec<FuncDesc> = Vec::new();
    let mut closures: Vec<Gc<LClosure>> = Vec::new();
    let mut func_ids: HashMap<usize, usize> = HashMap::new();
    let mut cells: Vec<CellVal> = Vec::new();
    let mut cell_ids: HashMap<usize, usize> = HashMap::new();
    let mut add_func =
        |c: Gc<LClosure>, funcs: &mut Vec<FuncDesc>, closures: &mut Vec<Gc<LClosure>>| -> usize {
            *func_ids.entry(c.addr()).or_insert_with(|| {
                funcs.push(FuncDesc {
                    proto: c.p.proto.clone(),
                    cells: Vec::new(),
                });
                closures.push(c);
                funcs.len() - 1
            })
        };
    add_func(main, &mut funcs, &mut closures);
    let mut next = 0;
    while next < closures.len() {
        let c = closures[next];
        for (i, uv) in c.upvals.iter().enumerate() {
            let id = match cell_ids.get(&uv.addr()) {
                Some(&id) => id,
                None => {
                    let name =
                        c.p.proto
                            .upvalues
                            .get(i)
                            .map(|u| u.name.as_str())
                            .unwrap_or("?");
                    let v = upval_value(uv);
                    let cv = match v {
                        Value::Table(t) if name == "_ENV" && t.ptr_eq(st.globals()) => CellVal::Env,
                        Value::LFn(inner) => {
                            CellVal::Func(add_func(inner, &mut funcs, &mut closures))
                        }
                        Value::NFn(_) => match st.global_func_name(v) {
                            Some(path) => CellVal::Native(path),
                            None => {
                                return Err(PackError::Unsendable(format!(
                                    "cannot send a native function (upvalue '{name}')"
                                )))
                            }
                        },
                        other => match cube_term::to_term_with(st, other, bridge) {
                            Ok(t) => {
                                add_size(&mut size, &t, budget)?;
                                CellVal::Term(t)
                            }
                            Err(e) => {
                                return Err(PackError::Unsendable(format!(
                                    "{e} (upvalue '{name}')"
                                )))
                            }
                        },
                    };
                    cells.push(cv);
                    cell_ids.insert(uv.addr(), cells.len() - 1);
                    cells.len() - 1
                }
            };
            funcs[next].cells.push(id);
        }
        next += 1;
    }
    let mut targs = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        match cube_term::to_term_with(st, *a, bridge) {
            Ok(t) => {
                add_size(&mut size, &t, budget)?;
                targs.push(t)
            }
            Err(e) => return Err(PackError::Unsendable(format!("{e} (argument {})", i + 2))),
        }
    }
    Ok(Packet {
        funcs,
        cells,
        args: targs,
        size,
    })
}

/// Looks up "lib.name" (or "name") in the globals of `st`.
fn global_path(st: &mut State, path: &str) -> Value {
    let mut parts = path.split('.');
    let mut v = match parts.next() {
        Some(first) => st.get_global(first),
        None => Value::Nil,
    };
    for p in parts {
        v = match v {
            Value::Table(t) => st.get_field(t, p),
            _ => Value::Nil,
        };
    }
    v
}

/// Materialises a packet in the new process's state: the function and its arguments.
/// No collection runs here, so the values stay valid until the caller roots them.
pub(crate) fn unpack(st: &mut State, p: &Packet, bridge: &dyn Bridge) -> (Value, Vec<Value>) {
    let cells: Vec<Gc<UpVal>> = p
        .cells
        .iter()
        .map(|_| st.new_closed_upvalue(Value::Nil))
        .collect();
    let mut closures = Vec::with_capacity(p.funcs.len());
    for f in &p.funcs {
        let inst = st.instantiate(f.proto.clone());
        let ups: Vec<Gc<UpVal>> = f.cells.iter().map(|&i| cells[i]).collect();
        closures.push(st.new_lua_closure(inst, ups));
    }
    for (i, c) in p.cells.iter().enumerate() {
        let v = match c {
            CellVal::Term(t) => cube_term::from_term_with(st, t, bridge),
            CellVal::Func(k) => Value::LFn(closures[*k]),
            CellVal::Env => Value::Table(st.globals()),
            CellVal::Native(path) => global_path(st, path),
        };
        st.set_closed_upvalue(cells[i], v);
    }
    let args = p
        .args
        .iter()
        .map(|t| cube_term::from_term_with(st, t, bridge))
        .collect();
    (Value::LFn(closures[0]), args)
}
