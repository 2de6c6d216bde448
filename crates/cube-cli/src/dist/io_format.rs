//! `io:format` for code that a call of this node runs on an Erlang node: that code's
//! group leader is this node, so its output comes here as a request to run
//! `io_lib:format(Format, Args)` on the terms as they came. cube-lfe's formatter is
//! Erlang's (its goldens come from `erl`), so the terms are read into LFE terms and
//! formatted with it: what the caller sees is what erl's own console would print.

use cube_dist::{Eterm, IoFormatter, NodeTable};
use cube_lfe::bif::io::{format, Syntax};
use cube_lfe::term::Term;
use std::rc::Rc;

/// Most characters of padding a format may ask for in all (each field's own width is
/// capped at 2^20 by the formatter; `*` counts as that cap).
const MAX_PADDING: u64 = 16 << 20;

/// The formatter cube-dist calls for these requests.
pub fn formatter() -> IoFormatter {
    Box::new(|table, fmt, args| {
        let fmt = format_text(fmt)?;
        if padding_asked(&fmt) > MAX_PADDING {
            return None;
        }
        let Eterm::List(args) = args else { return None };
        let args = args
            .iter()
            .map(|a| lfe_term(table, a))
            .collect::<Option<Vec<_>>>()?;
        format(&fmt, &args, Syntax::Erlang).ok()
    })
}

/// The format as text: a string (list of character codes), a binary or an atom, as
/// `io_lib:format` takes it.
fn format_text(t: &Eterm) -> Option<String> {
    match t {
        Eterm::Atom(a) => Some(a.name().to_owned()),
        Eterm::Binary(b) => String::from_utf8(b.to_vec()).ok(),
        Eterm::List(codes) => codes
            .iter()
            .map(|c| match c {
                Eterm::Int(c) => u32::try_from(*c).ok().and_then(char::from_u32),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The sum of the field widths and precisions `fmt` writes out.
fn padding_asked(fmt: &str) -> u64 {
    let mut total = 0u64;
    let mut it = fmt.chars().peekable();
    while let Some(c) = it.next() {
        if c != '~' {
            continue;
        }
        while let Some(&c) = it.peek() {
            match c {
                '0'..='9' => {
                    let mut n = 0u64;
                    while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                        it.next();
                        n = n.saturating_mul(10).saturating_add(u64::from(d));
                    }
                    total = total.saturating_add(n.min(1 << 20));
                }
                '*' => {
                    it.next();
                    total = total.saturating_add(1 << 20);
                }
                '-' | '.' => {
                    it.next();
                }
                _ => break,
            }
        }
        it.next();
    }
    total
}

/// An LFE term for a wire term; `None` for what LFE has no form of here (a port, a
/// reference the node table refuses). Recursion is bounded by the decoder's depth
/// limit (`etf::MAX_DEPTH`).
fn lfe_term(table: &NodeTable, t: &Eterm) -> Option<Term> {
    let all = |items: &[Eterm]| -> Option<Vec<Term>> {
        items.iter().map(|i| lfe_term(table, i)).collect()
    };
    Some(match t {
        Eterm::Atom(a) => Term::atom(a.name()),
        Eterm::Int(i) => Term::Int(*i),
        Eterm::BigInt(b) => {
            let sign = if b.negative {
                num_bigint::Sign::Minus
            } else {
                num_bigint::Sign::Plus
            };
            Term::big(num_bigint::BigInt::from_bytes_le(sign, &b.magnitude))
        }
        Eterm::Float(f) => Term::Float(*f),
        Eterm::Binary(b) => Term::binary(b.to_vec()),
        Eterm::BitBinary { bytes, bits } => {
            let total = (bytes.len() as u64 - 1) * 8 + u64::from(*bits);
            Term::bitstring(cube_lfe::Bits {
                bytes: bytes.to_vec(),
                bits: total,
            })
        }
        Eterm::List(items) => Term::list(all(items)?),
        Eterm::ImproperList(items, tail) => {
            Term::list_with_tail(all(items)?, lfe_term(table, tail)?)
        }
        Eterm::Tuple(items) => Term::tuple(all(items)?),
        Eterm::Map(pairs) => cube_lfe::convert::make_map(
            pairs
                .iter()
                .map(|(k, v)| Some((lfe_term(table, k)?, lfe_term(table, v)?)))
                .collect::<Option<_>>()?,
        ),
        Eterm::Pid(p) => Term::Pid(Rc::new(table.pid_from_wire(*p))),
        Eterm::Ref(r) => Term::Ref(Rc::new(table.ref_from_wire(r).ok()?)),
        Eterm::Port(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_counts_widths_precisions_and_stars() {
        assert_eq!(padding_asked("~p ~s~n"), 0);
        assert_eq!(padding_asked("~10.3f|~-5w"), 18);
        assert_eq!(padding_asked("~*c"), 1 << 20);
        assert_eq!(padding_asked("~99999999999999999999c"), 1 << 20);
        assert_eq!(padding_asked("~~10"), 0);
    }
}
