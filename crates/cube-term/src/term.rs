//! [`Term`]: the process-independent message value.
//!
//! A term owns everything it holds (no pointer into any process heap), so it can cross
//! scheduler threads and sit in a mailbox while its sender's heap is collected. Large
//! parts are reference-counted (`Arc`): a megabyte binary sent to a thousand processes is
//! one allocation.
//!
//! # Lua tables: one arena per message
//! A Lua table becomes a [`Term::Tables`]: a [`TableGraph`], an arena holding every table
//! reachable from the sent value once, root first. Inside the arena a table-valued key
//! or value is a [`Term::TableRef`], the index of that table in the arena. This keeps the
//! table *graph* — two fields naming the same sub-table, or a table containing itself —
//! which a plain tree of maps cannot express.
//!
//! Why an arena rather than a tree of maps with back-references:
//! - it is flat: a chain of 100,000 nested tables is a vector of 100,000 entries, so
//!   building, cloning, comparing, dropping and (later) encoding never recurse on the
//!   Rust stack, whereas a tree that deep overflows it in the derived `Drop` alone;
//! - the receiver can create every table first (pre-sized from the arena) and fill them
//!   afterwards in any order, so cycles need no special case;
//! - identity is explicit (an index), not a traversal-order convention that sender and
//!   receiver must agree on.
//!
//! [`Term::Map`] remains the Erlang map: a value with no identity. Terms that come from
//! Erlang or LFE use it; the receiver turns it into fresh tables as well. Those are
//! trees, and the derived `Drop`, `PartialEq` and `Debug` recurse on them: the External
//! Term Format decoder that makes them must bound their depth (Lua senders never make
//! nested `Map`, `List` or `Tuple` terms).

use crate::atom::Atom;
use crate::foreign::Foreign;
use std::fmt;
use std::sync::Arc;

/// Bytes of a binary: shared, immutable.
pub type Binary = Arc<[u8]>;

/// A message value, following Erlang's term model. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Atom(Atom),
    Int(i64),
    Float(f64),
    Binary(Binary),
    List(Arc<[Term]>),
    Tuple(Arc<[Term]>),
    /// An Erlang map: key/value pairs, no identity, no sharing.
    Map(Arc<[(Term, Term)]>),
    Pid(Pid),
    Ref(Reference),
    /// A graph of Lua tables, the root being table 0 (see the module documentation).
    Tables(Arc<TableGraph>),
    /// Table `n` of the innermost enclosing [`Term::Tables`]; meaningless elsewhere.
    TableRef(u32),
    /// A library's userdata that travels in messages (a tensor): see [`crate::foreign`].
    Foreign(Foreign),
}

/// The Lua tables of one message, each once. Table 0 is the one that was sent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableGraph {
    pub tables: Vec<TableTerm>,
    /// The tables marked as Erlang tuples or lists (`term.tuple`, `term.list`), by
    /// index, sorted by index (a lookup is a binary search). Most messages have none.
    pub marks: Vec<(u32, TableKind)>,
}

/// What a marked table stands for when it crosses to Erlang (DESIGN.md, "Erlang terms
/// at the Lua boundary"): its array part as a tuple or as a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    Tuple,
    List,
}

impl TableGraph {
    /// The mark of table `i`, if it has one.
    pub fn mark(&self, i: u32) -> Option<TableKind> {
        self.marks
            .binary_search_by_key(&i, |(j, _)| *j)
            .ok()
            .map(|k| self.marks[k].1)
    }
}

/// One Lua table, in the shape it had in the sender's heap.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableTerm {
    /// Values of keys `1..=array.len()`, copied from the array part; a hole is the
    /// atom `nil`. Walking the sender's array part directly (no hashing) is what makes
    /// big sequences cheap, and its length pre-sizes the receiver's array part.
    pub array: Vec<Term>,
    /// Every other entry (the hash part), in the sender's traversal order.
    pub hash: Vec<(Term, Term)>,
}

impl Term {
    pub const NIL: Term = Term::Atom(Atom::NIL);
    pub const TRUE: Term = Term::Atom(Atom::TRUE);
    pub const FALSE: Term = Term::Atom(Atom::FALSE);

    /// The atom named `name`.
    pub fn atom(name: &str) -> Term {
        Term::Atom(Atom::new(name))
    }

    /// A binary holding a copy of `bytes`.
    pub fn binary(bytes: &[u8]) -> Term {
        Term::Binary(Arc::from(bytes))
    }

    /// Whether this is the atom `nil` (a Lua nil).
    pub fn is_nil(&self) -> bool {
        matches!(self, Term::Atom(a) if *a == Atom::NIL)
    }
}

/// A process identifier: which node, which process, and a serial that tells apart two
/// processes that reused one slot. Opaque outside the runtime that allocates them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid {
    node: u32,
    id: u64,
    serial: u32,
}

impl Pid {
    pub const fn new(node: u32, id: u64, serial: u32) -> Pid {
        Pid { node, id, serial }
    }
    /// The node (0: this node, as in Erlang's printed form).
    pub fn node(self) -> u32 {
        self.node
    }
    pub fn id(self) -> u64 {
        self.id
    }
    /// The serial that tells apart two processes of one slot.
    pub fn serial(self) -> u32 {
        self.serial
    }
}

impl fmt::Display for Pid {
    /// Erlang's form: `<0.42.0>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}.{}.{}>", self.node, self.id, self.serial)
    }
}

/// A unique reference (`make_ref()`, monitor references). Opaque outside the runtime.
///
/// `node` and `id` name it; `ext` holds 32 more bits that only the distribution layer
/// uses, so that another node's reference (up to 82 significant bits on the wire) fits
/// without a table that would grow with every reference ever received. The three fields
/// take the 16 bytes the two took alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    node: u32,
    ext: u32,
    id: u64,
}

impl Reference {
    pub const fn new(node: u32, id: u64) -> Reference {
        Reference { node, ext: 0, id }
    }
    /// A reference with extra bits (the distribution layer's packing of another node's
    /// reference words).
    pub const fn with_ext(node: u32, ext: u32, id: u64) -> Reference {
        Reference { node, ext, id }
    }
    /// The node (0: this node).
    pub fn node(self) -> u32 {
        self.node
    }
    pub fn id(self) -> u64 {
        self.id
    }
    /// The extra bits ([`Reference::with_ext`]); 0 for references made by [`Reference::new`].
    pub fn ext(self) -> u32 {
        self.ext
    }
}

impl fmt::Display for Reference {
    /// Erlang's form: `#Ref<0.42>` (`#Ref<1.5.42>` when it has extra bits).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ext == 0 {
            write!(f, "#Ref<{}.{}>", self.node, self.id)
        } else {
            write!(f, "#Ref<{}.{}.{}>", self.node, self.ext, self.id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn term_crosses_threads() {
        assert_send_sync::<Term>();
    }

    #[test]
    fn pids_and_refs_print_like_erlang() {
        assert_eq!(Pid::new(0, 42, 7).to_string(), "<0.42.7>");
        assert_eq!(Reference::new(0, 9).to_string(), "#Ref<0.9>");
        assert_eq!(Reference::with_ext(1, 5, 9).to_string(), "#Ref<1.5.9>");
        assert_eq!(std::mem::size_of::<Reference>(), 16);
    }

    #[test]
    fn terms_stay_small() {
        // Arrays of a million elements are arrays of terms: keep them at 24 bytes.
        assert!(std::mem::size_of::<Term>() <= 24);
    }
}
