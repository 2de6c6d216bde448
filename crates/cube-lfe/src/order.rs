//! Erlang's term order and its two equalities, without recursion on the Rust stack.
//!
//! `number < atom < reference < fun < port < pid < tuple < map < nil < list <
//! bitstring`. Numbers compare by value (`1 == 1.0`, and neither is less); the exact
//! order used by `=:=` and by map keys puts an integer before an equal float. Tuples
//! compare by size, then element by element; maps by size, then keys in order, then
//! values in key order; lists element by element; atoms by name; bitstrings byte by
//! byte. Funs compare by identity (Erlang orders them by internal details).

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive};

use crate::term::Term;

/// Term order (`<`, `==`, `lists:sort`): `1` and `1.0` are equal.
pub fn cmp(a: &Term, b: &Term) -> Ordering {
    compare(a, b, false)
}

/// Exact order: as [`cmp`] but an integer sorts before an equal float, so `Equal`
/// means `=:=`. This is also map key order.
pub fn cmp_exact(a: &Term, b: &Term) -> Ordering {
    compare(a, b, true)
}

/// `==`.
pub fn equal(a: &Term, b: &Term) -> bool {
    cmp(a, b) == Ordering::Equal
}

/// `=:=`.
pub fn exact_equal(a: &Term, b: &Term) -> bool {
    cmp_exact(a, b) == Ordering::Equal
}

fn rank(t: &Term) -> u8 {
    match t {
        Term::Int(_) | Term::Big(_) | Term::Float(_) => 0,
        Term::Atom(_) => 1,
        Term::Ref(_) => 2,
        Term::Fun(_) => 3,
        Term::Pid(_) => 5,
        Term::Tuple(_) => 6,
        Term::Map(_) => 7,
        Term::Nil => 8,
        Term::Cons(_) => 9,
        Term::Bin(_) => 10,
    }
}

/// Compares two numbers by value.
pub fn cmp_numbers(a: &Term, b: &Term) -> Ordering {
    match (a, b) {
        (Term::Int(x), Term::Int(y)) => x.cmp(y),
        (Term::Float(x), Term::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Term::Float(x), _) => cmp_float_int(*x, &to_big(b)),
        (_, Term::Float(y)) => cmp_float_int(*y, &to_big(a)).reverse(),
        _ => to_big(a).cmp(&to_big(b)),
    }
}

fn to_big(t: &Term) -> BigInt {
    match t {
        Term::Int(i) => BigInt::from(*i),
        Term::Big(b) => (**b).clone(),
        _ => BigInt::from(0),
    }
}

/// A float against an integer, exactly (no rounding of the integer to a float).
fn cmp_float_int(f: f64, i: &BigInt) -> Ordering {
    let fl = f.floor();
    // Floats are always finite here; a whole float converts exactly.
    let whole = BigInt::from_f64(fl).unwrap_or_default();
    match whole.cmp(i) {
        Ordering::Equal if f > fl => Ordering::Greater,
        o => o,
    }
}

fn compare(a: &Term, b: &Term, exact: bool) -> Ordering {
    // The common cases (arithmetic comparisons, literal patterns, map keys) without
    // the work list, whose allocation cost more than the comparison.
    match (a, b) {
        (Term::Int(x), Term::Int(y)) => return x.cmp(y),
        (Term::Atom(x), Term::Atom(y)) if x == y => return Ordering::Equal,
        _ => {}
    }
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    let mut stack: Vec<(&Term, &Term)> = vec![(a, b)];
    while let Some((a, b)) = stack.pop() {
        let (ra, rb) = (rank(a), rank(b));
        if ra != rb {
            return ra.cmp(&rb);
        }
        let ord = match (a, b) {
            (Term::Atom(x), Term::Atom(y)) => {
                if x == y {
                    Ordering::Equal
                } else {
                    x.name().cmp(y.name())
                }
            }
            (Term::Nil, Term::Nil) => Ordering::Equal,
            (Term::Cons(x), Term::Cons(y)) => {
                stack.push((&x.tail, &y.tail));
                stack.push((&x.head, &y.head));
                Ordering::Equal
            }
            (Term::Tuple(x), Term::Tuple(y)) => match x.0.len().cmp(&y.0.len()) {
                Ordering::Equal => {
                    stack.extend(x.0.iter().zip(y.0.iter()).rev());
                    Ordering::Equal
                }
                o => o,
            },
            (Term::Map(x), Term::Map(y)) => crate::map::Map::ordering_work(x, y, &mut stack),
            (Term::Bin(x), Term::Bin(y)) => x.bytes().cmp(&y.bytes()).then(x.bits().cmp(&y.bits())),
            (Term::Pid(x), Term::Pid(y)) => x.cmp(y),
            (Term::Ref(x), Term::Ref(y)) => x.cmp(y),
            (Term::Fun(x), Term::Fun(y)) => {
                (std::rc::Rc::as_ptr(x) as usize).cmp(&(std::rc::Rc::as_ptr(y) as usize))
            }
            _ => {
                let o = cmp_numbers(a, b);
                if o == Ordering::Equal && exact {
                    let fa = matches!(a, Term::Float(_));
                    let fb = matches!(b, Term::Float(_));
                    fa.cmp(&fb)
                } else {
                    o
                }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// A number as an f64 (for arithmetic mixing integers and floats); `None` when an
/// integer is too large for a float (Erlang's `badarith`).
pub fn to_f64(t: &Term) -> Option<f64> {
    match t {
        Term::Int(i) => Some(*i as f64),
        Term::Big(b) => b.to_f64().filter(|f| f.is_finite()),
        Term::Float(f) => Some(*f),
        _ => None,
    }
}
