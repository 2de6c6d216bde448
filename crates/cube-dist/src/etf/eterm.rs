//! [`Eterm`]: a term exactly as the External Term Format carries it.
//!
//! The codec works on this type, not on `cube_term::Term`, because the wire can carry
//! things `Term` cannot hold: improper lists (`[alias | Ref]`, the tag of every
//! `gen:call` since OTP 24), integers beyond `i64`, bitstrings, ports, references of up
//! to five words, and pids/references that name their node by atom rather than by a
//! node-local index. Decoding is therefore lossless, and the mapping to and from
//! `Term` (with its node table) is a separate step, [`crate::convert`], where what does
//! not fit becomes an error instead of being silently changed.
//!
//! Shapes are canonical, so two equal Erlang terms decode to equal `Eterm`s:
//! - every integer that fits `i64` is [`Eterm::Int`], whatever tag carried it;
//! - `[]` is `List(vec![])`, `STRING_EXT` becomes a `List` of `Int`s;
//! - an [`Eterm::ImproperList`] has at least one element and a tail that is not a list
//!   (nested `LIST_EXT` tails are flattened on decode).
//!
//! Nesting depth is bounded by the decoder ([`crate::etf::MAX_DEPTH`]), which also
//! bounds the recursion of the derived `Drop`, `Clone`, `PartialEq` and `Debug`.

use cube_term::{Atom, Binary};

/// A term of the External Term Format. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub enum Eterm {
    Atom(Atom),
    Int(i64),
    /// An integer outside `i64`.
    BigInt(BigInt),
    Float(f64),
    Binary(Binary),
    /// A bitstring: `bytes`, of which the last holds only its `bits` (1..=7) high bits.
    BitBinary {
        bytes: Binary,
        bits: u8,
    },
    /// A proper list; `[]` is the empty one.
    List(Vec<Eterm>),
    /// `[items... | tail]`: at least one item, `tail` not a list.
    ImproperList(Vec<Eterm>, Box<Eterm>),
    Tuple(Vec<Eterm>),
    /// Key/value pairs in wire order (erl sends small maps sorted by key).
    Map(Vec<(Eterm, Eterm)>),
    Pid(ExtPid),
    Port(ExtPort),
    Ref(ExtRef),
}

/// An integer too large for `i64`: sign and magnitude.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BigInt {
    pub negative: bool,
    /// Little-endian bytes, no trailing (most significant) zero byte.
    pub magnitude: Vec<u8>,
}

/// A pid as the wire names it: node name and creation, then the node's own numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtPid {
    pub node: Atom,
    pub id: u32,
    pub serial: u32,
    pub creation: u32,
}

/// A port as the wire names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExtPort {
    pub node: Atom,
    pub id: u64,
    pub creation: u32,
}

/// Most words in a reference (`NEWER_REFERENCE_EXT` allows up to 5).
pub const MAX_REF_WORDS: usize = 5;

/// A reference as the wire names it: node, creation and 1..=5 words.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtRef {
    pub node: Atom,
    pub creation: u32,
    pub words: Vec<u32>,
}

impl Eterm {
    /// The atom named `name`.
    pub fn atom(name: &str) -> Eterm {
        Eterm::Atom(Atom::new(name))
    }

    /// A binary holding a copy of `bytes`.
    pub fn binary(bytes: &[u8]) -> Eterm {
        Eterm::Binary(Binary::from(bytes))
    }

    /// A tuple of `items`.
    pub fn tuple(items: impl Into<Vec<Eterm>>) -> Eterm {
        Eterm::Tuple(items.into())
    }

    /// `[]`.
    pub fn nil() -> Eterm {
        Eterm::List(Vec::new())
    }

    /// The atom, if this is one.
    pub fn as_atom(&self) -> Option<Atom> {
        match self {
            Eterm::Atom(a) => Some(*a),
            _ => None,
        }
    }

    /// Whether this is the atom named `name`.
    pub fn is_atom(&self, name: &str) -> bool {
        matches!(self, Eterm::Atom(a) if a.name() == name)
    }

    /// The elements, if this is a tuple.
    pub fn as_tuple(&self) -> Option<&[Eterm]> {
        match self {
            Eterm::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The pid, if this is one.
    pub fn as_pid(&self) -> Option<ExtPid> {
        match self {
            Eterm::Pid(p) => Some(*p),
            _ => None,
        }
    }
}

impl BigInt {
    /// The big integer for `i128` (any value; used by tests and by the `i64` overflow path).
    pub fn from_i128(v: i128) -> BigInt {
        let negative = v < 0;
        let mut magnitude = v.unsigned_abs().to_le_bytes().to_vec();
        while magnitude.last() == Some(&0) {
            magnitude.pop();
        }
        BigInt {
            negative,
            magnitude,
        }
    }
}
