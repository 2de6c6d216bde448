//! Calling Lua functions from Rust, and Rust closures as Lua functions.
//!
//! A Rust closure becomes a native closure of one shared trampoline, [`trampoline`],
//! with two upvalues: a userdata holding the boxed closure, and the address of the
//! [`Inner`] state so the trampoline can hand the closure a `&Lua`.
//!
//! The trampoline trusts both because a native's upvalues are private: the debug
//! library does not expose them to Lua (`getupvalue`/`setupvalue` see no upvalues in a
//! native; PUC-Rio shows C upvalues named `""`, see `stdlib/debug.rs`), so no script can
//! forge the address or free the closure's userdata while the closure runs.

use super::handle::Handle;
use super::{Error, FromLuaMulti, Function, Inner, IntoLuaMulti, Lua, MultiValue, Result, Value};
use crate::state::{Args, LResult, Ret, State};
use crate::value::Value as RawValue;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;

/// The type-erased form of every Rust callback.
pub(crate) type Callback = Box<dyn Fn(&Lua, MultiValue) -> Result<MultiValue> + Send>;

/// Userdata payload of a callback. The closure lives in its own allocation, which the
/// trampoline calls through a shared pointer, so a callback may re-enter itself.
struct CallbackBox(Callback);

impl Function {
    /// Calls the function with `args` (a value, a tuple, `()`, a [`MultiValue`] ...)
    /// and converts its results. A Lua error comes back as [`Error::Runtime`].
    pub fn call<A: IntoLuaMulti, R: FromLuaMulti>(&self, args: A) -> Result<R> {
        let lua = &self.0.lua;
        let args = args.into_lua_multi(lua)?;
        let raw = args
            .iter()
            .map(|v| v.to_raw(lua))
            .collect::<Result<Vec<_>>>()?;
        let out = lua.call_raw(self.0.raw(), &raw)?;
        drop(args);
        // The results are unrooted until `from_raw` pins them; nothing runs in between.
        let results = out.into_iter().map(|v| Value::from_raw(lua, v)).collect();
        R::from_lua_multi(results, lua)
    }
}

impl Lua {
    /// Makes a Lua function of a Rust closure.
    ///
    /// The arguments convert through `A` (usually a tuple); a failed conversion raises
    /// `bad argument #N to 'name' (expected T, got U)` in Lua. An `Err` result raises the
    /// error in Lua: [`Error::Runtime`] with its message as the error value, other
    /// errors as their text. A panic in the closure is caught and raised as a Lua error.
    ///
    /// The closure must be `Send` because a state may move between threads; it cannot
    /// capture handles (they are `Rc`-based), which also rules out reference cycles that
    /// would keep the state alive. It receives the `&Lua` to work with instead.
    ///
    /// The closure may call Lua, but neither it nor the Lua code it calls can yield
    /// (see the module docs).
    pub fn create_function<A, R, F>(&self, f: F) -> Result<Function>
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
    {
        Ok(self.create_callback(Box::new(move |lua, args| {
            let a = A::from_lua_args(args, 1, lua)?;
            f(lua, a)?.into_lua_multi(lua)
        })))
    }

    /// Like [`Lua::create_function`] for a closure that mutates its captures. Calling
    /// it again while it runs (recursively through Lua) is an error.
    pub fn create_function_mut<A, R, F>(&self, f: F) -> Result<Function>
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: FnMut(&Lua, A) -> Result<R> + Send + 'static,
    {
        let f = std::cell::RefCell::new(f);
        self.create_function(move |lua, a: A| {
            let mut f = f
                .try_borrow_mut()
                .map_err(|_| Error::runtime("mutable callback called recursively"))?;
            (*f)(lua, a)
        })
    }

    pub(crate) fn create_callback(&self, cb: Callback) -> Function {
        let inner = Rc::as_ptr(&self.inner) as usize;
        let f = self.with_state(|st| {
            let ud = st.new_userdata(CallbackBox(cb), None);
            st.new_native("?", trampoline, vec![ud, RawValue::LightUserData(inner)])
        });
        Function(Handle::new(self, f))
    }
}

/// Restores `Inner::cur` when the callback is over, also when it unwinds.
struct RestoreCur<'a> {
    inner: &'a Inner,
    prev: *mut State,
}

impl Drop for RestoreCur<'_> {
    fn drop(&mut self) {
        self.inner.cur.set(self.prev);
    }
}

/// The native function behind every Rust callback.
fn trampoline(st: &mut State, a: Args) -> LResult<Ret> {
    let RawValue::LightUserData(addr) = st.upvalue(1) else {
        return Err(st.new_str(b"corrupt Rust callback"));
    };
    let inner_ptr = addr as *const Inner;
    // SAFETY: upvalue 1 is the address `create_callback` stored, since no Lua code can
    // write a native's upvalues (module docs). The state running this native is owned
    // by that `Inner`, which is therefore alive (it is either held by the caller's `Lua`
    // or in its `Drop`, see `closing`).
    if unsafe { (*inner_ptr).closing.get() } {
        return Err(st.new_str(b"Rust callback called while the Lua state closes"));
    }
    let cb: *const (dyn Fn(&Lua, MultiValue) -> Result<MultiValue> + Send) = match st.upvalue(0) {
        RawValue::UserData(u) => match u.data.downcast_ref::<CallbackBox>() {
            Some(b) => &*b.0,
            None => return Err(st.new_str(b"corrupt Rust callback")),
        },
        _ => return Err(st.new_str(b"corrupt Rust callback")),
    };
    // The arguments stay on the stack (rooted) for the whole call.
    let args: Vec<RawValue> = (1..=a.len).map(|i| st.arg(a, i)).collect();
    // SAFETY: `inner_ptr` is a live `Rc<Inner>` allocation (see above); we take one more
    // strong reference for the `Lua` we lend to the closure.
    let lua = unsafe {
        Rc::increment_strong_count(inner_ptr);
        Lua {
            inner: Rc::from_raw(inner_ptr),
        }
    };
    // From here until `_guard` drops, the state is reached only through `st`'s pointer.
    let _guard = RestoreCur {
        inner: &lua.inner,
        prev: lua.inner.cur.replace(st as *mut State),
    };
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| -> Result<Vec<RawValue>> {
        let args = args.into_iter().map(|v| Value::from_raw(&lua, v)).collect();
        // SAFETY: the closure lives in the callback userdata, an upvalue of this native,
        // whose frame is on the stack: it stays alive during the call (no Lua code can
        // replace a native's upvalue, module docs) and is never mutated.
        let out = unsafe { (*cb)(&lua, args) }?;
        let raw = out
            .iter()
            .map(|v| v.to_raw(&lua))
            .collect::<Result<Vec<_>>>()?;
        // `out` unpins here; `raw` is pushed before anything can collect.
        Ok(raw)
    }));
    let ret = lua.with_state(|st| match outcome {
        Ok(Ok(results)) => {
            st.check_stack(results.len())?;
            for v in &results {
                st.push(*v);
            }
            Ok(Ret::Values(results.len()))
        }
        Ok(Err(e)) => Err(error_value(st, e)),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic payload)".into());
            Err(st.new_str(format!("panic in Rust callback: {msg}").as_bytes()))
        }
    });
    drop(_guard);
    ret
}

/// The Lua error value for an error returned by a callback.
fn error_value(st: &mut State, e: Error) -> RawValue {
    match e {
        Error::BadArgument { pos, cause } => st.arg_error(pos, &cause.to_string()),
        Error::Runtime { message, .. } => st.new_str(message.as_bytes()),
        other => st.new_str(other.to_string().as_bytes()),
    }
}
