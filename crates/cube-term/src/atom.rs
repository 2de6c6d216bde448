//! Atoms: interned names, as in Erlang.
//!
//! An [`Atom`] is an index into one node-wide atom table, so it is a `Copy` `u32`:
//! comparing two atoms is an integer compare and sending one costs nothing (no reference
//! count to bump on every `true`, `false` and `nil` of a message). Like Erlang's, the
//! table only grows: names are leaked into `&'static str` and never freed, which is why
//! the table has a limit ([`MAX_ATOMS`], Erlang's default) and why Lua strings become
//! binaries, never atoms. Atom indices are local to one node; the External Term Format
//! codec will send atoms by name.
//!
//! `nil`, `true` and `false` are pre-registered with fixed indices, so the conversions
//! from Lua never touch the table's lock.

use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// Most atoms a node may hold (Erlang's default `+t` limit).
pub const MAX_ATOMS: usize = 1_048_576;

/// Slots of the table that only [`Atom::new`] may fill: names written in the runtime's
/// own source (`net_kernel`, `noproc`, `yes`, ...), which are a few dozen. Data (a
/// script's `term.atom`, node names, atoms arriving from other nodes) goes through
/// [`Atom::try_new`], which stops this many short of [`MAX_ATOMS`]; so when a hostile
/// program has filled the table, the runtime can still make the atoms it needs to
/// answer, and `Atom::new` never panics in practice.
pub const RUNTIME_RESERVE: usize = 4096;

/// An interned name. See the module documentation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(u32);

/// Names registered before anything else, in index order.
const PREDEFINED: [&str; 3] = ["nil", "true", "false"];

struct AtomTable {
    names: Vec<&'static str>,
    index: HashMap<&'static str, u32>,
}

fn table() -> &'static RwLock<AtomTable> {
    static TABLE: OnceLock<RwLock<AtomTable>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let names: Vec<&'static str> = PREDEFINED.to_vec();
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (*n, i as u32))
            .collect();
        RwLock::new(AtomTable { names, index })
    })
}

impl Atom {
    /// `nil`: the Lua nil.
    pub const NIL: Atom = Atom(0);
    /// `true`.
    pub const TRUE: Atom = Atom(1);
    /// `false`.
    pub const FALSE: Atom = Atom(2);

    /// The atom named `name`, registering it on first use. Only for names fixed in
    /// the runtime's source: they may use the [`RUNTIME_RESERVE`] that data cannot.
    ///
    /// # Panics
    /// When the table holds [`MAX_ATOMS`] atoms, reserve included (Erlang ends the node
    /// then): only a runtime that made atoms from data with `new` could get there.
    pub fn new(name: &str) -> Atom {
        Atom::intern(name, MAX_ATOMS).expect("atom table full")
    }

    /// The atom named `name`, or `None` if it is new and the table is full (for data:
    /// the last [`RUNTIME_RESERVE`] slots are not given out here).
    pub fn try_new(name: &str) -> Option<Atom> {
        Atom::intern(name, MAX_ATOMS - RUNTIME_RESERVE)
    }

    /// The atom named `name`, registering it if the table holds fewer than `limit`.
    fn intern(name: &str, limit: usize) -> Option<Atom> {
        if let Some(&i) = table()
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .index
            .get(name)
        {
            return Some(Atom(i));
        }
        let mut t = table().write().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = t.index.get(name) {
            return Some(Atom(i));
        }
        if t.names.len() >= limit {
            return None;
        }
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let i = t.names.len() as u32;
        t.names.push(name);
        t.index.insert(name, i);
        Some(Atom(i))
    }

    /// The atom for a boolean.
    #[inline]
    pub fn from_bool(b: bool) -> Atom {
        if b {
            Atom::TRUE
        } else {
            Atom::FALSE
        }
    }

    /// Its index in the node's atom table (for runtimes that keep atoms in a word).
    pub fn index(self) -> u32 {
        self.0
    }

    /// The atom of table index `i`, if there is one.
    pub fn from_index(i: u32) -> Option<Atom> {
        let len = table()
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .names
            .len();
        ((i as usize) < len).then_some(Atom(i))
    }

    /// The atom's name.
    pub fn name(self) -> &'static str {
        if let Some(n) = PREDEFINED.get(self.0 as usize) {
            return n;
        }
        table().read().unwrap_or_else(|e| e.into_inner()).names[self.0 as usize]
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_atoms_have_fixed_indices() {
        assert_eq!(Atom::new("nil"), Atom::NIL);
        assert_eq!(Atom::new("true"), Atom::TRUE);
        assert_eq!(Atom::new("false"), Atom::FALSE);
        assert_eq!(Atom::FALSE.name(), "false");
    }

    #[test]
    fn interning_gives_one_atom_per_name() {
        let a = Atom::new("cube_term_test_atom");
        let b = Atom::new(&String::from("cube_term_test_atom"));
        assert_eq!(a, b);
        assert_ne!(a, Atom::new("cube_term_other_atom"));
        assert_eq!(a.name(), "cube_term_test_atom");
        assert_eq!(Atom::from_index(a.index()), Some(a));
        assert_eq!(Atom::from_index(u32::MAX), None);
        assert_eq!(
            format!("{a} {a:?}"),
            "cube_term_test_atom 'cube_term_test_atom'"
        );
    }
}
