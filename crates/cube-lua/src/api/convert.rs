//! Conversions of single values between Rust and Lua.
//!
//! Numbers follow Lua 5.2: every number is an `f64`. Integer types accept only numbers
//! with an integral value in the type's range (and, like `luaL_checknumber`, strings that
//! read as such numbers); converting a Rust integer that an `f64` cannot hold exactly is an
//! error rather than a silent rounding. Strings accept numbers (converted as `tostring`
//! does). `bool` follows Lua truthiness (`nil` and `false` are false).

use super::handle::Handle;
use super::{AnyUserData, Error, Function, Lua, LuaString, Result, Table, Thread, Value};
use crate::value::Value as RawValue;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// A Rust value that can become a Lua value.
pub trait IntoLua {
    fn into_lua(self, lua: &Lua) -> Result<Value>;
}

/// A Rust value that can be made from a Lua value.
pub trait FromLua: Sized {
    fn from_lua(value: Value, lua: &Lua) -> Result<Self>;
}

impl IntoLua for Value {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(self)
    }
}
impl FromLua for Value {
    fn from_lua(value: Value, _: &Lua) -> Result<Value> {
        Ok(value)
    }
}

impl IntoLua for &Value {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(self.clone())
    }
}

macro_rules! handle_conv {
    ($name:ident, $variant:ident) => {
        impl IntoLua for $name {
            fn into_lua(self, _: &Lua) -> Result<Value> {
                Ok(Value::$variant(self))
            }
        }
        impl IntoLua for &$name {
            fn into_lua(self, _: &Lua) -> Result<Value> {
                Ok(Value::$variant(self.clone()))
            }
        }
        impl FromLua for $name {
            fn from_lua(value: Value, _: &Lua) -> Result<$name> {
                match value {
                    Value::$variant(h) => Ok(h),
                    other => Err(Error::from_lua($name::TYPE_NAME, other.type_name())),
                }
            }
        }
    };
}
handle_conv!(Table, Table);
handle_conv!(Function, Function);
handle_conv!(AnyUserData, UserData);
handle_conv!(Thread, Thread);

impl IntoLua for LuaString {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::String(self))
    }
}
impl IntoLua for &LuaString {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::String(self.clone()))
    }
}
impl FromLua for LuaString {
    fn from_lua(value: Value, lua: &Lua) -> Result<LuaString> {
        match value {
            Value::String(s) => Ok(s),
            Value::Number(n) => {
                let raw = lua.with_state(|st| {
                    RawValue::Str(st.coerce_to_str(&RawValue::Num(n)).expect("number"))
                });
                Ok(LuaString(Handle::new(lua, raw)))
            }
            other => Err(Error::from_lua("string", other.type_name())),
        }
    }
}

impl IntoLua for bool {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Boolean(self))
    }
}
impl FromLua for bool {
    fn from_lua(value: Value, _: &Lua) -> Result<bool> {
        Ok(value.truthy())
    }
}

/// The number a value stands for, with Lua's string coercion.
fn to_number(value: &Value, expected: &str) -> Result<f64> {
    match value {
        Value::Number(n) => Ok(*n),
        Value::String(s) => crate::text::number::str_to_number(s.as_bytes())
            .ok_or_else(|| Error::from_lua(expected, "string")),
        other => Err(Error::from_lua(expected, other.type_name())),
    }
}

impl IntoLua for f64 {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Number(self))
    }
}
impl FromLua for f64 {
    fn from_lua(value: Value, _: &Lua) -> Result<f64> {
        to_number(&value, "number")
    }
}
impl IntoLua for f32 {
    fn into_lua(self, _: &Lua) -> Result<Value> {
        Ok(Value::Number(self as f64))
    }
}
impl FromLua for f32 {
    fn from_lua(value: Value, _: &Lua) -> Result<f32> {
        Ok(to_number(&value, "number")? as f32)
    }
}

macro_rules! int_conv {
    ($($t:ty),*) => {$(
        impl IntoLua for $t {
            fn into_lua(self, _: &Lua) -> Result<Value> {
                let f = self as f64;
                // Integers beyond 2^53 may not be representable: refuse to round.
                if f as i128 != self as i128 {
                    return Err(Error::ToLua {
                        from: stringify!($t),
                        detail: format!("{self} is not exactly representable as a Lua number"),
                    });
                }
                Ok(Value::Number(f))
            }
        }
        impl FromLua for $t {
            fn from_lua(value: Value, _: &Lua) -> Result<$t> {
                let got = value.type_name();
                let n = to_number(&value, stringify!($t))?;
                if n.fract() != 0.0 || !n.is_finite() {
                    return Err(Error::from_lua_detail(stringify!($t), got, format!("{n} has no integer representation")));
                }
                // `n` is integral; the round trip through i128 detects out-of-range values
                // (`as` saturates).
                let i = n as i128;
                if i as f64 != n || i < <$t>::MIN as i128 || i > <$t>::MAX as i128 {
                    return Err(Error::from_lua_detail(stringify!($t), got, format!("{n} out of range")));
                }
                Ok(i as $t)
            }
        }
    )*};
}
int_conv!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl IntoLua for &str {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::String(lua.create_string(self)))
    }
}
impl IntoLua for String {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::String(lua.create_string(self)))
    }
}
impl IntoLua for &String {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::String(lua.create_string(self)))
    }
}
/// Bytes become a Lua string (not a table of numbers).
impl IntoLua for &[u8] {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::String(lua.create_string(self)))
    }
}
impl FromLua for String {
    fn from_lua(value: Value, lua: &Lua) -> Result<String> {
        let got = value.type_name();
        let s = LuaString::from_lua(value, lua).map_err(|_| Error::from_lua("string", got))?;
        Ok(s.to_str()?.to_owned())
    }
}

impl<T: IntoLua> IntoLua for Option<T> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        match self {
            Some(v) => v.into_lua(lua),
            None => Ok(Value::Nil),
        }
    }
}
impl<T: FromLua> FromLua for Option<T> {
    fn from_lua(value: Value, lua: &Lua) -> Result<Option<T>> {
        match value {
            Value::Nil => Ok(None),
            v => T::from_lua(v, lua).map(Some),
        }
    }
}

/// A sequence table `{v1, v2, ...}`.
impl<T: IntoLua> IntoLua for Vec<T> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_sequence_from(self)?))
    }
}
/// Reads `t[1..=#t]` (raw accesses; the border rule of `#` applies to holes).
impl<T: FromLua> FromLua for Vec<T> {
    fn from_lua(value: Value, lua: &Lua) -> Result<Vec<T>> {
        let t = Table::from_lua(value, lua)?;
        t.sequence_values::<T>().collect()
    }
}

impl<K: IntoLua + Eq + Hash, V: IntoLua, S> IntoLua for HashMap<K, V, S> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_table_from(self)?))
    }
}
/// All pairs of the table (raw iteration).
impl<K: FromLua + Eq + Hash, V: FromLua, S: std::hash::BuildHasher + Default> FromLua
    for HashMap<K, V, S>
{
    fn from_lua(value: Value, lua: &Lua) -> Result<HashMap<K, V, S>> {
        let t = Table::from_lua(value, lua)?;
        t.pairs::<K, V>().collect()
    }
}

impl<K: IntoLua + Ord, V: IntoLua> IntoLua for BTreeMap<K, V> {
    fn into_lua(self, lua: &Lua) -> Result<Value> {
        Ok(Value::Table(lua.create_table_from(self)?))
    }
}
impl<K: FromLua + Ord, V: FromLua> FromLua for BTreeMap<K, V> {
    fn from_lua(value: Value, lua: &Lua) -> Result<BTreeMap<K, V>> {
        let t = Table::from_lua(value, lua)?;
        t.pairs::<K, V>().collect()
    }
}
