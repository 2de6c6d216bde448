//! A safe, high-level Rust embedding API on top of [`crate::State`], in the spirit of
//! mlua/rlua but smaller.
//!
//! - [`Lua`] owns a state (with the standard libraries, or bare).
//! - Handles ([`Table`], [`Function`], [`LuaString`], [`AnyUserData`], [`Thread`]) keep
//!   their Lua value alive: each one holds a *pin slot* in the state's `pinned` roots, so
//!   the collector cannot free it even while Lua code runs `collectgarbage()`, and it gives
//!   the slot back when dropped. Handles also hold a reference-counted pointer to the
//!   state, so no handle can outlive the `Lua` it came from (there are no lifetimes to
//!   juggle; the last handle dropped closes the state).
//! - Values cross the boundary through [`IntoLua`] / [`FromLua`] (one value) and
//!   [`IntoLuaMulti`] / [`FromLuaMulti`] (argument and result lists, as tuples).
//! - Rust closures become Lua functions with [`Lua::create_function`]; Rust types become
//!   userdata with methods through the [`UserData`] trait.
//!
//! # Re-entrancy and the stackless VM
//! A Rust callback runs as a native function. It may call Lua (through [`Function::call`]
//! and the other API calls): that is a Rust-level re-entry of the VM, limited to
//! [`crate::state::MAX_C_DEPTH`] nested levels ("C stack overflow" beyond). Such a
//! callback, and any Lua code it calls, **cannot yield**: a `coroutine.yield` inside
//! fails with "attempt to yield across a C-call boundary", as in PUC-Rio Lua.
//!
//! The API is not `Send`: a `Lua` and its handles stay on one thread. (The low-level
//! `State` can migrate between threads; the handles use `Rc`.)
//!
//! # Example
//! ```
//! use cube_lua::{Lua, Table};
//!
//! let lua = Lua::new();
//! let add = lua.create_function(|_, (a, b): (i64, i64)| Ok(a + b))?;
//! lua.globals().set("add", add)?;
//! let t: Table = lua.load("return { sum = add(2, 3) }").eval()?;
//! assert_eq!(t.get::<_, i64>("sum")?, 5);
//! # Ok::<(), cube_lua::api::Error>(())
//! ```

mod chunk;
mod convert;
mod error;
mod function;
mod handle;
mod multi;
mod table;
mod userdata;

pub use chunk::Chunk;
pub use error::{Error, Result};
pub use handle::{AnyUserData, Function, LuaString, Table, Thread, Value};
pub use multi::{MultiValue, Variadic};
pub use table::TablePairs;
pub use userdata::{UserData, UserDataMethods};

pub use convert::{FromLua, IntoLua};
pub use multi::{FromLuaMulti, IntoLuaMulti};

use crate::state::State;
use crate::value::Value as RawValue;
use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// A Lua interpreter owned by Rust code.
///
/// Cloning a `Lua` is cheap and gives another reference to the same state.
#[derive(Clone)]
pub struct Lua {
    pub(crate) inner: Rc<Inner>,
}

/// The shared state behind a [`Lua`] and all its handles.
pub(crate) struct Inner {
    /// The owned state (from `Box::into_raw`; freed in `Drop`).
    owned: *mut State,
    /// The pointer every API operation goes through. Normally `owned`; while a Rust
    /// callback runs it is the `&mut State` the VM handed to the trampoline, so that
    /// the callback's accesses derive from the borrow the VM is lending out (and never
    /// alias a second, unrelated `&mut State`).
    cur: Cell<*mut State>,
    /// Free slots of `State::pinned`.
    free_pins: RefCell<Vec<usize>>,
    /// Pins held by handles (for leak checks).
    live_pins: Cell<usize>,
    /// Small Lua helpers for metamethod-aware operations (pin slots).
    helpers: Cell<Option<Helpers>>,
    /// Metatables of registered userdata types (pin slots).
    pub(crate) userdata_meta: RefCell<HashMap<TypeId, usize>>,
    /// Set while the state closes: callbacks refuse to run then.
    closing: Cell<bool>,
}

#[derive(Clone, Copy)]
pub(crate) struct Helpers {
    pub index: usize,
    pub newindex: usize,
    pub len: usize,
    pub index_chain: usize,
}

const HELPERS_SRC: [&str; 4] = [
    "local t, k = ... return t[k]",
    "local t, k, v = ... t[k] = v",
    "return #(...)",
    "local methods, user = ... \
     return function(self, k) local m = methods[k] if m ~= nil then return m end return user(self, k) end",
];

impl Default for Lua {
    fn default() -> Self {
        Lua::new()
    }
}

impl Lua {
    /// A state with the standard libraries loaded.
    pub fn new() -> Lua {
        let mut st = State::new_bare();
        crate::stdlib::open_libs(&mut st);
        Lua::from_state(st)
    }

    /// A state with no libraries at all (not even `print`).
    pub fn new_bare() -> Lua {
        Lua::from_state(State::new_bare())
    }

    /// Takes ownership of a low-level state (e.g. one with custom libraries).
    pub fn from_state(mut st: State) -> Lua {
        st.traceback_on_error = true;
        let owned = Box::into_raw(Box::new(st));
        let lua = Lua {
            inner: Rc::new(Inner {
                owned,
                cur: Cell::new(owned),
                free_pins: RefCell::new(Vec::new()),
                live_pins: Cell::new(0),
                helpers: Cell::new(None),
                userdata_meta: RefCell::new(HashMap::new()),
                closing: Cell::new(false),
            }),
        };
        let mut slots = [0usize; 4];
        for (slot, src) in slots.iter_mut().zip(HELPERS_SRC) {
            let f = lua
                .with_state(|st| st.load_chunk(src.as_bytes(), "=api"))
                .expect("API helper compiles");
            *slot = lua.pin_raw(f);
        }
        lua.inner.helpers.set(Some(Helpers {
            index: slots[0],
            newindex: slots[1],
            len: slots[2],
            index_chain: slots[3],
        }));
        lua
    }

    /// Runs `f` with the state. `f` must not call back into this API (that would make
    /// a second `&mut State`); calls into the VM are fine, since callbacks re-enter
    /// through the pointer the VM lends them (see `Inner::cur`).
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        // SAFETY: `cur` points to the live state (owned by `inner`, which we hold) or to
        // the state lent to the running callback. API functions do not nest `with_state`,
        // so this is the only live `&mut` derived from `cur`.
        unsafe { f(&mut *self.inner.cur.get()) }
    }

    /// Roots `v` in a fresh pin slot; returns the slot.
    pub(crate) fn pin_raw(&self, v: RawValue) -> usize {
        let slot = self.inner.free_pins.borrow_mut().pop();
        self.with_state(|st| match slot {
            Some(i) => {
                st.cold_mut().pinned[i] = v;
                i
            }
            None => {
                st.cold_mut().pinned.push(v);
                st.cold_mut().pinned.len() - 1
            }
        })
    }

    pub(crate) fn unpin(&self, slot: usize) {
        self.with_state(|st| st.cold_mut().pinned[slot] = RawValue::Nil);
        self.inner.free_pins.borrow_mut().push(slot);
    }

    pub(crate) fn pinned(&self, slot: usize) -> RawValue {
        self.with_state(|st| st.pinned()[slot])
    }

    pub(crate) fn helpers(&self) -> Helpers {
        self.inner
            .helpers
            .get()
            .expect("helpers are made in Lua::from_state")
    }

    pub(crate) fn same(&self, other: &Lua) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Number of values currently pinned by handles. Every handle drop gives its pin
    /// back, so this returns to its earlier value once the handles made in between are
    /// gone (useful to check for leaks).
    pub fn pinned_handles(&self) -> usize {
        self.inner.live_pins.get()
    }

    /// The global table (`_G`).
    pub fn globals(&self) -> Table {
        let g = self.with_state(|st| RawValue::Table(st.globals));
        Table(handle::Handle::new(self, g))
    }

    /// Prepares a chunk of Lua source for running.
    pub fn load<'a>(&'a self, source: impl AsRef<[u8]> + 'a) -> Chunk<'a> {
        Chunk::new(self, source.as_ref().to_vec())
    }

    /// A new empty table.
    pub fn create_table(&self) -> Table {
        let t = self.with_state(|st| RawValue::Table(st.new_table()));
        Table(handle::Handle::new(self, t))
    }

    /// A table from key/value pairs (raw sets).
    pub fn create_table_from<K: IntoLua, V: IntoLua>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Table> {
        let t = self.create_table();
        for (k, v) in pairs {
            t.raw_set(k, v)?;
        }
        Ok(t)
    }

    /// A table holding the items of `seq` at `1..=n`.
    pub fn create_sequence_from<V: IntoLua>(
        &self,
        seq: impl IntoIterator<Item = V>,
    ) -> Result<Table> {
        let t = self.create_table();
        for (i, v) in seq.into_iter().enumerate() {
            t.raw_set((i + 1) as i64, v)?;
        }
        Ok(t)
    }

    /// A Lua string from bytes (Lua strings are byte strings; they need not be UTF-8).
    pub fn create_string(&self, bytes: impl AsRef<[u8]>) -> LuaString {
        let s = self.with_state(|st| st.new_str(bytes.as_ref()));
        LuaString(handle::Handle::new(self, s))
    }

    /// Runs a full garbage collection (finalizers included).
    pub fn gc_collect(&self) -> Result<()> {
        let r = self.with_state(|st| {
            st.full_gc();
            st.run_finalizers()
        });
        r.map_err(|e| self.runtime_error(e))
    }

    /// Bytes in use by the Lua heap (estimate).
    pub fn used_memory(&self) -> usize {
        self.with_state(|st| st.heap_bytes())
    }

    /// Access to the low-level state for things this API does not cover.
    ///
    /// Values obtained from it are raw and unrooted: keep them only within `f` (or root
    /// them by turning them into handles with [`Value::from_raw`]). Do not call other
    /// API functions inside `f`.
    pub fn with_raw_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.with_state(f)
    }

    /// Converts a Lua error value that reached Rust into an [`Error`], with the
    /// traceback the state recorded.
    pub(crate) fn runtime_error(&self, e: RawValue) -> Error {
        let (message, traceback) = self.with_state(|st| {
            let tb = st.take_last_traceback();
            let msg = match e {
                RawValue::Str(s) => s.to_str_lossy().into_owned(),
                RawValue::Num(_) => {
                    let s = st.coerce_to_str(&e).expect("number");
                    s.to_str_lossy().into_owned()
                }
                RawValue::Nil => "nil".to_string(),
                other => format!("(error object is a {} value)", other.type_name()),
            };
            (msg, tb)
        });
        Error::Runtime { message, traceback }
    }

    /// Calls a raw function with raw arguments from Rust, converting a Lua error.
    /// The arguments are rooted by the stack as soon as the call starts; the results
    /// are returned unrooted, so convert (pin) them before running Lua again.
    pub(crate) fn call_raw(&self, f: RawValue, args: &[RawValue]) -> Result<Vec<RawValue>> {
        let r = self.with_state(|st| {
            st.take_last_traceback();
            st.call_function(f, args)
        });
        r.map_err(|e| self.runtime_error(e))
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.closing.set(true);
        // SAFETY: `owned` came from `Box::into_raw` and no handle is left (they hold
        // the `Rc` this is the inner value of).
        let mut st = unsafe { Box::from_raw(self.owned) };
        // Finalizers of Lua tables still run (`lua_close`); Rust callbacks refuse to.
        let _ = st.close();
    }
}
