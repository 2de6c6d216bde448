//! Conversions between source data ([`Sexpr`]) and running data ([`Term`]), both
//! without recursion on the Rust stack: quoted literals become terms, and a macro's
//! result (a term) becomes source again.

use std::rc::Rc;

use crate::order::cmp_exact;
use crate::sexpr::{Bits, Sexpr};
use crate::term::{Map, Term};

/// The term a source datum denotes (what `(quote s)` evaluates to).
pub fn sexpr_to_term(s: &Sexpr) -> Term {
    // Post-order: `Visit` pushes the children, `Build` assembles from `done`.
    enum Work<'a> {
        Visit(&'a Sexpr),
        Build(&'a Sexpr),
    }
    let mut work = vec![Work::Visit(s)];
    let mut done: Vec<Term> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            Work::Visit(s) => match s {
                Sexpr::Atom(a) => done.push(Term::atom(a)),
                Sexpr::Int(i) => done.push(Term::Int(*i)),
                Sexpr::BigInt(b) => done.push(Term::big((**b).clone())),
                Sexpr::Float(f) => done.push(Term::Float(*f)),
                Sexpr::Bits(b) => done.push(Term::bitstring(Bits {
                    bytes: b.bytes.clone(),
                    bits: b.bits,
                })),
                _ => {
                    work.push(Work::Build(s));
                    for c in s.children().into_iter().rev() {
                        work.push(Work::Visit(c));
                    }
                }
            },
            Work::Build(s) => {
                let n = s.children().len();
                let items = done.split_off(done.len() - n);
                done.push(match s {
                    Sexpr::List(_) => Term::list(items),
                    Sexpr::Dotted(..) => {
                        let mut items = items;
                        let tail = items.pop().unwrap_or_default();
                        Term::list_with_tail(items, tail)
                    }
                    Sexpr::Tuple(_) => Term::tuple(items),
                    _ => {
                        let mut pairs = Vec::with_capacity(n / 2);
                        let mut it = items.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            pairs.push((k, v));
                        }
                        make_map(pairs)
                    }
                });
            }
        }
    }
    done.pop().unwrap_or_default()
}

/// A map from pairs; a later duplicate key wins.
pub fn make_map(pairs: Vec<(Term, Term)>) -> Term {
    let mut pairs: Vec<(usize, (Term, Term))> = pairs.into_iter().enumerate().collect();
    pairs.sort_by(|a, b| cmp_exact(&a.1 .0, &b.1 .0).then(b.0.cmp(&a.0)));
    let mut out: Vec<(Term, Term)> = Vec::with_capacity(pairs.len());
    for (_, kv) in pairs {
        match out.last() {
            Some(last) if cmp_exact(&last.0, &kv.0).is_eq() => {}
            _ => out.push(kv),
        }
    }
    Term::Map(Rc::new(Map::from_sorted(out)))
}

/// The source datum of a term; `None` if it holds a fun (which has no source form).
pub fn term_to_sexpr(t: &Term) -> Option<Sexpr> {
    enum Work<'a> {
        Visit(&'a Term),
        /// A list of `n` elements, then a tail.
        List(usize),
        Tuple(usize),
        Map(usize),
    }
    let mut work = vec![Work::Visit(t)];
    let mut done: Vec<Sexpr> = Vec::new();
    while let Some(w) = work.pop() {
        match w {
            Work::Visit(t) => match t {
                Term::Int(i) => done.push(Sexpr::Int(*i)),
                Term::Big(b) => done.push(Sexpr::int((**b).clone())),
                Term::Float(f) => done.push(Sexpr::Float(*f)),
                Term::Atom(a) => done.push(Sexpr::atom(a.name())),
                Term::Nil => done.push(Sexpr::List(Vec::new())),
                Term::Bin(b) => done.push(Sexpr::Bits(b.to_bits())),
                // No source form: a term holding one prints in Erlang's syntax.
                Term::Fun(_) | Term::Pid(_) | Term::Ref(_) => return None,
                Term::Cons(_) => {
                    // Heads and the tail, borrowed from `t` (no clones).
                    let mut refs: Vec<&Term> = Vec::new();
                    let mut cur = t;
                    while let Term::Cons(c) = cur {
                        refs.push(&c.head);
                        cur = &c.tail;
                    }
                    work.push(Work::List(refs.len()));
                    work.push(Work::Visit(cur));
                    for x in refs.into_iter().rev() {
                        work.push(Work::Visit(x));
                    }
                }
                Term::Tuple(x) => {
                    work.push(Work::Tuple(x.0.len()));
                    for c in x.0.iter().rev() {
                        work.push(Work::Visit(c));
                    }
                }
                Term::Map(m) => {
                    work.push(Work::Map(m.len()));
                    for (k, v) in m.iter().rev() {
                        work.push(Work::Visit(v));
                        work.push(Work::Visit(k));
                    }
                }
            },
            Work::List(n) => {
                let mut items = done.split_off(done.len() - n - 1);
                let tail = items.pop().unwrap_or(Sexpr::List(Vec::new()));
                done.push(Sexpr::dotted(items, tail));
            }
            Work::Tuple(n) => {
                let items = done.split_off(done.len() - n);
                done.push(Sexpr::Tuple(items));
            }
            Work::Map(n) => {
                let items = done.split_off(done.len() - 2 * n);
                let mut pairs = Vec::with_capacity(n);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                done.push(Sexpr::map(pairs));
            }
        }
    }
    done.pop()
}
