//! Interned atoms: an [`Atom`] is an index into one process-wide table of names.
//!
//! Atoms are never freed, as on the BEAM (whose atom table is not garbage collected
//! either); the table is bounded by [`MAX_ATOMS`] so a script that makes atoms from
//! data in a loop gets a `system_limit` error instead of exhausting memory.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// The most atoms the table holds (the BEAM's default limit).
pub const MAX_ATOMS: usize = 1_048_576;

/// An interned atom: equal atoms have equal indices.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Atom(u32);

struct Table {
    names: Vec<&'static str>,
    index: HashMap<&'static str, u32>,
}

/// Atoms the evaluator tests for on hot paths, at fixed indices so that testing for
/// them takes no lock.
const WELL_KNOWN: [&str; 5] = ["false", "true", "erlang", "apply", "ok"];

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            names: Vec::new(),
            index: HashMap::new(),
        };
        for (i, name) in WELL_KNOWN.iter().enumerate() {
            t.names.push(name);
            t.index.insert(name, i as u32);
        }
        Mutex::new(t)
    })
}

impl Atom {
    pub const FALSE: Atom = Atom(0);
    pub const TRUE: Atom = Atom(1);
    pub const ERLANG: Atom = Atom(2);
    pub const APPLY: Atom = Atom(3);
    pub const OK: Atom = Atom(4);

    /// The atom named `name`, added to the table if new; `None` when the table is full.
    pub fn try_new(name: &str) -> Option<Atom> {
        // A poisoned lock only means another thread panicked while holding it; the
        // table is still consistent (every insertion is a push then an insert).
        let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = t.index.get(name) {
            return Some(Atom(i));
        }
        if t.names.len() >= MAX_ATOMS {
            return None;
        }
        // Leaked on purpose: atoms live as long as the program (see the module doc).
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        let i = t.names.len() as u32;
        t.names.push(name);
        t.index.insert(name, i);
        Some(Atom(i))
    }

    /// The atom named `name`, for names from code (the program's own and the
    /// script's symbols). When the table is full this gives the atom `false` instead
    /// of failing: only a source with about a million distinct symbols gets there,
    /// and conversions from data (`list_to_atom`) use [`Atom::try_new`] and raise
    /// `system_limit`.
    pub fn new(name: &str) -> Atom {
        Atom::try_new(name).unwrap_or(Atom(0))
    }

    /// The atom's name.
    pub fn name(self) -> &'static str {
        let t = table().lock().unwrap_or_else(|e| e.into_inner());
        t.names.get(self.0 as usize).copied().unwrap_or("")
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.name())
    }
}
