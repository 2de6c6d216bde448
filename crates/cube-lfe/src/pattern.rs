//! Pattern matching. Recursion follows the pattern (bounded by the compiler's
//! nesting limit), never the depth of the value.

use crate::atom::Atom;
use crate::binary::{match_segment, with_size};
use crate::closure::Scope;
use crate::ir::{Pat, SizeFrom};
use crate::order::exact_equal;
use crate::term::Term;

/// Matches `v` against `p`, adding new bindings to `binds`. A variable already bound
/// by this match must be `=:=` to the value (LFE's patterns shadow outer variables,
/// so only bindings of the same match count).
pub fn match_pat(p: &Pat, v: &Term, binds: &mut Vec<(Atom, Term)>, scope: &Scope) -> bool {
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
            Term::Cons(c) => {
                match_pat(h, &c.head, binds, scope) && match_pat(t, &c.tail, binds, scope)
            }
            _ => false,
        },
        Pat::Tuple(ps) => match v {
            Term::Tuple(t) => {
                t.0.len() == ps.len()
                    && ps
                        .iter()
                        .zip(t.0.iter())
                        .all(|(p, x)| match_pat(p, x, binds, scope))
            }
            _ => false,
        },
        Pat::Map(pairs) => match v {
            Term::Map(m) => pairs.iter().all(|(k, p)| match m.get(k) {
                Some(x) => match_pat(p, x, binds, scope),
                None => false,
            }),
            _ => false,
        },
        Pat::Alias(a, b) => match_pat(a, v, binds, scope) && match_pat(b, v, binds, scope),
        Pat::Binary(segs) => match v {
            Term::Bin(bits) => {
                let mut pos = 0u64;
                for (i, (p, spec)) in segs.iter().enumerate() {
                    let last = i + 1 == segs.len();
                    // A size variable: bound earlier in this pattern, or in scope.
                    let spec = match spec.size_from {
                        SizeFrom::Var(name) => {
                            let size = binds
                                .iter()
                                .find(|(n, _)| *n == name)
                                .map(|(_, t)| t)
                                .or_else(|| scope.var(name));
                            match size.and_then(|t| with_size(spec, t)) {
                                Some(s) => s,
                                None => return false,
                            }
                        }
                        _ => *spec,
                    };
                    match match_segment(bits, pos, &spec, last) {
                        Some((val, next)) => {
                            if !match_pat(p, &val, binds, scope) {
                                return false;
                            }
                            pos = next;
                        }
                        None => return false,
                    }
                }
                pos == bits.bits()
            }
            _ => false,
        },
    }
}
