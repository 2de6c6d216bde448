//! `~p` of `io:format` for terms too wide for the line: Erlang's layout, as far as
//! it is reproduced here. A term that fits in what is left of the line (80 columns)
//! prints on one line ([`crate::eprint::erlang`]). Otherwise a list, tuple or map
//! breaks over lines, its elements indented under the first one. Simple elements (numbers, atoms, strings, binaries, empty lists, tuples
//! and maps) fill each line while they fit and while the element before was simple;
//! a compound element, and any element after one, starts a new line. A tuple whose
//! first element is an atom keeps that tag on the opening line and indents the rest
//! after it (`{tag,elem,\n     elem}`); a map puts each `key => value` on its own
//! line, the value on the next line (four past the key) if it does not fit.
//!
//! The layout recurses per level of nesting, up to [`MAX_NEST`] levels; deeper parts
//! print on one line.

use crate::eprint::{erlang, printable, string_codes};
use crate::term::Term;

/// The line length Erlang's `~p` uses.
const LINE: usize = 80;

/// The deepest nesting laid out over lines.
pub const MAX_NEST: usize = 100;

/// `t` as `~p` prints it starting at column `col`.
pub fn pretty(t: &Term, col: usize) -> String {
    pp(t, col, 0, 0)
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Whether `t` lays out as a unit (it is not a list, tuple or map with parts).
fn simple(t: &Term) -> bool {
    match t {
        Term::Cons(_) => string_codes(t).is_some_and(|c| printable(&c)),
        Term::Tuple(x) => x.0.is_empty(),
        Term::Map(m) => m.is_empty(),
        _ => true,
    }
}

/// `t` at column `col`, with `trailing` characters to follow it on its last line.
fn pp(t: &Term, col: usize, trailing: usize, nest: usize) -> String {
    let flat = erlang(t, true);
    if simple(t) || nest >= MAX_NEST || col + width(&flat) + trailing < LINE {
        return flat;
    }
    match t {
        Term::Cons(_) => {
            let (items, tail) = t.list_parts();
            let mut parts: Vec<(String, Term)> =
                items.into_iter().map(|x| (String::new(), x)).collect();
            if !matches!(tail, Term::Nil) {
                parts.push(("|".to_string(), tail));
            }
            format!("[{}", seq(&parts, col + 1, "]", trailing, nest))
        }
        Term::Tuple(x) => {
            let items = &x.0;
            if let (Some(Term::Atom(_)), true) = (items.first(), items.len() > 1) {
                let tag = erlang(&items[0], true);
                let indent = col + 1 + width(&tag) + 1;
                let parts: Vec<(String, Term)> = items[1..]
                    .iter()
                    .map(|x| (String::new(), x.clone()))
                    .collect();
                return format!("{{{tag},{}", seq(&parts, indent, "}", trailing, nest));
            }
            let parts: Vec<(String, Term)> =
                items.iter().map(|x| (String::new(), x.clone())).collect();
            format!("{{{}", seq(&parts, col + 1, "}", trailing, nest))
        }
        Term::Map(m) => {
            let indent = col + 2;
            let mut out = String::from("#{");
            for (i, (k, v)) in m.iter().enumerate() {
                let last = i + 1 == m.len();
                if i > 0 {
                    out.push_str(",\n");
                    out.push_str(&" ".repeat(indent));
                }
                let key = erlang(k, true);
                let tr = if last { 1 + trailing } else { 1 };
                let value = erlang(v, true);
                if indent + width(&key) + 4 + width(&value) + tr < LINE {
                    out.push_str(&format!("{key} => {value}"));
                } else {
                    // The value on its own line, indented four past the key.
                    out.push_str(&format!("{key} =>\n{}", " ".repeat(indent + 4)));
                    out.push_str(&pp(v, indent + 4, tr, nest + 1));
                }
            }
            out.push('}');
            out
        }
        _ => flat,
    }
}

/// The elements of a list or tuple from column `indent`, then `close`. An element
/// marked `|` (an improper tail) follows a `|` instead of a comma.
fn seq(
    parts: &[(String, Term)],
    indent: usize,
    close: &str,
    trailing: usize,
    nest: usize,
) -> String {
    let mut out = String::new();
    let mut col = indent;
    let mut prev_simple = true;
    for (i, (_, e)) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let tr = if last { close.len() + trailing } else { 1 };
        let flat = erlang(e, true);
        let same_line = i == 0 || (simple(e) && prev_simple && col + width(&flat) + tr < LINE - 1);
        if !same_line {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
        }
        let s = if simple(e) {
            flat
        } else {
            pp(e, col, tr, nest + 1)
        };
        match s.rfind('\n') {
            Some(nl) => col = width(&s[nl + 1..]),
            None => col += width(&s),
        }
        prev_simple = simple(e);
        out.push_str(&s);
        if let Some((next_prefix, _)) = parts.get(i + 1) {
            out.push(if next_prefix == "|" { '|' } else { ',' });
            col += 1;
        }
    }
    out.push_str(close);
    out
}
