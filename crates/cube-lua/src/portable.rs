//! Lua functions taken out of one state and made again in another (DESIGN.md decision
//! 4: what `process.spawn` sends).
//!
//! A [`PortableFn`] holds no heap value: the prototypes are shared (`Arc<Proto>`), the
//! upvalue cells are described once each (so cells shared by several closures, and
//! cycles such as a recursive local function, survive), Lua functions found in upvalues
//! travel the same way, `_ENV` when it is the globals table becomes the receiving
//! state's globals, native functions are found again by their global name, and every
//! other upvalue value is converted by the caller into its own heap-independent form
//! `T` (cube-vm uses a message term).

use crate::gc::Gc;
use crate::host::{Cx, FuncRef, Val};
use crate::proto::Proto;
use crate::value::{LClosure, UpVal, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// What one upvalue cell holds once taken out of its state.
pub enum Cell<T> {
    /// A value, converted by the caller.
    Value(T),
    /// The Lua function with this index in [`PortableFn::funcs`].
    Func(usize),
    /// The globals table (an `_ENV` upvalue).
    Env,
    /// A native function, by its path in the globals (`"print"`, `"string.format"`).
    Native(String),
}

/// A closure of the exported tree: its prototype and its upvalue cells.
pub struct FuncDesc {
    pub proto: Arc<Proto>,
    /// Indices into [`PortableFn::cells`], one per upvalue.
    pub cells: Vec<usize>,
}

/// A Lua function and everything it closes over, independent of any heap. The first
/// function is the exported one.
pub struct PortableFn<T> {
    pub funcs: Vec<FuncDesc>,
    pub cells: Vec<Cell<T>>,
}

/// Why a function could not be exported.
pub enum ExportError<E> {
    /// Not a Lua function.
    NotLua,
    /// An upvalue holds a native function that is not reachable from the globals.
    Native { upvalue: String },
    /// The caller's conversion refused an upvalue's value.
    Value { upvalue: String, error: E },
}

impl<'n> Cx<'n> {
    /// Takes `f` out of this state. `convert` turns each upvalue value that is neither
    /// a function nor the globals into a `T` (it gets the upvalue's name for messages).
    pub fn export_function<T, E>(
        &self,
        f: FuncRef<'n>,
        convert: &mut dyn FnMut(&Cx<'n>, &str, Val<'n>) -> Result<T, E>,
    ) -> Result<PortableFn<T>, ExportError<E>> {
        let Value::LFn(main) = f.raw_value() else {
            return Err(ExportError::NotLua);
        };
        let mut funcs: Vec<FuncDesc> = Vec::new();
        let mut closures: Vec<Gc<LClosure>> = Vec::new();
        let mut func_ids: HashMap<usize, usize> = HashMap::new();
        let mut cells: Vec<Cell<T>> = Vec::new();
        let mut cell_ids: HashMap<usize, usize> = HashMap::new();
        let mut add_func = |c: Gc<LClosure>, funcs: &mut Vec<FuncDesc>, closures: &mut Vec<_>| {
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
        let globals = self.globals();
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
                        let v = Val::from_raw(uv.get());
                        let cell = match v {
                            Val::Table(t) if name == "_ENV" && t.ptr_eq(globals) => Cell::Env,
                            Val::Function(inner) => match inner.raw_value() {
                                Value::LFn(lc) => {
                                    Cell::Func(add_func(lc, &mut funcs, &mut closures))
                                }
                                nf => match self.global_func_path(nf) {
                                    Some(path) => Cell::Native(path),
                                    None => {
                                        return Err(ExportError::Native {
                                            upvalue: name.to_string(),
                                        })
                                    }
                                },
                            },
                            other => match convert(self, name, other) {
                                Ok(t) => Cell::Value(t),
                                Err(error) => {
                                    return Err(ExportError::Value {
                                        upvalue: name.to_string(),
                                        error,
                                    })
                                }
                            },
                        };
                        cells.push(cell);
                        cell_ids.insert(uv.addr(), cells.len() - 1);
                        cells.len() - 1
                    }
                };
                funcs[next].cells.push(id);
            }
            next += 1;
        }
        Ok(PortableFn { funcs, cells })
    }

    /// Makes `p` in this state: new closures over new cells, `Cell::Value`s made by
    /// `convert`. A native path that this state's globals do not have gives nil.
    pub fn import_function<T>(
        &mut self,
        p: &PortableFn<T>,
        convert: &mut dyn FnMut(&mut Cx<'n>, &T) -> Val<'n>,
    ) -> Val<'n> {
        let cells: Vec<Gc<UpVal>> = p
            .cells
            .iter()
            .map(|_| self.state_mut().new_closed_upvalue(Value::Nil))
            .collect();
        let mut closures = Vec::with_capacity(p.funcs.len());
        for f in &p.funcs {
            let st = self.state_mut();
            let inst = match st.heap.shared_instance(&f.proto) {
                Some(inst) => inst,
                None => st.instantiate(f.proto.clone()),
            };
            let ups: Vec<Gc<UpVal>> = f.cells.iter().map(|&i| cells[i]).collect();
            closures.push(self.state_mut().new_lua_closure(inst, ups));
        }
        for (i, c) in p.cells.iter().enumerate() {
            let v = match c {
                Cell::Value(t) => convert(self, t).raw(),
                Cell::Func(k) => Value::LFn(closures[*k]),
                Cell::Env => Value::Table(self.state_mut().globals()),
                Cell::Native(path) => self.global_path(path).raw(),
            };
            self.state_mut().set_closed_upvalue(cells[i], v);
        }
        match closures.first() {
            Some(&c) => Val::from_raw(Value::LFn(c)),
            None => Val::Nil,
        }
    }

    /// The value at "lib.name" (or "name") in the globals, raw; nil if absent.
    pub fn global_path(&mut self, path: &str) -> Val<'n> {
        let mut parts = path.split('.');
        let mut v = match parts.next() {
            Some(first) => self.get_global(first),
            None => Val::Nil,
        };
        for p in parts {
            v = match v {
                Val::Table(t) => self.get_field(t, p),
                _ => Val::Nil,
            };
        }
        v
    }

    fn global_func_path(&self, f: Value) -> Option<String> {
        self.state().global_func_name(f)
    }
}
