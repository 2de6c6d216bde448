//! Table access.
//!
//! `get`/`set`/`len` behave like the Lua expressions `t[k]`, `t[k] = v` and `#t`: they
//! honour `__index`, `__newindex` and `__len` (by running a tiny Lua helper, so the
//! metamethods run in the VM like any other Lua code). The `raw_*` methods and the
//! iterators never call metamethods.

use super::handle::Handle;
use super::{Error, FromLua, IntoLua, Lua, Result, Table, Value};
use crate::value::Value as RawValue;
use std::marker::PhantomData;

impl Table {
    fn raw_table(&self) -> crate::gc::Gc<crate::table::Table> {
        self.0.raw().as_table().expect("Table holds a table")
    }

    /// The table to write: a table of a shared image is copied first (`crate::image`).
    fn raw_table_to_write(&self) -> crate::gc::Gc<crate::table::Table> {
        let t = self.raw_table();
        if t.is_shared() {
            self.0.lua.with_state(|st| st.unshare(t))
        } else {
            t
        }
    }

    fn key_raw(&self, key: impl IntoLua) -> Result<(Value, RawValue)> {
        let lua = &self.0.lua;
        let k = key.into_lua(lua)?;
        let raw = k.to_raw(lua)?;
        Ok((k, raw))
    }

    /// `t[key]`, with `__index`.
    pub fn get<K: IntoLua, V: FromLua>(&self, key: K) -> Result<V> {
        let lua = &self.0.lua;
        let (_k, k) = self.key_raw(key)?;
        let helper = lua.pinned(lua.helpers().index);
        let out = lua.call_raw(helper, &[self.0.raw(), k])?;
        let v = Value::from_raw(lua, out.first().copied().unwrap_or(RawValue::Nil));
        V::from_lua(v, lua)
    }

    /// `t[key] = value`, with `__newindex`.
    pub fn set<K: IntoLua, V: IntoLua>(&self, key: K, value: V) -> Result<()> {
        let lua = &self.0.lua;
        let (_k, k) = self.key_raw(key)?;
        let v = value.into_lua(lua)?;
        let helper = lua.pinned(lua.helpers().newindex);
        lua.call_raw(helper, &[self.0.raw(), k, v.to_raw(lua)?])?;
        Ok(())
    }

    /// `#t`, with `__len`. Fails if `__len` returns something other than an integer.
    pub fn len(&self) -> Result<i64> {
        let lua = &self.0.lua;
        let helper = lua.pinned(lua.helpers().len);
        let out = lua.call_raw(helper, &[self.0.raw()])?;
        let v = Value::from_raw(lua, out.first().copied().unwrap_or(RawValue::Nil));
        i64::from_lua(v, lua)
    }

    /// True if the table has no pairs at all (raw: `next(t) == nil`).
    pub fn is_empty(&self) -> bool {
        matches!(self.raw_table().next(&RawValue::Nil), Ok(None))
    }

    /// `rawget(t, key)`.
    pub fn raw_get<K: IntoLua, V: FromLua>(&self, key: K) -> Result<V> {
        let lua = &self.0.lua;
        let (_k, k) = self.key_raw(key)?;
        let v = self.raw_table().get(&k);
        V::from_lua(Value::from_raw(lua, v), lua)
    }

    /// `rawset(t, key, value)`. Errors for a `nil` or NaN key.
    pub fn raw_set<K: IntoLua, V: IntoLua>(&self, key: K, value: V) -> Result<()> {
        let lua = &self.0.lua;
        let (_k, k) = self.key_raw(key)?;
        let v = value.into_lua(lua)?;
        let v = v.to_raw(lua)?;
        self.raw_table_to_write()
            .get_mut()
            .set(k, v)
            .map_err(|e| Error::runtime(e.message()))
    }

    /// `rawlen(t)`: the border of the sequence part, without `__len`.
    pub fn raw_len(&self) -> usize {
        self.raw_table().length()
    }

    /// True if `t[key]` is not nil (raw).
    pub fn contains_key<K: IntoLua>(&self, key: K) -> Result<bool> {
        let (_k, k) = self.key_raw(key)?;
        Ok(!self.raw_table().get(&k).is_nil())
    }

    /// Appends at `#t + 1` (raw).
    pub fn raw_push<V: IntoLua>(&self, value: V) -> Result<()> {
        let n = self.raw_len() as i64;
        self.raw_set(n + 1, value)
    }

    /// The metatable, if any.
    pub fn metatable(&self) -> Option<Table> {
        let mt = self.raw_table().meta?;
        Some(Table(Handle::new(&self.0.lua, RawValue::Table(mt))))
    }

    /// Sets or removes the metatable (like `setmetatable`, without `__metatable`
    /// protection). A metatable with `__gc` registers the table for finalization.
    pub fn set_metatable(&self, mt: Option<&Table>) -> Result<()> {
        let lua = &self.0.lua;
        let mt = match mt {
            Some(m) => Some(m.0.raw_in(lua)?.as_table().expect("table")),
            None => None,
        };
        let t = self.raw_table_to_write();
        t.get_mut().meta = mt;
        if let Some(m) = mt {
            lua.with_state(|st| {
                if !m.get_str(st.tm_names[crate::tm::TM::Gc as usize]).is_nil() {
                    st.heap.register_finalizer(RawValue::Table(t));
                }
            });
        }
        Ok(())
    }

    /// Iterates over all pairs in table order (raw, like `next`). Each item converts to
    /// `(K, V)`; a conversion failure ends up as an `Err` item. Changing the table while
    /// iterating follows `next`'s rules: assigning to existing fields is fine, adding new
    /// keys is not.
    pub fn pairs<K: FromLua, V: FromLua>(&self) -> TablePairs<K, V> {
        TablePairs {
            table: self.clone(),
            key: Some(Value::Nil),
            _kv: PhantomData,
        }
    }

    /// `t[1]`, `t[2]`, ... up to the first `nil` (raw).
    pub fn sequence_values<V: FromLua>(&self) -> impl Iterator<Item = Result<V>> + '_ {
        let mut i = 0i64;
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            i += 1;
            let v = self.raw_table().get_int(i);
            if v.is_nil() {
                done = true;
                return None;
            }
            let lua = &self.0.lua;
            Some(V::from_lua(Value::from_raw(lua, v), lua))
        })
    }
}

/// Iterator of [`Table::pairs`]. It holds the table and the current key as rooted
/// values, so Lua code may run (and collect garbage) between steps.
pub struct TablePairs<K, V> {
    table: Table,
    /// The key to continue after; `None` once finished.
    key: Option<Value>,
    _kv: PhantomData<fn() -> (K, V)>,
}

impl<K: FromLua, V: FromLua> Iterator for TablePairs<K, V> {
    type Item = Result<(K, V)>;

    fn next(&mut self) -> Option<Self::Item> {
        let key = self.key.take()?;
        let lua: &Lua = &self.table.0.lua;
        let raw_key = match key.to_raw(lua) {
            Ok(k) => k,
            Err(e) => return Some(Err(e)),
        };
        match self.table.raw_table().next(&raw_key) {
            Ok(None) => None,
            Err(_) => Some(Err(Error::runtime("invalid key to 'next'"))),
            Ok(Some((k, v))) => {
                let k = Value::from_raw(lua, k);
                let v = Value::from_raw(lua, v);
                self.key = Some(k.clone());
                let kv = K::from_lua(k, lua).and_then(|k| Ok((k, V::from_lua(v, lua)?)));
                Some(kv)
            }
        }
    }
}
