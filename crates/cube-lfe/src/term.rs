//! The data of running LFE code: Erlang's term model.
//!
//! A [`Term`] is cheap to clone (compound values are shared through `Rc`): an LFE
//! process owns its terms, and values that cross to another process are copied into
//! that process's terms (that layer comes with the scheduler). Dropping a term never
//! recurses on the Rust stack per level of nesting: a million-element list or a
//! million-deep nest of tuples or closures is taken apart with an explicit work list
//! (see `Garbage`).

use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::ToPrimitive;

use crate::atom::Atom;
pub use crate::binview::Binary;
use crate::closure::Fun;
use crate::sexpr::Bits;

/// An Erlang term.
#[derive(Clone, Default)]
pub enum Term {
    /// An integer that fits in 64 bits.
    Int(i64),
    /// An integer that does not fit in 64 bits (never one that does).
    Big(Rc<BigInt>),
    Float(f64),
    Atom(Atom),
    /// The empty list `()`, Erlang's `[]`.
    #[default]
    Nil,
    Cons(Rc<Cons>),
    Tuple(Rc<Tuple>),
    /// A binary or bitstring: bytes of its own or a view into another's
    /// (`binview.rs`).
    Bin(Rc<Binary>),
    Map(Rc<Map>),
    Fun(Rc<Fun>),
    /// A process identifier (of a cube process, Lua's or LFE's, or another node's).
    /// Behind an `Rc`, as the references: inline, their 16 bytes would make every
    /// term 24 bytes instead of 16.
    Pid(Rc<cube_term::Pid>),
    /// A reference (`make_ref`, monitors).
    Ref(Rc<cube_term::Reference>),
}

/// A cons cell: `(head . tail)`.
pub struct Cons {
    pub head: Term,
    pub tail: Term,
}

/// A tuple's elements.
pub struct Tuple(pub Vec<Term>);

pub use crate::map::Map;

impl Term {
    pub fn atom(name: &str) -> Term {
        Term::Atom(Atom::new(name))
    }

    pub fn bool(b: bool) -> Term {
        Term::Atom(if b { Atom::TRUE } else { Atom::FALSE })
    }

    /// An integer in its smallest representation.
    pub fn big(n: BigInt) -> Term {
        match n.to_i64() {
            Some(i) => Term::Int(i),
            None => Term::Big(Rc::new(n)),
        }
    }

    pub fn cons(head: Term, tail: Term) -> Term {
        Term::Cons(Rc::new(Cons { head, tail }))
    }

    pub fn tuple(items: Vec<Term>) -> Term {
        Term::Tuple(Rc::new(Tuple(items)))
    }

    /// A proper list of `items`.
    pub fn list(items: Vec<Term>) -> Term {
        Term::list_with_tail(items, Term::Nil)
    }

    /// `items` in front of `tail`.
    pub fn list_with_tail(items: Vec<Term>, tail: Term) -> Term {
        items
            .into_iter()
            .rev()
            .fold(tail, |acc, item| Term::cons(item, acc))
    }

    /// A string as Erlang holds it: a list of character codes.
    pub fn string(s: &str) -> Term {
        Term::list(s.chars().map(|c| Term::Int(c as i64)).collect())
    }

    pub fn binary(bytes: Vec<u8>) -> Term {
        Term::bitstring(Bits::from_bytes(bytes))
    }

    /// A bitstring that owns `bits`.
    pub fn bitstring(bits: Bits) -> Term {
        Term::Bin(Rc::new(Binary::Own(bits)))
    }

    /// The atom, if this is one.
    pub fn as_atom(&self) -> Option<Atom> {
        match self {
            Term::Atom(a) => Some(*a),
            _ => None,
        }
    }

    pub fn is_atom_named(&self, name: &str) -> bool {
        matches!(self, Term::Atom(a) if a.name() == name)
    }

    /// `Some(b)` for the atoms `true` and `false`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Term::Atom(Atom::TRUE) => Some(true),
            Term::Atom(Atom::FALSE) => Some(false),
            _ => None,
        }
    }

    /// The elements of a proper list; `None` for anything else.
    pub fn list_to_vec(&self) -> Option<Vec<Term>> {
        let mut out = Vec::new();
        let mut t = self;
        loop {
            match t {
                Term::Nil => return Some(out),
                Term::Cons(c) => {
                    out.push(c.head.clone());
                    t = &c.tail;
                }
                _ => return None,
            }
        }
    }

    /// The elements of a list and its tail (`Nil` for a proper list).
    pub fn list_parts(&self) -> (Vec<Term>, Term) {
        let mut out = Vec::new();
        let mut t = self;
        while let Term::Cons(c) = t {
            out.push(c.head.clone());
            t = &c.tail;
        }
        (out, t.clone())
    }

    /// The characters of a list of character codes (or `None`).
    pub fn as_string(&self) -> Option<String> {
        let items = self.list_to_vec()?;
        items
            .iter()
            .map(|t| match t {
                Term::Int(i) => u32::try_from(*i).ok().and_then(char::from_u32),
                _ => None,
            })
            .collect()
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Term::Int(_) | Term::Big(_) | Term::Float(_))
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, Term::Int(_) | Term::Big(_))
    }
}

/// Something whose drop may free a long chain of terms or environments; such things
/// are taken apart on a work list instead of by recursive drops.
pub(crate) enum Garbage {
    Term(Term),
    Env(Rc<crate::closure::VarNode>),
    Funs(Rc<crate::closure::FunNode>),
}

impl Garbage {
    /// Drops everything in `stack`, moving out the children of each uniquely owned
    /// node before the node itself is freed, so no drop recurses more than one level.
    pub(crate) fn collect(mut stack: Vec<Garbage>) {
        while let Some(g) = stack.pop() {
            match g {
                Garbage::Term(t) => match t {
                    Term::Cons(rc) => {
                        if let Ok(mut c) = Rc::try_unwrap(rc) {
                            push_term(&mut stack, std::mem::take(&mut c.head));
                            push_term(&mut stack, std::mem::take(&mut c.tail));
                        }
                    }
                    Term::Tuple(rc) => {
                        if let Ok(mut t) = Rc::try_unwrap(rc) {
                            for x in t.0.drain(..) {
                                push_term(&mut stack, x);
                            }
                        }
                    }
                    Term::Map(rc) => {
                        if let Ok(mut m) = Rc::try_unwrap(rc) {
                            m.take_children(&mut stack);
                        }
                    }
                    Term::Fun(rc) => {
                        if let Ok(mut f) = Rc::try_unwrap(rc) {
                            f.take_children(&mut stack);
                        }
                    }
                    _ => {}
                },
                Garbage::Env(rc) => {
                    if let Ok(mut n) = Rc::try_unwrap(rc) {
                        n.take_children(&mut stack);
                    }
                }
                Garbage::Funs(rc) => {
                    if let Ok(mut n) = Rc::try_unwrap(rc) {
                        n.take_children(&mut stack);
                    }
                }
            }
        }
    }
}

/// Queues `t` for [`Garbage::collect`] if dropping it could recurse (it is the last
/// reference to a compound value); anything else is dropped here, cheaply.
pub(crate) fn push_term(stack: &mut Vec<Garbage>, t: Term) {
    if unique_compound(&t) {
        stack.push(Garbage::Term(t));
    }
}

/// Whether `t` is the last reference to a compound value.
pub(crate) fn unique_compound(t: &Term) -> bool {
    match t {
        Term::Cons(r) => Rc::strong_count(r) == 1,
        Term::Tuple(r) => Rc::strong_count(r) == 1,
        Term::Map(r) => Rc::strong_count(r) == 1,
        Term::Fun(r) => Rc::strong_count(r) == 1,
        _ => false,
    }
}

impl Drop for Cons {
    fn drop(&mut self) {
        if !unique_compound(&self.head) && !unique_compound(&self.tail) {
            return;
        }
        let mut stack = Vec::new();
        push_term(&mut stack, std::mem::take(&mut self.head));
        // The spine of a list is walked here, so freeing a list of numbers or
        // atoms allocates no work list; only compound elements go on it.
        let mut tail = std::mem::take(&mut self.tail);
        loop {
            match tail {
                Term::Cons(rc) => match Rc::try_unwrap(rc) {
                    Ok(mut c) => {
                        push_term(&mut stack, std::mem::take(&mut c.head));
                        tail = std::mem::take(&mut c.tail);
                    }
                    Err(_) => break,
                },
                other => {
                    push_term(&mut stack, other);
                    break;
                }
            }
        }
        if !stack.is_empty() {
            Garbage::collect(stack);
        }
    }
}

impl Drop for Tuple {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let mut stack = Vec::new();
        for x in self.0.drain(..) {
            push_term(&mut stack, x);
        }
        Garbage::collect(stack);
    }
}
