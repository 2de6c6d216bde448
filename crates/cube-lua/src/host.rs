//! The host interface: how code outside the engine reads and builds Lua values, sound by
//! construction (`lua.h` and `lauxlib.h` for cube).
//!
//! A raw `crate::value::Value` is a bare pointer into a heap; kept past a collection, or
//! past its state's drop, or given to another state, it dangles. The host interface never
//! hands one out. Instead, host code works inside a *context*, [`Cx`], and sees values as
//! [`Val<'n>`]: copies of raw values branded with the context's lifetime `'n`.
//!
//! Why a `Val<'n>` is always valid:
//! - **Nothing is freed while a context lives.** The collector runs only at the VM's safe
//!   points, in `State::full_gc` and in VM entries (`resume`, `call_function`, the
//!   embedding API); a context borrows its state mutably for `'n` and offers none of those,
//!   so every object a `Val<'n>` points to stays allocated for `'n`, reachable or not.
//!   (Allocation never collects: a reservation that does not fit returns an error, and the
//!   driver collects after the native has returned, `State::reserve`.)
//! - **A `Val<'n>` cannot leave its context.** `'n` is invariant and chosen afresh for each
//!   context (a higher-ranked closure or [`HostFn`]), so a value cannot be returned out of
//!   [`State::cx`], stored in a `'static` place, or given to a context of another state
//!   (or a later context of the same state): the compiler rejects it.
//! - **Strings are immutable and userdata payloads are borrowed through the context**, so
//!   [`Str::as_bytes`] can lend `&'n [u8]`, and [`Cx::userdata_get`] /
//!   [`Cx::userdata_mut`] follow the borrow rules of the context itself.
//!
//! ```compile_fail
//! // A value cannot escape its context...
//! let mut st = cube_lua::State::new_bare();
//! let v = st.cx(|cx| cx.new_str(b"x"));
//! ```
//!
//! ```compile_fail
//! // ...nor be given to another state's context.
//! let mut a = cube_lua::State::new_bare();
//! let mut b = cube_lua::State::new_bare();
//! a.cx(|ca| {
//!     let t = ca.new_table();
//!     b.cx(|cb| cb.set_global("t", cube_lua::host::Val::Table(t)));
//! });
//! ```
//!
//! The raw layer is not reachable from outside the engine: no public item names or
//! returns a raw value or heap pointer.
//!
//! ```compile_fail
//! use cube_lua::gc::Gc; // private module
//! ```
//!
//! ```compile_fail
//! let v: cube_lua::Value = todo!(); // no such public type
//! ```
//!
//! A userdata payload borrowed through a context follows the borrow rules of the
//! context: it cannot outlive it, and one `&mut` excludes every other borrow.
//!
//! ```compile_fail
//! let mut st = cube_lua::State::new_bare();
//! let r = st.cx(|cx| {
//!     let u = cx.new_userdata(1u32, None);
//!     cx.userdata_get::<u32>(u).unwrap()
//! });
//! ```
//!
//! ```compile_fail
//! let mut st = cube_lua::State::new_bare();
//! st.cx(|cx| {
//!     let u = cx.new_userdata(1u32, None);
//!     let a = cx.userdata_mut::<u32>(u).unwrap();
//!     let b = cx.userdata_mut::<u32>(u).unwrap(); // second borrow of `cx`
//!     *a += *b;
//! });
//! ```
//!
//! A payload may move with its state to another thread, so it must be `Send`:
//!
//! ```compile_fail
//! let mut st = cube_lua::State::new_bare();
//! st.cx(|cx| {
//!     cx.new_userdata(std::rc::Rc::new(1), None);
//! });
//! ```
//!
//! Values that must live longer than a context stay in Lua: on the stack (a native's
//! arguments and results), in a table reachable from the registry, or in the host's
//! root (`Cx::set_host_root`).
//!
//! Natives written outside the engine are [`HostFn`]s: `fn(&mut Cx, Args) -> HostResult`,
//! with the calling convention of `crate::state` (arguments are stack slots, results are
//! pushed and counted in [`Ret::Values`]); a native that calls Lua returns [`Ret::Call`]
//! with a continuation made by [`Cont::host`], which receives a [`HostStatus`].

use crate::gc::Gc;
use crate::state::LResult;
use crate::table::Table;
use crate::thread::{Status, Thread};
use crate::value::{LuaStr, NClosure, UserData, Value};
use std::marker::PhantomData;

pub use crate::chunkid::SyntaxError;
pub use crate::state::{Args, Ret, State};
pub use crate::table::KeyError;
pub use crate::thread::Cont;
pub use crate::value::LuaType;

/// The brand of a context: invariant in `'n`, so two contexts' lifetimes never unify.
type Brand<'n> = PhantomData<fn(&'n ()) -> &'n ()>;

/// A native written outside the engine (see the module documentation).
pub type HostFn = for<'n> fn(&mut Cx<'n>, Args) -> HostResult<'n, Ret>;

/// A continuation of a [`HostFn`] that called Lua ([`Cont::host`]).
pub type HostContFn = for<'n> fn(&mut Cx<'n>, HostStatus<'n>, &mut Cont) -> HostResult<'n, Ret>;

/// The result of host code that may raise a Lua error: the error value.
pub type HostResult<'n, T> = Result<T, Val<'n>>;

/// How the call a continuation waited for ended.
pub enum HostStatus<'n> {
    /// The callee returned `n` values, on the stack from slot `first`.
    Ok { first: usize, n: usize },
    /// The callee raised this error (only for protected continuations).
    Err(Val<'n>),
}

/// A Lua value as host code sees it: valid for the lifetime `'n` of its context.
#[derive(Clone, Copy)]
pub enum Val<'n> {
    Nil,
    Bool(bool),
    Num(f64),
    Str(Str<'n>),
    Table(TableRef<'n>),
    /// A Lua or native function.
    Function(FuncRef<'n>),
    UserData(UserDataRef<'n>),
    Thread(ThreadRef<'n>),
    LightUserData(usize),
}

macro_rules! branded_ref {
    ($(#[$doc:meta])* $name:ident, $inner:ty) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'n>($inner, Brand<'n>);

        impl<'n> $name<'n> {
            /// True if both refer to the same object (raw equality).
            pub fn ptr_eq(self, other: $name<'n>) -> bool {
                self.addr() == other.addr()
            }
        }

        impl std::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:#x})", stringify!($name), self.addr())
            }
        }
    };
}

branded_ref!(
    /// A Lua string of a context.
    Str, Gc<LuaStr>
);
branded_ref!(
    /// A table of a context; read and written through the context ([`Cx::get_field`],
    /// [`Cx::raw_set`]...).
    TableRef, Gc<Table>
);
branded_ref!(
    /// A function (Lua or native) of a context.
    FuncRef, Value
);
branded_ref!(
    /// A full userdata of a context; its payload is reached through the context
    /// ([`Cx::userdata_get`], [`Cx::userdata_mut`]).
    UserDataRef, Gc<UserData>
);
branded_ref!(
    /// A coroutine of a context.
    ThreadRef, Gc<Thread>
);

impl<'n> Str<'n> {
    /// The string's bytes, lent for the context's lifetime (strings are immutable and
    /// nothing is freed while the context lives).
    pub fn as_bytes(self) -> &'n [u8] {
        let p: *const LuaStr = &*self.0;
        // SAFETY: the string stays allocated for `'n` (module documentation: no
        // collection while a context lives, and the state outlives its context) and is
        // never written after creation.
        unsafe { (*p).as_bytes() }
    }

    /// The bytes as text, invalid UTF-8 replaced.
    pub fn to_str_lossy(self) -> std::borrow::Cow<'n, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    fn addr(self) -> usize {
        self.0.addr()
    }
}

impl TableRef<'_> {
    fn addr(self) -> usize {
        self.0.addr()
    }
}

impl FuncRef<'_> {
    pub(crate) fn raw_value(self) -> Value {
        self.0
    }

    /// True for a Lua function (false for a native one).
    pub fn is_lua(self) -> bool {
        matches!(self.0, Value::LFn(_))
    }

    fn addr(self) -> usize {
        self.0.addr()
    }
}

impl UserDataRef<'_> {
    fn addr(self) -> usize {
        self.0.addr()
    }
}

impl ThreadRef<'_> {
    fn addr(self) -> usize {
        self.0.addr()
    }
}

impl<'n> Val<'n> {
    /// Brands a raw value. The caller guarantees it is a value of the context's state
    /// that stays allocated for `'n` (any value the state holds at the time does: nothing
    /// is freed while a context lives).
    pub(crate) fn from_raw(v: Value) -> Val<'n> {
        match v {
            Value::Nil => Val::Nil,
            Value::Bool(b) => Val::Bool(b),
            Value::Num(n) => Val::Num(n),
            Value::Str(s) => Val::Str(Str(s, PhantomData)),
            Value::Table(t) => Val::Table(TableRef(t, PhantomData)),
            Value::LFn(_) | Value::NFn(_) => Val::Function(FuncRef(v, PhantomData)),
            Value::UserData(u) => Val::UserData(UserDataRef(u, PhantomData)),
            Value::Thread(t) => Val::Thread(ThreadRef(t, PhantomData)),
            Value::LightUserData(p) => Val::LightUserData(p),
        }
    }

    /// The raw value, for the engine.
    pub(crate) fn raw(self) -> Value {
        match self {
            Val::Nil => Value::Nil,
            Val::Bool(b) => Value::Bool(b),
            Val::Num(n) => Value::Num(n),
            Val::Str(s) => Value::Str(s.0),
            Val::Table(t) => Value::Table(t.0),
            Val::Function(f) => f.0,
            Val::UserData(u) => Value::UserData(u.0),
            Val::Thread(t) => Value::Thread(t.0),
            Val::LightUserData(p) => Value::LightUserData(p),
        }
    }

    /// The value's basic type.
    pub fn type_of(self) -> LuaType {
        self.raw().type_of()
    }

    /// The type's name, as `type()` gives it.
    pub fn type_name(self) -> &'static str {
        self.raw().type_name()
    }

    pub fn is_nil(self) -> bool {
        matches!(self, Val::Nil)
    }

    /// Lua truth: everything but nil and false.
    pub fn truthy(self) -> bool {
        !matches!(self, Val::Nil | Val::Bool(false))
    }

    /// Raw equality (`rawequal`).
    pub fn raw_eq(self, other: Val<'n>) -> bool {
        self.raw().raw_eq(&other.raw())
    }

    pub fn as_table(self) -> Option<TableRef<'n>> {
        match self {
            Val::Table(t) => Some(t),
            _ => None,
        }
    }

    pub fn as_str(self) -> Option<Str<'n>> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_num(self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(n),
            _ => None,
        }
    }

    /// True for any function (Lua or native).
    pub fn is_function(self) -> bool {
        matches!(self, Val::Function(_))
    }

    /// True for a Lua function (not a native one).
    pub fn is_lua_function(self) -> bool {
        matches!(self, Val::Function(f) if f.is_lua())
    }

    /// The object's address (0 for non-objects): what `%p` and `tostring` show.
    pub fn addr(self) -> usize {
        self.raw().addr()
    }
}

impl std::fmt::Debug for Val<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Nil => write!(f, "nil"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Num(n) => write!(f, "{n}"),
            Val::Str(s) => write!(f, "{:?}", s.to_str_lossy()),
            other => write!(f, "{}: {:#x}", other.type_name(), other.addr()),
        }
    }
}

impl From<f64> for Val<'_> {
    fn from(n: f64) -> Self {
        Val::Num(n)
    }
}

impl From<bool> for Val<'_> {
    fn from(b: bool) -> Self {
        Val::Bool(b)
    }
}

impl<'n> From<TableRef<'n>> for Val<'n> {
    fn from(t: TableRef<'n>) -> Self {
        Val::Table(t)
    }
}

impl<'n> From<Str<'n>> for Val<'n> {
    fn from(s: Str<'n>) -> Self {
        Val::Str(s)
    }
}

/// A context: the host's access to a state for the lifetime `'n` (see the module
/// documentation). Made by [`State::cx`], and given to every [`HostFn`].
pub struct Cx<'n> {
    st: &'n mut State,
    _brand: Brand<'n>,
}

impl State {
    /// Runs `f` in a context of this state: the only way host code reads or builds Lua
    /// values (see [`crate::host`]).
    ///
    /// ```
    /// let mut st = cube_lua::State::new_bare();
    /// let n = st.cx(|cx| {
    ///     let t = cx.new_table();
    ///     cx.set_field(t, "x", 42.0.into());
    ///     cx.set_global("t", t.into());
    ///     cx.get_field(t, "x").as_num()
    /// });
    /// assert_eq!(n, Some(42.0));
    /// ```
    pub fn cx<R>(&mut self, f: impl for<'n> FnOnce(&mut Cx<'n>) -> R) -> R {
        f(&mut Cx {
            st: self,
            _brand: PhantomData,
        })
    }
}

/// Calls the running frame's [`HostFn`]: the `f` of every native made by
/// [`Cx::new_function`].
fn call_host(st: &mut State, a: Args) -> LResult<Ret> {
    let Some(f) = st.running_native().and_then(|nc| nc.host) else {
        return Err(st.rt_error("host function missing"));
    };
    st.cx(|cx| f(cx, a).map_err(Val::raw))
}

/// Calls a host continuation ([`Cont::host`]).
fn call_host_cont(st: &mut State, status: Status, cont: &mut Cont) -> LResult<Ret> {
    let Some(f) = cont.host else {
        return Err(st.rt_error("host continuation missing"));
    };
    st.cx(|cx| {
        let status = match status {
            Status::Ok { first, n } => HostStatus::Ok { first, n },
            Status::Err(e) => HostStatus::Err(Val::from_raw(e)),
        };
        f(cx, status, cont).map_err(Val::raw)
    })
}

impl Cont {
    /// A continuation that runs the host function `f` with the context, the callee's
    /// status and itself (`ctx` is free for the caller's own state).
    pub fn host(f: HostContFn, ctx: usize) -> Cont {
        let mut c = Cont::new(call_host_cont, ctx);
        c.host = Some(f);
        c
    }
}

impl<'n> Cx<'n> {
    fn val(&self, v: Value) -> Val<'n> {
        Val::from_raw(v)
    }

    /// The state, for the engine's own host-side helpers (never handed out: a `&mut
    /// State` could collect).
    pub(crate) fn state(&self) -> &State {
        self.st
    }

    pub(crate) fn state_mut(&mut self) -> &mut State {
        self.st
    }

    // ----- the stack -----

    /// Argument `i` (1-based) of the running native; nil when absent.
    pub fn arg(&self, a: Args, i: usize) -> Val<'n> {
        self.val(self.st.arg(a, i))
    }

    /// Pushes a value (results of a native are the top values, [`Ret::Values`]).
    pub fn push(&mut self, v: Val<'n>) {
        self.st.push(v.raw())
    }

    /// Pushes a new string.
    pub fn push_str(&mut self, s: &[u8]) {
        self.st.push_str(s)
    }

    /// The stack top (one past the last slot in use).
    pub fn top(&self) -> usize {
        self.st.top()
    }

    /// Truncates the stack, or extends it with nils.
    pub fn set_top(&mut self, top: usize) {
        self.st.set_top(top)
    }

    /// The value at stack slot `i`; nil past the top.
    pub fn stack_at(&self, i: usize) -> Val<'n> {
        if i < self.st.top() {
            self.val(self.st.stack_at(i))
        } else {
            Val::Nil
        }
    }

    /// Makes room for `n` more pushes ("stack overflow" past the limit).
    pub fn check_stack(&mut self, n: usize) -> HostResult<'n, ()> {
        self.st.check_stack(n).map_err(|e| self.val(e))
    }

    /// Where the running native's arguments start (for a continuation rebuilding them).
    pub fn frame_base(&self) -> usize {
        self.st.frame_base()
    }

    /// The first of `n` results a continuation received at `first`, or nil.
    pub fn first_result(&self, first: usize, n: usize) -> Val<'n> {
        if n > 0 {
            self.stack_at(first)
        } else {
            Val::Nil
        }
    }

    /// The running native's upvalue `i` (0-based), as given to [`Cx::new_function`].
    pub fn upvalue(&self, i: usize) -> Val<'n> {
        self.val(self.st.upvalue(i))
    }

    // ----- making values -----

    /// A string (interned, as every Lua string).
    pub fn new_str(&mut self, bytes: &[u8]) -> Val<'n> {
        let v = self.st.new_str(bytes);
        self.val(v)
    }

    /// A string from an owned buffer.
    pub fn new_string(&mut self, bytes: Vec<u8>) -> Val<'n> {
        let v = self.st.new_string(bytes);
        self.val(v)
    }

    pub fn new_table(&mut self) -> TableRef<'n> {
        TableRef(self.st.new_table(), PhantomData)
    }

    /// A table with room for `narr` array items and `nhash` other keys.
    pub fn new_table_with(&mut self, narr: usize, nhash: usize) -> TableRef<'n> {
        TableRef(self.st.new_table_with(narr, nhash), PhantomData)
    }

    /// A native function running `f`, with private upvalues ([`Cx::upvalue`]) that the
    /// debug library does not show to Lua.
    pub fn new_function(&mut self, name: &'static str, f: HostFn, upvals: &[Val<'n>]) -> Val<'n> {
        let ups = upvals.iter().map(|v| v.raw()).collect();
        let v = self.st.new_native(name, call_host, ups);
        if let Value::NFn(nc) = v {
            nc.get_mut().host = Some(f);
        }
        self.val(v)
    }

    /// Sets `t[name]` to a new native function for each `(name, f)`.
    pub fn register(&mut self, t: TableRef<'n>, funcs: &[(&'static str, HostFn)]) {
        for &(name, f) in funcs {
            let v = self.new_function(name, f, &[]);
            self.set_field(t, name, v);
        }
    }

    /// A full userdata holding `data`, with an optional metatable (one with `__gc`
    /// registers it for finalization).
    pub fn new_userdata<T: std::any::Any + Send>(
        &mut self,
        data: T,
        meta: Option<TableRef<'n>>,
    ) -> Val<'n> {
        let v = self.st.new_userdata(data, meta.map(|m| m.0));
        self.val(v)
    }

    /// As [`Cx::new_userdata`] for a `Sync` payload, which states made from a shared
    /// image may read in place (`State::new_shared_userdata`).
    pub fn new_shared_userdata<T: std::any::Any + Send + Sync>(
        &mut self,
        data: T,
        meta: Option<TableRef<'n>>,
    ) -> Val<'n> {
        let v = self.st.new_shared_userdata(data, meta.map(|m| m.0));
        self.val(v)
    }

    // ----- tables -----

    pub fn globals(&self) -> TableRef<'n> {
        TableRef(self.st.globals(), PhantomData)
    }

    pub fn registry(&self) -> TableRef<'n> {
        TableRef(self.st.registry(), PhantomData)
    }

    /// `package.loaded`, created on first use.
    pub fn loaded_table(&mut self) -> TableRef<'n> {
        TableRef(self.st.loaded_table(), PhantomData)
    }

    /// Raw `t[name]`.
    pub fn get_field(&mut self, t: TableRef<'n>, name: &str) -> Val<'n> {
        let v = self.st.get_field(t.0, name);
        self.val(v)
    }

    /// Raw `t[name] = v`.
    pub fn set_field(&mut self, t: TableRef<'n>, name: &str, v: Val<'n>) {
        self.st.set_field(t.0, name, v.raw())
    }

    pub fn get_global(&mut self, name: &str) -> Val<'n> {
        let v = self.st.get_global(name);
        self.val(v)
    }

    pub fn set_global(&mut self, name: &str, v: Val<'n>) {
        self.st.set_global(name, v.raw())
    }

    /// Raw `t[k]` (`lua_rawget`).
    pub fn raw_get(&self, t: TableRef<'n>, k: Val<'n>) -> Val<'n> {
        self.val(t.0.get(&k.raw()))
    }

    /// Raw `t[i]` (`lua_rawgeti`).
    pub fn raw_get_int(&self, t: TableRef<'n>, i: i64) -> Val<'n> {
        self.val(self.st.raw_get_int(t.0, i))
    }

    /// Raw `t[k] = v` (`lua_rawset`); a nil or NaN key is an error.
    pub fn raw_set(&mut self, t: TableRef<'n>, k: Val<'n>, v: Val<'n>) -> Result<(), KeyError> {
        self.st.raw_set(t.0, k.raw(), v.raw())
    }

    /// Raw `t[i] = v` (`lua_rawseti`).
    pub fn raw_set_int(&mut self, t: TableRef<'n>, i: i64, v: Val<'n>) {
        self.st.raw_set_int(t.0, i, v.raw())
    }

    /// The border `#t` without `__len` (`lua_rawlen`).
    pub fn raw_len(&self, t: TableRef<'n>) -> usize {
        t.0.length()
    }

    /// The size of the array part (PUC's `sizearray`): keys `1..=array_len` are stored
    /// by index, so a copier can walk them without hashing. Some of them may be nil.
    pub fn array_len(&self, t: TableRef<'n>) -> usize {
        t.0.array_len()
    }

    /// The entry after `k` in traversal order (`next`); `None` at the end, or if `k` is
    /// not a key of `t` (the caller changed the table while traversing it).
    pub fn next(&self, t: TableRef<'n>, k: Val<'n>) -> Option<(Val<'n>, Val<'n>)> {
        match t.0.next(&k.raw()) {
            Ok(Some((k, v))) => Some((self.val(k), self.val(v))),
            _ => None,
        }
    }

    /// The metatable of any value.
    pub fn metatable(&self, v: Val<'n>) -> Option<TableRef<'n>> {
        self.st
            .metatable(&v.raw())
            .map(|m| TableRef(m, PhantomData))
    }

    /// Sets the metatable shared by all values of a basic type other than tables and
    /// full userdata (`debug.setmetatable` on a number, a light userdata...).
    pub fn set_type_meta(&mut self, ty: LuaType, mt: Option<TableRef<'n>>) {
        self.st.set_type_meta(ty, mt.map(|m| m.0))
    }

    /// A closure of a main-chunk prototype whose one upvalue (`_ENV`) is `env`, as
    /// `lua_load` makes.
    pub fn closure_of(
        &mut self,
        proto: std::sync::Arc<crate::proto::Proto>,
        env: Val<'n>,
    ) -> Val<'n> {
        let v = self.st.closure_of(proto, env.raw());
        self.val(v)
    }

    /// Compiles `source` into a function with the globals as `_ENV`.
    pub fn load_chunk(&mut self, source: &[u8], chunk_name: &str) -> Result<Val<'n>, SyntaxError> {
        let v = self.st.load_chunk(source, chunk_name)?;
        Ok(self.val(v))
    }

    /// Sets a table's metatable (raw: no `__metatable` check).
    pub fn set_table_meta(&mut self, t: TableRef<'n>, mt: Option<TableRef<'n>>) {
        self.st.set_table_meta(t.0, mt.map(|m| m.0))
    }

    // ----- strings and numbers -----

    /// `lua_tolstring` without metamethods: strings, and numbers as Lua prints them.
    pub fn to_str_coerce(&mut self, v: Val<'n>) -> Option<Str<'n>> {
        self.st.coerce_to_str(&v.raw()).map(|s| Str(s, PhantomData))
    }

    /// `lua_tonumber`: numbers, and strings that read as numbers.
    pub fn to_num_coerce(&self, v: Val<'n>) -> Option<f64> {
        State::to_num_coerce(&v.raw())
    }

    // ----- userdata -----

    /// The payload of a userdata if it holds a `T`, for reading (`luaL_testudata`);
    /// see `State::userdata_get`.
    pub fn userdata_get<T: std::any::Any>(&self, v: Val<'n>) -> Option<&T> {
        self.st.userdata_get(&v.raw())
    }

    /// The payload of a userdata if it holds a `T`, for writing; see
    /// `State::userdata_mut`.
    pub fn userdata_mut<T: std::any::Any>(&mut self, v: Val<'n>) -> Option<&mut T> {
        self.st.userdata_mut(&v.raw())
    }

    /// Runs `f` with the context and the payload of a userdata holding a `T`, both
    /// mutable at once (a socket and the stack it fills). The payload is moved out of
    /// the userdata while `f` runs, so nothing `f` does through the context can reach
    /// it a second time (the userdata then holds no `T`); it is put back afterwards.
    /// `None` if `v` is not a userdata holding a `T` (or one of a shared image that
    /// cannot be copied, as for [`Cx::userdata_mut`]).
    pub fn with_userdata<T: std::any::Any, R>(
        &mut self,
        v: Val<'n>,
        f: impl FnOnce(&mut Cx<'n>, &mut T) -> R,
    ) -> Option<R> {
        // Put back when `lent` drops; the userdata is still allocated then: nothing is
        // freed while a context lives.
        let mut lent = self.st.lend_userdata::<T>(&v.raw())?;
        Some(f(self, lent.payload()))
    }

    // ----- argument checks (luaL_check*) -----

    /// `luaL_checklstring`: a string, or a number converted to one.
    pub fn check_str(&mut self, a: Args, i: usize) -> HostResult<'n, Str<'n>> {
        match self.st.check_str(a, i) {
            Ok(s) => Ok(Str(s, PhantomData)),
            Err(e) => Err(self.val(e)),
        }
    }

    /// `luaL_optlstring` without a default: `None` for nil or absent.
    pub fn opt_str(&mut self, a: Args, i: usize) -> HostResult<'n, Option<Str<'n>>> {
        match self.st.opt_str(a, i) {
            Ok(s) => Ok(s.map(|s| Str(s, PhantomData))),
            Err(e) => Err(self.val(e)),
        }
    }

    pub fn check_number(&mut self, a: Args, i: usize) -> HostResult<'n, f64> {
        self.st.check_number(a, i).map_err(|e| self.val(e))
    }

    /// `luaL_checkinteger`: numbers truncated toward zero.
    pub fn check_integer(&mut self, a: Args, i: usize) -> HostResult<'n, i64> {
        self.st.check_integer(a, i).map_err(|e| self.val(e))
    }

    pub fn opt_integer(&mut self, a: Args, i: usize, default: i64) -> HostResult<'n, i64> {
        self.st.opt_integer(a, i, default).map_err(|e| self.val(e))
    }

    pub fn check_table(&mut self, a: Args, i: usize) -> HostResult<'n, TableRef<'n>> {
        match self.st.check_table(a, i) {
            Ok(t) => Ok(TableRef(t, PhantomData)),
            Err(e) => Err(self.val(e)),
        }
    }

    /// `luaL_checkoption`: the index of the argument in `options`.
    pub fn check_option(
        &mut self,
        a: Args,
        i: usize,
        default: Option<&str>,
        options: &[&str],
    ) -> HostResult<'n, usize> {
        self.st
            .check_option(a, i, default, options)
            .map_err(|e| self.val(e))
    }

    // ----- errors -----

    /// A runtime error with the position of the running code, as `luaL_error`.
    pub fn rt_error(&mut self, msg: &str) -> Val<'n> {
        let e = self.st.rt_error(msg);
        self.val(e)
    }

    /// `bad argument #i to 'f' (msg)`.
    pub fn arg_error(&mut self, i: usize, msg: &str) -> Val<'n> {
        let e = self.st.arg_error(i, msg);
        self.val(e)
    }

    /// `bad argument #i to 'f' (expected X, got Y)`.
    pub fn arg_type_error(&mut self, a: Args, i: usize, expected: &str) -> Val<'n> {
        let e = self.st.arg_type_error(a, i, expected);
        self.val(e)
    }

    /// Ends the running code with the uncatchable "heap limit exceeded"; the value to
    /// raise now.
    pub fn heap_limit_error(&mut self) -> Val<'n> {
        let e = self.st.heap_limit_error();
        self.val(e)
    }

    // ----- accounting -----

    /// Charges `n` reductions (an error once a reduction limit is passed).
    pub fn charge(&mut self, n: u64) -> HostResult<'n, ()> {
        self.st.charge(n).map_err(|e| self.val(e))
    }

    /// Charges work proportional to `bytes` copied or scanned.
    pub fn charge_bytes(&mut self, bytes: usize) -> HostResult<'n, ()> {
        self.st.charge_bytes(bytes).map_err(|e| self.val(e))
    }

    /// Reserves `bytes` against the heap limit before allocating them.
    pub fn reserve(&mut self, bytes: usize) -> HostResult<'n, ()> {
        self.st.reserve(bytes).map_err(|e| self.val(e))
    }

    /// [`Cx::reserve`] under `max` instead of the heap's current cap (e.g. a process's
    /// own limit). Same contract: call it before any side effect, since a failure may
    /// turn into a collection and a re-call of the native (or continuation) with the
    /// same arguments.
    pub fn reserve_within(&mut self, bytes: usize, max: usize) -> HostResult<'n, ()> {
        self.st.reserve_within(bytes, max).map_err(|e| self.val(e))
    }

    /// The heap's current cap (`State::max_heap`).
    pub fn max_heap(&self) -> Option<usize> {
        self.st.max_heap
    }

    /// Sets the heap's cap (`State::set_max_heap`).
    pub fn set_max_heap(&mut self, max: Option<usize>) {
        self.st.set_max_heap(max)
    }

    /// Reductions left in the running slice.
    pub fn budget(&self) -> i64 {
        self.st.budget
    }

    /// Sets the reductions left in the running slice (e.g. to 0 to end it at the next
    /// check).
    pub fn set_budget(&mut self, budget: i64) {
        self.st.budget = budget
    }

    /// Live bytes of the heap (estimate).
    pub fn heap_bytes(&self) -> usize {
        self.st.heap_bytes()
    }

    /// See [`State::memory_bytes`].
    pub fn memory_bytes(&self) -> usize {
        self.st.memory_bytes()
    }

    /// See [`State::set_external_bytes`].
    pub fn set_external_bytes(&mut self, counter: std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        self.st.set_external_bytes(counter)
    }

    /// See [`State::pace_external_alloc`].
    pub fn pace_external_alloc(&mut self, bytes: usize) {
        self.st.pace_external_alloc(bytes)
    }

    /// True once the host asked the running code to stop (`State::set_interrupt`).
    pub fn interrupted(&self) -> bool {
        self.st.interrupted()
    }

    // ----- the host's own slots -----

    /// The host's context slot (`State::ext`).
    pub fn ext(&mut self) -> &mut Option<Box<dyn std::any::Any + Send>> {
        &mut self.st.ext
    }

    /// Where `print` and `io.write` to standard output go.
    pub fn stdout(&mut self) -> &mut (dyn std::io::Write + Send) {
        &mut *self.st.stdout
    }

    /// The value the host keeps alive with the state (`State::host_root`).
    pub fn host_root(&self) -> Val<'n> {
        self.val(self.st.host_root)
    }

    pub fn set_host_root(&mut self, v: Val<'n>) {
        self.st.host_root = v.raw()
    }

    /// `tostring`'s text for values without `__tostring`, as error reports show them.
    pub fn describe(&self, v: Val<'n>) -> String {
        match v {
            Val::Str(s) => s.to_str_lossy().into_owned(),
            Val::Num(n) => {
                let mut buf = Vec::new();
                crate::text::number::write_number(&mut buf, n);
                String::from_utf8_lossy(&buf).into_owned()
            }
            Val::Nil => "nil".into(),
            Val::Bool(b) => b.to_string(),
            other => format!("{}: {:#x}", other.type_name(), other.addr()),
        }
    }
}

impl State {
    /// The closure of the running native frame, if the running frame is a native's.
    pub(crate) fn running_native(&self) -> Option<Gc<NClosure>> {
        match self.cur.frames.last().map(|f| &f.kind) {
            Some(crate::thread::FrameKind::Native(nc)) => Some(*nc),
            _ => None,
        }
    }
}

/// What owns the host's context slot (`State::ext`): a state, or a context of one, so
/// that host helpers reading the slot work from natives and from host code alike.
pub trait HostSlot {
    fn ext_slot(&mut self) -> &mut Option<Box<dyn std::any::Any + Send>>;
}

impl HostSlot for State {
    fn ext_slot(&mut self) -> &mut Option<Box<dyn std::any::Any + Send>> {
        &mut self.ext
    }
}

impl HostSlot for Cx<'_> {
    fn ext_slot(&mut self) -> &mut Option<Box<dyn std::any::Any + Send>> {
        &mut self.st.ext
    }
}

/// How a call made by [`State::pcall`] failed: the error value is on the stack top,
/// where a context reads it ([`Cx::top`], [`Cx::stack_at`]);
/// [`State::pop_error_message`] takes it as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallFailed;

impl State {
    /// Compiles `source` and pushes its main function (with the globals as `_ENV`), as
    /// `luaL_loadbuffer`.
    pub fn push_chunk(
        &mut self,
        source: &[u8],
        chunk_name: &str,
    ) -> Result<(), crate::chunkid::SyntaxError> {
        let f = self.load_chunk(source, chunk_name)?;
        self.push(f);
        Ok(())
    }

    /// Calls the function below the top `nargs` values with them, nested in the
    /// caller (not preemptible; `State::start`/`resume` run a task in slices), as
    /// `lua_pcall`. On success the function and arguments are replaced by its results
    /// (all of them when `nresults` is negative, else adjusted to `nresults`) and their
    /// number is returned; on error they are replaced by the error value.
    pub fn pcall(&mut self, nargs: usize, nresults: i32) -> Result<usize, CallFailed> {
        let func = self.top() - nargs - 1;
        match self.call_at(func, nresults) {
            Ok(n) => {
                self.set_top(func + n);
                Ok(n)
            }
            Err(e) => {
                self.set_top(func);
                self.push(e);
                Err(CallFailed)
            }
        }
    }

    /// Closes the state as `lua_close` does: runs every pending finalizer (one that
    /// fails does not stop the others, as in PUC-Rio 5.2), then flushes standard output.
    /// Only a limit or an interrupt stops the finalizers: then the error is on the
    /// stack top and `Err` is returned.
    pub fn close(&mut self) -> Result<(), CallFailed> {
        match self.close_with_error() {
            Ok(()) => Ok(()),
            Err(e) => {
                self.push(e);
                Err(CallFailed)
            }
        }
    }

    /// Makes the function below the top `nargs` values, called with them, the state's
    /// task, run by `State::resume` in slices (as `State::start`).
    pub fn start_task(&mut self, nargs: usize) -> Result<(), CallFailed> {
        if self.task_running() {
            self.push_str(b"a task is already running");
            return Err(CallFailed);
        }
        self.begin_task(self.top() - nargs - 1);
        Ok(())
    }

    /// Pops the value on the stack top (an error [`State::pcall`] or a task left) and
    /// returns it as `lua.c`'s message handler shows it: strings and numbers as text,
    /// nil as nothing (`None`), other values through their `__tostring` (called as a
    /// nested call; "(error object is not a string)" if it fails or gives no string) or
    /// as "(no error message)".
    pub fn pop_error_message(&mut self) -> Option<String> {
        let slot = self.top().saturating_sub(1);
        enum Kind {
            Text(String),
            Nothing,
            NoMessage,
            ToString,
        }
        let kind = self.cx(|cx| match cx.stack_at(slot) {
            v @ (Val::Str(_) | Val::Num(_)) => Kind::Text(cx.describe(v)),
            Val::Nil => Kind::Nothing,
            other => {
                let has = cx
                    .metatable(other)
                    .is_some_and(|mt| !cx.get_field(mt, "__tostring").is_nil());
                if has {
                    Kind::ToString
                } else {
                    Kind::NoMessage
                }
            }
        });
        let text = match kind {
            Kind::Text(t) => Some(t),
            Kind::Nothing => None,
            Kind::NoMessage => Some("(no error message)".to_string()),
            Kind::ToString => {
                self.cx(|cx| {
                    let tostring = cx.get_global("tostring");
                    let e = cx.stack_at(slot);
                    cx.push(tostring);
                    cx.push(e);
                });
                let text = match self.pcall(1, 1) {
                    Ok(_) => self.cx(|cx| {
                        cx.stack_at(slot + 1)
                            .as_str()
                            .map(|s| s.to_str_lossy().into_owned())
                    }),
                    Err(_) => None,
                };
                Some(text.unwrap_or_else(|| "(error object is not a string)".to_string()))
            }
        };
        self.set_top(slot);
        text
    }
}
