//! LFE terms <-> [`cube_term::Term`], the messages between processes (DESIGN.md,
//! "Erlang terms at the Lua boundary").
//!
//! Out of LFE, terms copy as they are except what a `cube_term::Term` cannot hold:
//! integers beyond 64 bits, improper lists, bitstrings that are not whole bytes and
//! funs are `badarg` in the sender, as Erlang's `term_to_binary` would not lose them
//! silently either. Into LFE, a Lua table (a [`TableGraph`]) becomes what the table
//! of DESIGN.md says: a tuple- or list-marked table its array part as a tuple or a
//! list, an unmarked table with keys exactly `1..n` (or none) a list, any other a
//! map. Nesting deeper than [`MAX_DEPTH`] (cycles of Lua tables included) is cut: the
//! part beyond is the atom `'...'`.

use std::rc::Rc;

use cube_term::{TableGraph, TableKind, Term as Msg};

use crate::atom::Atom;
use crate::exception::{Exception, Result};
use crate::term::Term;

/// The deepest nesting converted (the conversion recurses once per level).
pub const MAX_DEPTH: usize = 1000;

/// An LFE term as a message.
pub fn to_msg(t: &Term) -> Result<Msg> {
    // The message leaves this world (another process frees it): not charged to its
    // heap (`process::World`).
    cube_vm::alloc_account::uncharged(|| to_msg_at(t, 0))
}

fn to_msg_at(t: &Term, depth: usize) -> Result<Msg> {
    if depth > MAX_DEPTH {
        return Err(Exception::error(Term::atom("system_limit")));
    }
    Ok(match t {
        Term::Int(i) => Msg::Int(*i),
        Term::Float(f) => Msg::Float(*f),
        Term::Atom(a) => Msg::Atom(
            cube_term::Atom::try_new(a.name())
                .ok_or_else(|| Exception::error(Term::atom("system_limit")))?,
        ),
        Term::Nil => Msg::List(Vec::new().into()),
        Term::Cons(_) => {
            let items = t.list_to_vec().ok_or_else(Exception::badarg)?;
            let items = items
                .iter()
                .map(|x| to_msg_at(x, depth + 1))
                .collect::<Result<Vec<_>>>()?;
            Msg::List(items.into())
        }
        Term::Tuple(items) => Msg::Tuple(
            items
                .0
                .iter()
                .map(|x| to_msg_at(x, depth + 1))
                .collect::<Result<Vec<_>>>()?
                .into(),
        ),
        Term::Map(m) => Msg::Map(
            m.iter()
                .map(|(k, v)| Ok((to_msg_at(k, depth + 1)?, to_msg_at(v, depth + 1)?)))
                .collect::<Result<Vec<_>>>()?
                .into(),
        ),
        Term::Bin(b) if b.is_binary() => Msg::binary(&b.bytes()),
        Term::Pid(p) => Msg::Pid(**p),
        Term::Ref(r) => Msg::Ref(**r),
        Term::Big(_) | Term::Bin(_) | Term::Fun(_) => return Err(Exception::badarg()),
    })
}

/// A message as an LFE term.
pub fn from_msg(m: &Msg) -> Term {
    from_msg_at(m, None, 0)
}

fn atom(a: cube_term::Atom) -> Term {
    Term::Atom(Atom::new(a.name()))
}

fn from_msg_at(m: &Msg, graph: Option<&TableGraph>, depth: usize) -> Term {
    if depth > MAX_DEPTH {
        return Term::atom("...");
    }
    let all = |items: &[Msg]| -> Vec<Term> {
        items
            .iter()
            .map(|x| from_msg_at(x, graph, depth + 1))
            .collect()
    };
    match m {
        Msg::Atom(a) => atom(*a),
        Msg::Int(i) => Term::Int(*i),
        Msg::Float(f) => Term::Float(*f),
        Msg::Binary(b) => Term::binary(b.to_vec()),
        Msg::List(items) => Term::list(all(items)),
        Msg::Tuple(items) => Term::tuple(all(items)),
        Msg::Map(pairs) => crate::convert::make_map(
            pairs
                .iter()
                .map(|(k, v)| {
                    (
                        from_msg_at(k, graph, depth + 1),
                        from_msg_at(v, graph, depth + 1),
                    )
                })
                .collect(),
        ),
        Msg::Pid(p) => Term::Pid(Rc::new(*p)),
        Msg::Ref(r) => Term::Ref(Rc::new(*r)),
        Msg::Tables(g) => table(g, 0, depth),
        Msg::TableRef(i) => match graph {
            Some(g) => table(g, *i, depth),
            None => Term::atom("..."),
        },
        // A value only its library can make (a tensor): LFE sees its type's name.
        Msg::Foreign(f) => Term::atom(f.value().type_name()),
    }
}

/// Table `i` of a Lua message, as DESIGN.md's table says.
fn table(g: &TableGraph, i: u32, depth: usize) -> Term {
    let Some(t) = g.tables.get(i as usize) else {
        return Term::atom("...");
    };
    let items = || -> Vec<Term> {
        t.array
            .iter()
            .map(|x| from_msg_at(x, Some(g), depth + 1))
            .collect()
    };
    match g.mark(i) {
        Some(TableKind::Tuple) => Term::tuple(items()),
        Some(TableKind::List) => Term::list(items()),
        None if t.hash.is_empty() => Term::list(items()),
        None => {
            let mut pairs: Vec<(Term, Term)> = t
                .array
                .iter()
                .enumerate()
                .map(|(k, v)| (Term::Int(k as i64 + 1), from_msg_at(v, Some(g), depth + 1)))
                .collect();
            pairs.extend(t.hash.iter().map(|(k, v)| {
                (
                    from_msg_at(k, Some(g), depth + 1),
                    from_msg_at(v, Some(g), depth + 1),
                )
            }));
            crate::convert::make_map(pairs)
        }
    }
}
