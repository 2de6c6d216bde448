//! Lua value -> [`Term`]: the sender's half of a message copy.
//!
//! Tables are visited breadth-first from an explicit queue (the arena itself), never by
//! recursion, so nesting depth costs heap, not Rust stack. Each table gets its arena
//! index the first time it is met (an address lookup); later meetings emit a
//! [`Term::TableRef`] to it, which is how sharing and cycles survive. Array parts are
//! walked by index (no hashing); hash parts with `next`. Strings are interned in the
//! sender's heap, so one `Arc<[u8]>` per distinct string is made and reused.
//!
//! Metatables are not copied: a message is data. (A table with `__index` arrives as a
//! plain table with its own fields.)

use crate::addr_map::AddrMap;
use crate::bridge::{Bridge, NoBridge};
use crate::error::{push_path_step, CopyError, Place};
use crate::number::number_to_term;
use crate::term::{Binary, TableGraph, TableKind, TableTerm, Term};
use cube_lua::host::{Cx, TableRef, Val};
use std::sync::Arc;

/// Copies `v` into a term, with no process runtime (see [`to_term_with`]).
pub fn to_term<'n>(cx: &Cx<'n>, v: Val<'n>) -> Result<Term, CopyError> {
    to_term_with(cx, v, &NoBridge)
}

/// Copies `v` into a term. Functions, coroutines, light userdata and userdata that
/// neither `bridge` nor a registered library ([`crate::foreign`]) maps are refused with an error naming the type and the place.
/// Reads the heap only; nothing is allocated in it and no Lua code runs (no
/// metamethods: a message is copied raw).
pub fn to_term_with<'n>(cx: &Cx<'n>, v: Val<'n>, bridge: &dyn Bridge) -> Result<Term, CopyError> {
    let mut c = Copier {
        cx,
        bridge,
        ids: AddrMap::default(),
        found: Vec::new(),
        strings: AddrMap::default(),
        marks: Vec::new(),
    };
    match v {
        Val::Table(t) => {
            c.discover(t, NO_PARENT, Val::Nil, false);
            let mut tables = Vec::new();
            while tables.len() < c.found.len() {
                let tt = c.copy_table(tables.len() as u32)?;
                tables.push(tt);
            }
            Ok(Term::Tables(Arc::new(TableGraph {
                tables,
                marks: c.marks,
            })))
        }
        other => c
            .value(other, NO_PARENT, Val::Nil, false)
            .map_err(|type_name| CopyError {
                type_name,
                place: Place::Message,
            }),
    }
}

const NO_PARENT: u32 = u32::MAX;

/// How a table was first reached: for error paths.
struct Found<'n> {
    table: TableRef<'n>,
    parent: u32,
    key: Val<'n>,
    as_key: bool,
}

struct Copier<'a, 'n> {
    cx: &'a Cx<'n>,
    bridge: &'a dyn Bridge,
    /// Table address -> arena index.
    ids: AddrMap<u32>,
    /// Arena index -> table; also the queue of tables still to copy.
    found: Vec<Found<'n>>,
    /// String address -> its bytes, made once per message.
    strings: AddrMap<Binary>,
    /// Tables marked as tuples or lists, in index order (`TableGraph::marks`).
    marks: Vec<(u32, TableKind)>,
}

impl<'n> Copier<'_, 'n> {
    /// The arena index of `t`, queueing it if it is new.
    fn discover(&mut self, t: TableRef<'n>, parent: u32, key: Val<'n>, as_key: bool) -> u32 {
        let next = self.found.len() as u32;
        let id = *self.ids.entry(Val::Table(t).addr()).or_insert(next);
        if id == next {
            if let Some(kind) = self.bridge.table_kind(self.cx, t) {
                self.marks.push((id, kind));
            }
            self.found.push(Found {
                table: t,
                parent,
                key,
                as_key,
            });
        }
        id
    }

    /// The term for a value found in table `parent` at `key` (a key itself when
    /// `as_key`); `Err` holds the type name of an unsendable value.
    #[inline]
    fn value(
        &mut self,
        v: Val<'n>,
        parent: u32,
        key: Val<'n>,
        as_key: bool,
    ) -> Result<Term, &'static str> {
        Ok(match v {
            Val::Nil => Term::NIL,
            Val::Bool(b) => Term::Atom(crate::Atom::from_bool(b)),
            Val::Num(n) => number_to_term(n),
            Val::Str(s) => Term::Binary(
                self.strings
                    .entry(v.addr())
                    .or_insert_with(|| Arc::from(s.as_bytes()))
                    .clone(),
            ),
            Val::Table(t) => Term::TableRef(self.discover(t, parent, key, as_key)),
            Val::UserData(_) | Val::LightUserData(_) => {
                match self.bridge.userdata_to_term(self.cx, v) {
                    Some(t) => t,
                    None => Term::Foreign(
                        crate::foreign::userdata_to_foreign(self.cx, v).ok_or("userdata")?,
                    ),
                }
            }
            Val::Function(_) => return Err("function"),
            Val::Thread(_) => return Err("thread"),
        })
    }

    /// Copies table `id` of the arena.
    fn copy_table(&mut self, id: u32) -> Result<TableTerm, CopyError> {
        let cx = self.cx;
        let t = self.found[id as usize].table;
        let n = cx.array_len(t);
        let mut len = n;
        while len > 0 && cx.raw_get_int(t, len as i64).is_nil() {
            len -= 1;
        }
        let mut array = Vec::with_capacity(len);
        for i in 1..=len {
            let v = cx.raw_get_int(t, i as i64);
            let key = Val::Num(i as f64);
            let term = self
                .value(v, id, key, false)
                .map_err(|ty| self.error(ty, id, key, false))?;
            array.push(term);
        }
        let mut hash = Vec::new();
        // Start the hash walk right after the array part. `next` finds array positions
        // only up to 2^30; a bigger array part (16 GiB) is walked from the start.
        let huge = n > 1 << 30;
        let mut k = if n == 0 || huge {
            Val::Nil
        } else {
            Val::Num(n as f64)
        };
        while let Some((key, v)) = cx.next(t, k) {
            k = key;
            if huge {
                if let Val::Num(x) = key {
                    if x.fract() == 0.0 && x >= 1.0 && x <= n as f64 {
                        continue;
                    }
                }
            }
            let kt = self
                .value(key, id, key, true)
                .map_err(|ty| self.error(ty, id, key, true))?;
            let vt = self
                .value(v, id, key, false)
                .map_err(|ty| self.error(ty, id, key, false))?;
            hash.push((kt, vt));
        }
        Ok(TableTerm { array, hash })
    }

    /// The error for an unsendable value in table `id` at `key` (or being that key).
    fn error(&self, type_name: &'static str, id: u32, key: Val<'n>, as_key: bool) -> CopyError {
        // The chain of keys from the sent table down to table `id`.
        let mut steps = Vec::new();
        let mut at = id;
        while at != NO_PARENT {
            let f = &self.found[at as usize];
            if f.parent != NO_PARENT {
                steps.push((f.key, f.as_key));
            }
            at = f.parent;
        }
        let mut path = String::new();
        for &(k, k_is_key) in steps.iter().rev() {
            if k_is_key {
                // A table used as a key has no name to reach it by.
                path.push_str("[table key]");
            } else {
                push_path_step(&mut path, k);
            }
        }
        let place = if as_key {
            Place::KeyIn(path)
        } else {
            push_path_step(&mut path, key);
            Place::Field(path)
        };
        CopyError { type_name, place }
    }
}
