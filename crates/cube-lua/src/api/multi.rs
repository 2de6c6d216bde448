//! Argument and result lists: [`MultiValue`], tuples and [`Variadic`].
//!
//! A Rust function's arguments and a Lua call's results are lists of values. Tuples
//! `(A, B, ...)` (up to 8 elements) convert element by element; missing values read as
//! `nil`, extra ones are dropped, as in Lua assignments. A single `T: IntoLua` is a
//! one-element list and `()` is the empty list.

use super::{Error, FromLua, IntoLua, Lua, Result, Value};

/// A list of Lua values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MultiValue(pub Vec<Value>);

impl MultiValue {
    pub fn new() -> MultiValue {
        MultiValue(Vec::new())
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_vec(self) -> Vec<Value> {
        self.0
    }
}

impl std::ops::Deref for MultiValue {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.0
    }
}

impl FromIterator<Value> for MultiValue {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        MultiValue(iter.into_iter().collect())
    }
}

/// Any number of values of one type: the rest of an argument list, or all results.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variadic<T>(pub Vec<T>);

impl<T> std::ops::Deref for Variadic<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

/// A Rust value that becomes a list of Lua values.
pub trait IntoLuaMulti {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue>;
}

/// A Rust value made from a list of Lua values.
pub trait FromLuaMulti: Sized {
    /// Converts results (errors name no position).
    fn from_lua_multi(values: MultiValue, lua: &Lua) -> Result<Self> {
        Self::from_lua_args(values, 1, lua).map_err(|e| match e {
            Error::BadArgument { cause, .. } => *cause,
            e => e,
        })
    }

    /// Converts arguments, the first of which is argument number `first` (1-based);
    /// a conversion failure is an [`Error::BadArgument`] naming its position.
    fn from_lua_args(values: MultiValue, first: usize, lua: &Lua) -> Result<Self>;
}

/// Wraps a conversion error with the argument position.
pub(crate) fn at_arg(pos: usize, e: Error) -> Error {
    match e {
        e @ Error::BadArgument { .. } => e,
        e => Error::BadArgument {
            pos,
            cause: Box::new(e),
        },
    }
}

impl<T: IntoLua> IntoLuaMulti for T {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        Ok(MultiValue(vec![self.into_lua(lua)?]))
    }
}

impl<T: FromLua> FromLuaMulti for T {
    fn from_lua_args(values: MultiValue, first: usize, lua: &Lua) -> Result<T> {
        let v = values.0.into_iter().next().unwrap_or(Value::Nil);
        T::from_lua(v, lua).map_err(|e| at_arg(first, e))
    }
}

impl IntoLuaMulti for MultiValue {
    fn into_lua_multi(self, _: &Lua) -> Result<MultiValue> {
        Ok(self)
    }
}
impl FromLuaMulti for MultiValue {
    fn from_lua_args(values: MultiValue, _: usize, _: &Lua) -> Result<MultiValue> {
        Ok(values)
    }
}

impl<T: IntoLua> IntoLuaMulti for Variadic<T> {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        self.0
            .into_iter()
            .map(|v| v.into_lua(lua))
            .collect::<Result<Vec<_>>>()
            .map(MultiValue)
    }
}
impl<T: FromLua> FromLuaMulti for Variadic<T> {
    fn from_lua_args(values: MultiValue, first: usize, lua: &Lua) -> Result<Variadic<T>> {
        values
            .0
            .into_iter()
            .enumerate()
            .map(|(i, v)| T::from_lua(v, lua).map_err(|e| at_arg(first + i, e)))
            .collect::<Result<Vec<_>>>()
            .map(Variadic)
    }
}

impl IntoLuaMulti for () {
    fn into_lua_multi(self, _: &Lua) -> Result<MultiValue> {
        Ok(MultiValue::new())
    }
}
impl FromLuaMulti for () {
    fn from_lua_args(_: MultiValue, _: usize, _: &Lua) -> Result<()> {
        Ok(())
    }
}

// Tuples of two or more: all but the last element are single values; the last may be a
// list itself (e.g. `Variadic`), so `(A, Variadic<B>)` takes "A, then the rest".
macro_rules! tuple_impls {
    ($($name:ident $idx:tt),+ ; $last:ident $lidx:tt) => {
        impl<$($name: IntoLua,)* $last: IntoLuaMulti> IntoLuaMulti for ($($name,)* $last,) {
            #[allow(non_snake_case)]
            fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
                let mut out = vec![$(self.$idx.into_lua(lua)?),*];
                out.extend(self.$lidx.into_lua_multi(lua)?.0);
                Ok(MultiValue(out))
            }
        }
        impl<$($name: FromLua,)* $last: FromLuaMulti> FromLuaMulti for ($($name,)* $last,) {
            fn from_lua_args(values: MultiValue, first: usize, lua: &Lua) -> Result<Self> {
                let mut it = values.0.into_iter();
                let mut pos = first;
                let r = ($(
                    {
                        let v = it.next().unwrap_or(Value::Nil);
                        let x = $name::from_lua(v, lua).map_err(|e| at_arg(pos, e))?;
                        pos += 1;
                        x
                    },
                )* $last::from_lua_args(MultiValue(it.collect()), pos, lua)?,);
                Ok(r)
            }
        }
    };
}

impl<A: IntoLuaMulti> IntoLuaMulti for (A,) {
    fn into_lua_multi(self, lua: &Lua) -> Result<MultiValue> {
        self.0.into_lua_multi(lua)
    }
}
impl<A: FromLuaMulti> FromLuaMulti for (A,) {
    fn from_lua_args(values: MultiValue, first: usize, lua: &Lua) -> Result<Self> {
        Ok((A::from_lua_args(values, first, lua)?,))
    }
}
tuple_impls!(A 0; B 1);
tuple_impls!(A 0, B 1; C 2);
tuple_impls!(A 0, B 1, C 2; D 3);
tuple_impls!(A 0, B 1, C 2, D 3; E 4);
tuple_impls!(A 0, B 1, C 2, D 3, E 4; F 5);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5; G 6);
tuple_impls!(A 0, B 1, C 2, D 3, E 4, F 5, G 6; H 7);
