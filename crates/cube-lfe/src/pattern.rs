//! Pattern matching. Recursion follows the pattern (bounded by the compiler's
//! nesting limit), never the depth of the value.

use crate::atom::Atom;
use crate::binary::match_segment;
use crate::ir::Pat;
use crate::order::{cmp_exact, exact_equal};
use crate::term::Term;

/// Matches `v` against `p`, adding new bindings to `binds`. A variable already bound
/// by this match must be `=:=` to the value (LFE's patterns shadow outer variables,
/// so only bindings of the same match count).
pub fn match_pat(p: &Pat, v: &Term, binds: &mut Vec<(Atom, Term)>) -> bool {
    match p {
        Pat::Any => true,
        Pat::Var(name) => {
            if let Some((_, old)) = binds.iter().find(|(n, _)| n == name) {
                return exact_equal(old, v);
            }
            binds.push((*name, v.clone()));
            true
        }
        Pat::Lit(t) => exact_equal(t, v),
        Pat::Cons(h, t) => match v {
            Term::Cons(c) => match_pat(h, &c.head, binds) && match_pat(t, &c.tail, binds),
            _ => false,
        },
        Pat::Tuple(ps) => match v {
            Term::Tuple(t) => {
                t.0.len() == ps.len()
                    && ps
                        .iter()
                        .zip(t.0.iter())
                        .all(|(p, x)| match_pat(p, x, binds))
            }
            _ => false,
        },
        Pat::Map(pairs) => {
            match v {
                Term::Map(m) => pairs.iter().all(|(k, p)| {
                    match m.0.binary_search_by(|(mk, _)| cmp_exact(mk, k)) {
                        Ok(i) => match_pat(p, &m.0[i].1, binds),
                        Err(_) => false,
                    }
                }),
                _ => false,
            }
        }
        Pat::Alias(a, b) => match_pat(a, v, binds) && match_pat(b, v, binds),
        Pat::Binary(segs) => match v {
            Term::Bin(bits) => {
                let mut pos = 0u64;
                for (i, (p, spec)) in segs.iter().enumerate() {
                    let last = i + 1 == segs.len();
                    match match_segment(bits, pos, spec, last) {
                        Some((val, next)) => {
                            if !match_pat(p, &val, binds) {
                                return false;
                            }
                            pos = next;
                        }
                        None => return false,
                    }
                }
                pos == bits.bits
            }
            _ => false,
        },
    }
}
