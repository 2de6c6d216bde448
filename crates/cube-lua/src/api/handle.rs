//! Rooted handles to Lua values, and the dynamic [`Value`] type.
//!
//! A raw `crate::Value` is a bare pointer into the heap, valid only while the collector
//! can see it. A [`Handle`] makes it safe to keep: it owns a pin slot (a GC root) for as
//! long as it lives, and an `Rc` to the state so the heap itself outlives it.

use super::{Error, Lua, Result};
use crate::value::Value as RawValue;

/// A pinned Lua value: the building block of every typed handle.
pub(crate) struct Handle {
    pub(crate) lua: Lua,
    slot: usize,
}

impl Handle {
    pub(crate) fn new(lua: &Lua, v: RawValue) -> Handle {
        let slot = lua.pin_raw(v);
        lua.inner.live_pins.set(lua.inner.live_pins.get() + 1);
        Handle {
            lua: lua.clone(),
            slot,
        }
    }

    /// The raw value; rooted for as long as `self` lives.
    pub(crate) fn raw(&self) -> RawValue {
        self.lua.pinned(self.slot)
    }

    /// The raw value for use in `lua`, checking that the handle belongs to it.
    pub(crate) fn raw_in(&self, lua: &Lua) -> Result<RawValue> {
        if self.lua.same(lua) {
            Ok(self.raw())
        } else {
            Err(Error::ToLua {
                from: "handle",
                detail: "the value belongs to another Lua state".into(),
            })
        }
    }
}

impl Clone for Handle {
    fn clone(&self) -> Handle {
        Handle::new(&self.lua, self.raw())
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.lua.unpin(self.slot);
        self.lua
            .inner
            .live_pins
            .set(self.lua.inner.live_pins.get() - 1);
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.raw();
        write!(f, "{}: {:#x}", v.type_name(), v.addr())
    }
}

macro_rules! handle_type {
    ($(#[$doc:meta])* $name:ident, $lua_type:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub(crate) Handle);

        impl $name {
            /// The `Lua` this value belongs to.
            pub fn lua(&self) -> &Lua {
                &self.0.lua
            }

            /// True if both handles refer to the same Lua object (raw equality).
            pub fn ptr_eq(&self, other: &$name) -> bool {
                self.0.raw().raw_eq(&other.0.raw())
            }

            /// The Lua type name, for messages.
            pub const TYPE_NAME: &'static str = $lua_type;
        }

        impl PartialEq for $name {
            fn eq(&self, other: &$name) -> bool {
                self.ptr_eq(other)
            }
        }
    };
}

handle_type!(
    /// A Lua table. See `table.rs` for access (raw and with metamethods).
    Table,
    "table"
);
handle_type!(
    /// A Lua function (Lua closure or native).
    Function,
    "function"
);
handle_type!(
    /// A Lua string: immutable bytes, not necessarily UTF-8.
    LuaString,
    "string"
);
handle_type!(
    /// A full userdata of any type; see [`AnyUserData::borrow`].
    AnyUserData,
    "userdata"
);
handle_type!(
    /// A coroutine (opaque for now).
    Thread,
    "thread"
);

impl LuaString {
    /// The bytes of the string. They stay valid while `self` lives (strings are
    /// immutable and the handle keeps this one alive).
    pub fn as_bytes(&self) -> &[u8] {
        match self.0.raw() {
            // SAFETY: the string object is pinned by `self` and never mutated or moved,
            // and the heap outlives `self` (the handle holds the state).
            RawValue::Str(s) => unsafe { &*(s.as_bytes() as *const [u8]) },
            _ => unreachable!("LuaString holds a string"),
        }
    }

    /// The string as UTF-8 text, or an error if it is not valid UTF-8.
    pub fn to_str(&self) -> Result<&str> {
        std::str::from_utf8(self.as_bytes())
            .map_err(|e| Error::from_lua_detail("UTF-8 string", "string", e.to_string()))
    }

    /// The string as text, invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

/// Any Lua value, with rooted handles for the heap-allocated kinds.
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Nil,
    Boolean(bool),
    Number(f64),
    String(LuaString),
    Table(Table),
    Function(Function),
    UserData(AnyUserData),
    Thread(Thread),
    /// A light userdata: an opaque address.
    LightUserData(usize),
}

impl Value {
    /// Roots a raw value of `lua`'s state. The raw value must be alive and belong to
    /// `lua` (which is why this is only for code that got it from `with_raw_state` or
    /// inside the crate).
    pub fn from_raw(lua: &Lua, v: RawValue) -> Value {
        match v {
            RawValue::Nil => Value::Nil,
            RawValue::Bool(b) => Value::Boolean(b),
            RawValue::Num(n) => Value::Number(n),
            RawValue::LightUserData(p) => Value::LightUserData(p),
            RawValue::Str(_) => Value::String(LuaString(Handle::new(lua, v))),
            RawValue::Table(_) => Value::Table(Table(Handle::new(lua, v))),
            RawValue::LFn(_) | RawValue::NFn(_) => Value::Function(Function(Handle::new(lua, v))),
            RawValue::UserData(_) => Value::UserData(AnyUserData(Handle::new(lua, v))),
            RawValue::Thread(_) => Value::Thread(Thread(Handle::new(lua, v))),
        }
    }

    /// The raw value, checking that handles belong to `lua`.
    pub(crate) fn to_raw(&self, lua: &Lua) -> Result<RawValue> {
        Ok(match self {
            Value::Nil => RawValue::Nil,
            Value::Boolean(b) => RawValue::Bool(*b),
            Value::Number(n) => RawValue::Num(*n),
            Value::LightUserData(p) => RawValue::LightUserData(*p),
            Value::String(h) => h.0.raw_in(lua)?,
            Value::Table(h) => h.0.raw_in(lua)?,
            Value::Function(h) => h.0.raw_in(lua)?,
            Value::UserData(h) => h.0.raw_in(lua)?,
            Value::Thread(h) => h.0.raw_in(lua)?,
        })
    }

    /// The Lua type name (`"nil"`, `"number"`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Boolean(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Table(_) => "table",
            Value::Function(_) => "function",
            Value::UserData(_) | Value::LightUserData(_) => "userdata",
            Value::Thread(_) => "thread",
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Lua truthiness: everything but `nil` and `false`.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Boolean(false))
    }
}

/// Raw equality (`rawequal`): numbers and booleans by value, strings by content,
/// everything else by identity.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::LightUserData(a), Value::LightUserData(b)) => a == b,
            (Value::String(a), Value::String(b)) => a.as_bytes() == b.as_bytes(),
            (Value::Table(a), Value::Table(b)) => a == b,
            (Value::Function(a), Value::Function(b)) => a == b,
            (Value::UserData(a), Value::UserData(b)) => a == b,
            (Value::Thread(a), Value::Thread(b)) => a == b,
            _ => false,
        }
    }
}
