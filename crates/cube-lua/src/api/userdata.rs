//! Rust values as Lua userdata with methods.
//!
//! A type implements [`UserData`] and lists its methods in `add_methods`. The first
//! `create_userdata` of a type builds its metatable (methods in a table reached through
//! `__index`, metamethods as fields) and caches it for the life of the state. The value
//! lives in the userdata inside a `RefCell`, so methods borrow it dynamically: a method
//! that re-enters its own object through Lua gets an error instead of aliasing.
//! The value is dropped (Rust `Drop`) when Lua collects the userdata, or at close.

use super::function::Callback;
use super::handle::Handle;
use super::multi::at_arg;
use super::{
    AnyUserData, Error, FromLuaMulti, IntoLuaMulti, Lua, MultiValue, Result, Table, Value,
};
use crate::value::Value as RawValue;
use std::any::TypeId;
use std::cell::{Ref, RefCell, RefMut};
use std::marker::PhantomData;

/// A Rust type usable as Lua userdata. `Send` because a state may move between threads.
pub trait UserData: Sized + Send + 'static {
    /// Registers the type's methods and metamethods. Called once per state.
    fn add_methods(_methods: &mut UserDataMethods<Self>) {}
}

/// Collects the methods of a [`UserData`] type.
pub struct UserDataMethods<T> {
    methods: Vec<(String, Callback)>,
    meta: Vec<(String, Callback)>,
    _t: PhantomData<fn(T)>,
}

fn short_type_name<T>() -> &'static str {
    let n = std::any::type_name::<T>();
    n.rsplit("::").next().unwrap_or(n)
}

/// Splits `self` off an argument list and borrows it as a `T`.
fn self_cell<T: UserData>(args: MultiValue) -> Result<(AnyUserData, MultiValue)> {
    let mut it = args.0.into_iter();
    let this = it.next().unwrap_or(Value::Nil);
    let ud = match this {
        Value::UserData(u) => u,
        other => {
            return Err(at_arg(
                1,
                Error::from_lua(short_type_name::<T>(), other.type_name()),
            ));
        }
    };
    ud.cell::<T>().map_err(|e| at_arg(1, e))?;
    Ok((ud, MultiValue(it.collect())))
}

impl<T: UserData> UserDataMethods<T> {
    fn method<A, R, F>(f: F) -> Callback
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
    {
        Box::new(move |lua, args| {
            let (ud, rest) = self_cell::<T>(args)?;
            let a = A::from_lua_args(rest, 2, lua)?;
            let this = ud.borrow::<T>()?;
            f(lua, &this, a)?.into_lua_multi(lua)
        })
    }

    fn method_mut<A, R, F>(f: F) -> Callback
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, &mut T, A) -> Result<R> + Send + 'static,
    {
        Box::new(move |lua, args| {
            let (ud, rest) = self_cell::<T>(args)?;
            let a = A::from_lua_args(rest, 2, lua)?;
            let mut this = ud.borrow_mut::<T>()?;
            f(lua, &mut this, a)?.into_lua_multi(lua)
        })
    }

    fn function<A, R, F>(f: F) -> Callback
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
    {
        Box::new(move |lua, args| f(lua, A::from_lua_args(args, 1, lua)?)?.into_lua_multi(lua))
    }

    /// A method `obj:name(args)` that reads the value.
    pub fn add_method<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
    {
        self.methods.push((name.to_string(), Self::method(f)));
    }

    /// A method `obj:name(args)` that changes the value.
    pub fn add_method_mut<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, &mut T, A) -> Result<R> + Send + 'static,
    {
        self.methods.push((name.to_string(), Self::method_mut(f)));
    }

    /// A function in the method table that takes no `self` (`Type.name(args)`).
    pub fn add_function<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
    {
        self.methods.push((name.to_string(), Self::function(f)));
    }

    /// A metamethod (`"__tostring"`, `"__add"`, `"__index"`, `"__call"`, ...) whose first
    /// argument must be this userdata. For binary operators Lua passes the operands in
    /// source order, so `1 + obj` reaches `__add` with `self` second: use
    /// [`UserDataMethods::add_meta_function`] to accept both orders.
    ///
    /// A user `__index` is consulted only for keys that are not methods.
    pub fn add_meta_method<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, &T, A) -> Result<R> + Send + 'static,
    {
        self.meta.push((name.to_string(), Self::method(f)));
    }

    /// A metamethod that changes the value (e.g. `__newindex`, `__call`).
    pub fn add_meta_method_mut<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, &mut T, A) -> Result<R> + Send + 'static,
    {
        self.meta.push((name.to_string(), Self::method_mut(f)));
    }

    /// A metamethod taking all operands as plain arguments.
    pub fn add_meta_function<A, R, F>(&mut self, name: &str, f: F)
    where
        A: FromLuaMulti,
        R: IntoLuaMulti,
        F: Fn(&Lua, A) -> Result<R> + Send + 'static,
    {
        self.meta.push((name.to_string(), Self::function(f)));
    }
}

impl AnyUserData {
    /// The `RefCell` holding a `T`, or an error if this userdata holds something else.
    fn cell<T: 'static>(&self) -> Result<&RefCell<T>> {
        match self.0.raw() {
            RawValue::UserData(u) => match u.data.downcast_ref::<RefCell<T>>() {
                // SAFETY: the payload is a separate allocation owned by the userdata,
                // which `self` keeps alive; it is never replaced, and all access to it
                // goes through the `RefCell`.
                Some(c) => Ok(unsafe { &*(c as *const RefCell<T>) }),
                None => Err(Error::from_lua(short_type_name::<T>(), "userdata")),
            },
            _ => unreachable!("AnyUserData holds a userdata"),
        }
    }

    /// True if this userdata holds a `T`.
    pub fn is<T: 'static>(&self) -> bool {
        self.cell::<T>().is_ok()
    }

    /// Borrows the value. Fails if it is of another type or mutably borrowed.
    pub fn borrow<T: 'static>(&self) -> Result<Ref<'_, T>> {
        self.cell::<T>()?.try_borrow().map_err(|_| {
            Error::UserData(format!(
                "{} is already mutably borrowed",
                short_type_name::<T>()
            ))
        })
    }

    /// Borrows the value mutably. Fails if it is of another type or borrowed.
    pub fn borrow_mut<T: 'static>(&self) -> Result<RefMut<'_, T>> {
        self.cell::<T>()?
            .try_borrow_mut()
            .map_err(|_| Error::UserData(format!("{} is already borrowed", short_type_name::<T>())))
    }
}

impl Lua {
    /// Wraps `value` in a userdata with the methods of its [`UserData`] impl.
    pub fn create_userdata<T: UserData>(&self, value: T) -> Result<AnyUserData> {
        let mt = self.userdata_metatable::<T>()?;
        let mt = mt.0.raw().as_table();
        let v = self.with_state(|st| st.new_userdata(RefCell::new(value), mt));
        Ok(AnyUserData(Handle::new(self, v)))
    }

    /// The metatable of `T`'s userdata, made on first use.
    fn userdata_metatable<T: UserData>(&self) -> Result<Table> {
        let cached = self
            .inner
            .userdata_meta
            .borrow()
            .get(&TypeId::of::<T>())
            .copied();
        if let Some(slot) = cached {
            return Ok(Table(Handle::new(self, self.pinned(slot))));
        }
        let mut reg = UserDataMethods::<T> {
            methods: Vec::new(),
            meta: Vec::new(),
            _t: PhantomData,
        };
        T::add_methods(&mut reg);
        let mt = self.create_table();
        let methods = self.create_table();
        let has_methods = !reg.methods.is_empty();
        for (name, cb) in reg.methods {
            methods.raw_set(name, self.create_callback(cb))?;
        }
        let mut user_index = None;
        for (name, cb) in reg.meta {
            let f = self.create_callback(cb);
            if name == "__index" {
                user_index = Some(f);
            } else {
                mt.raw_set(name, f)?;
            }
        }
        match user_index {
            None => mt.raw_set("__index", &methods)?,
            Some(f) if !has_methods => mt.raw_set("__index", f)?,
            Some(f) => {
                let chain =
                    super::Function(Handle::new(self, self.pinned(self.helpers().index_chain)));
                let index: super::Function = chain.call((&methods, f))?;
                mt.raw_set("__index", index)?;
            }
        }
        let slot = self.pin_raw(mt.0.raw());
        self.inner
            .userdata_meta
            .borrow_mut()
            .insert(TypeId::of::<T>(), slot);
        Ok(mt)
    }
}
