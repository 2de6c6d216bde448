//! Printing terms in Erlang's syntax, as `io:format`'s `~w` and `~p` do (`{ok,1}`,
//! `[1,2|3]`, `#{a => 1}`, `<<"abc">>`), and in LFE's syntax, as `lfe_io` does.
//! Iterative: a term nested a million deep prints without deep recursion.
//!
//! These print on one line; `io:format`'s `~p` lays out terms wider than the line
//! with [`crate::epretty`].

use crate::convert::term_to_sexpr;
use crate::term::Term;

/// Erlang's reserved words, which print quoted as atoms.
const RESERVED: &[&str] = &[
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "else", "end", "fun", "if", "let", "maybe", "not", "of", "or",
    "orelse", "receive", "rem", "try", "when", "xor",
];

/// An atom as Erlang writes it: quoted unless it is a plain lower-case name.
pub fn atom(name: &str) -> String {
    let mut chars = name.chars();
    let plain = matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
        && !RESERVED.contains(&name);
    if plain {
        return name.to_string();
    }
    let mut out = String::from("'");
    for c in name.chars() {
        escape_char(c, '\'', &mut out);
    }
    out.push('\'');
    out
}

fn escape_char(c: char, quote: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\u{b}' => out.push_str("\\v"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\u{1b}' => out.push_str("\\e"),
        '\u{7f}' => out.push_str("\\d"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if (c as u32) < 32 => out.push_str(&format!("\\^{}", ((c as u8) + 64) as char)),
        c => out.push(c),
    }
}

/// Whether `~p` shows a list of these codes as a string (Erlang's default,
/// Latin-1 printable range).
pub(crate) fn printable(codes: &[i64]) -> bool {
    !codes.is_empty()
        && codes.iter().all(|&c| {
            (32..=126).contains(&c)
                || (160..=255).contains(&c)
                || [8, 9, 10, 11, 12, 13, 27].contains(&c)
        })
}

pub(crate) fn string_codes(t: &Term) -> Option<Vec<i64>> {
    let items = t.list_to_vec()?;
    items
        .iter()
        .map(|x| match x {
            Term::Int(i) => Some(*i),
            _ => None,
        })
        .collect()
}

fn quoted_string(codes: &[i64], out: &mut String) {
    out.push('"');
    for &c in codes {
        escape_char(char::from_u32(c as u32).unwrap_or('?'), '"', out);
    }
    out.push('"');
}

/// A term in Erlang syntax: `~w` (`pretty` false) or `~p` (`pretty` true: printable
/// lists and binaries as strings).
pub fn erlang(t: &Term, pretty: bool) -> String {
    enum Work<'a> {
        Term(&'a Term),
        Text(&'static str),
    }
    let mut out = String::new();
    let mut work = vec![Work::Term(t)];
    while let Some(w) = work.pop() {
        let t = match w {
            Work::Text(s) => {
                out.push_str(s);
                continue;
            }
            Work::Term(t) => t,
        };
        match t {
            Term::Int(i) => out.push_str(&i.to_string()),
            Term::Big(b) => out.push_str(&b.to_string()),
            Term::Float(f) => out.push_str(&crate::print::float(*f)),
            Term::Atom(a) => out.push_str(&atom(a.name())),
            Term::Nil => out.push_str("[]"),
            Term::Cons(_) => {
                if pretty {
                    if let Some(codes) = string_codes(t).filter(|c| printable(c)) {
                        quoted_string(&codes, &mut out);
                        continue;
                    }
                }
                let mut items: Vec<&Term> = Vec::new();
                let mut cur = t;
                while let Term::Cons(c) = cur {
                    items.push(&c.head);
                    cur = &c.tail;
                }
                out.push('[');
                work.push(Work::Text("]"));
                if !matches!(cur, Term::Nil) {
                    work.push(Work::Term(cur));
                    work.push(Work::Text("|"));
                }
                for (i, x) in items.iter().enumerate().rev() {
                    work.push(Work::Term(x));
                    if i > 0 {
                        work.push(Work::Text(","));
                    }
                }
            }
            Term::Tuple(items) => {
                out.push('{');
                work.push(Work::Text("}"));
                for (i, x) in items.0.iter().enumerate().rev() {
                    work.push(Work::Term(x));
                    if i > 0 {
                        work.push(Work::Text(","));
                    }
                }
            }
            Term::Map(m) => {
                out.push_str("#{");
                work.push(Work::Text("}"));
                for (i, (k, v)) in m.iter().collect::<Vec<_>>().into_iter().enumerate().rev() {
                    work.push(Work::Term(v));
                    work.push(Work::Text(" => "));
                    work.push(Work::Term(k));
                    if i > 0 {
                        work.push(Work::Text(","));
                    }
                }
            }
            Term::Bin(b) => {
                let bits = b.bits();
                let bytes = b.bytes();
                let codes: Vec<i64> = bytes.iter().map(|x| *x as i64).collect();
                if pretty && b.is_binary() && printable(&codes) {
                    out.push_str("<<");
                    quoted_string(&codes, &mut out);
                    out.push_str(">>");
                    continue;
                }
                out.push_str("<<");
                let whole = (bits / 8) as usize;
                let parts: Vec<String> = bytes[..whole]
                    .iter()
                    .map(|x| x.to_string())
                    .chain((bits % 8 != 0).then(|| {
                        let n = bits % 8;
                        format!("{}:{}", bytes[whole] >> (8 - n), n)
                    }))
                    .collect();
                out.push_str(&parts.join(","));
                out.push_str(">>");
            }
            Term::Fun(f) => out.push_str(&format!("#Fun<lfe_eval.{}>", f.arity())),
            Term::Pid(p) => out.push_str(&p.to_string()),
            Term::Ref(r) => out.push_str(&r.to_string()),
        }
    }
    out
}

/// A term in LFE syntax as `lfe_io:prettyprint1(T, Depth, Indentation, LineLength)`
/// prints it (depth -1: all of it).
pub fn lfe_pretty(t: &Term, depth: i64, indent: usize, width: i64) -> String {
    match term_to_sexpr(t) {
        Some(s) => crate::pretty::pretty_with(&s, depth, indent as i64, width),
        None => erlang(t, false),
    }
}

/// A term in LFE syntax: `lfe_io:print1` (`pretty` false) or `lfe_io:prettyprint1`.
/// A fun has no LFE syntax of its own; it prints as `#Fun<lfe_eval.ARITY>`.
pub fn lfe(t: &Term, pretty: bool) -> String {
    match term_to_sexpr(t) {
        Some(s) if pretty => crate::pretty::pretty(&s),
        Some(s) => crate::print::write(&s),
        None => erlang(t, false),
    }
}
