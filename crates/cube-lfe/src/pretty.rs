//! The pretty printer: `lfe_io:prettyprint1/1..4` (`lfe_io_pretty.erl`), which the LFE
//! shell uses to print values (`lfe_io:prettyprint1(Value, 30)`).
//!
//! It follows LFE's algorithm step for step: a list goes on one line if it fits,
//! otherwise one element per line with atoms joined while they fit and the special
//! indentation of `defun`, `let`, `case` and the other forms LFE knows. Parts are
//! first tried on one line ([`crate::print`]'s iterative one-line printer, which stops
//! as soon as a line is too long).
//!
//! The line-breaking part recurses once per level of nesting that does not fit on a
//! line. It stops at [`MAX_NEST`] levels and prints deeper parts on one line: the only
//! place where output can differ from LFE's, and only for values nested that deep.
//! One-line parts longer than 99,999 characters are also never broken (LFE breaks
//! them at that width).

use crate::print::{flat_pretty, quote_form, struct_name, symbol, write_depth};
use crate::sexpr::Sexpr;

/// How many levels of nesting the line-breaking printer descends (see the module
/// documentation). At most about 5 KiB of stack per level in a debug build, less in
/// release: 1 MiB of stack is ample.
pub const MAX_NEST: usize = 100;

/// `lfe_io:prettyprint1(S)`: all depths, indentation 0, lines of 80.
pub fn pretty(s: &Sexpr) -> String {
    pretty_with(s, -1, 0, 80)
}

/// `lfe_io:prettyprint1(S, Depth, Indentation, LineLength)`.
pub fn pretty_with(s: &Sexpr, depth: i64, indent: i64, width: i64) -> String {
    Pp { nest: 0 }.term(s, depth, indent, width)
}

/// How the LFE shell prints a value: `lfe_io:prettyprint1(Value, 30)`.
pub fn shell(s: &Sexpr) -> String {
    pretty_with(s, 30, 0, 80)
}

/// The one-line rendering LFE's pretty printer makes with a line length of 99,999.
fn flat(s: &Sexpr, d: i64) -> String {
    flat_pretty(s, d, usize::MAX).unwrap_or_default()
}

fn len(s: &str) -> i64 {
    s.chars().count() as i64
}

fn blanks(n: i64) -> String {
    " ".repeat(n.max(0) as usize)
}

fn newline(i: i64, s: &str) -> String {
    format!("\n{}{}", blanks(i), s)
}

enum Elem {
    /// An atomic element that fits on the current line, and its length.
    Join(String, i64),
    /// An atomic element that does not fit.
    BreakAtomic(String, i64),
    /// A compound element (always followed by a break).
    Break(String),
}

enum Assoc {
    CurLine(String, i64),
    OneLine(String, i64),
    SepLines(String, String),
}

struct Pp {
    nest: usize,
}

fn is_atomic(e: &Sexpr) -> bool {
    matches!(
        e,
        Sexpr::Int(_) | Sexpr::BigInt(_) | Sexpr::Float(_) | Sexpr::Atom(_)
    ) || matches!(e, Sexpr::List(v) if v.is_empty())
}

fn parts(s: &Sexpr) -> (&[Sexpr], Option<&Sexpr>) {
    match s {
        Sexpr::List(v) | Sexpr::Tuple(v) => (v, None),
        Sexpr::Dotted(v, t) => (v, Some(t)),
        _ => (&[], None),
    }
}

impl Pp {
    fn term(&mut self, s: &Sexpr, d: i64, i: i64, l: i64) -> String {
        if self.nest >= MAX_NEST {
            return flat(s, d);
        }
        self.nest += 1;
        let r = self.term1(s, d, i, l);
        self.nest -= 1;
        r
    }

    fn term1(&mut self, s: &Sexpr, d: i64, i: i64, l: i64) -> String {
        if d == 0 {
            return "...".into();
        }
        match s {
            Sexpr::List(v) if !v.is_empty() => self.list_term(s, d, i, l),
            Sexpr::Dotted(..) => self.list_term(s, d, i, l),
            Sexpr::Tuple(es) if !es.is_empty() => match list_max(es, None, d - 1, i + 2, l - 1) {
                Some(p) => format!("#({p})"),
                None => format!("#({})", self.list(es, None, d - 1, i + 2, l)),
            },
            Sexpr::Map(kvs) => self.map(kvs, d, i, l),
            _ => flat(s, d),
        }
    }

    fn list_term(&mut self, s: &Sexpr, d: i64, i: i64, l: i64) -> String {
        if let Some((prefix, e)) = quote_form(s) {
            return format!("{prefix}{}", self.term(e, d, i + len(prefix), l));
        }
        let (items, tail) = parts(s);
        if tail.is_none() && crate::print::printable_list(items) {
            return flat(s, d);
        }
        if let Some(p) = list_max(items, tail, d - 1, i + 1, l - 1) {
            return format!("({p})");
        }
        match items[0].as_atom().and_then(indent_type) {
            Some(Indent::Defun) => self.defun(items, tail, d, i, l),
            Some(Indent::Forms(n)) => self.type_form(items, tail, d, i, l, n),
            _ => format!("({})", self.list(items, tail, d - 1, i + 1, l - 1)),
        }
    }

    fn defun(&mut self, items: &[Sexpr], tail: Option<&Sexpr>, d: i64, i: i64, l: i64) -> String {
        if let (Some(def), Some(name)) = (items[0].as_atom(), items.get(1).and_then(Sexpr::as_atom))
        {
            if items.len() >= 3 && !(0..=3).contains(&d) {
                let args = &items[2];
                let symb_list =
                    matches!(args, Sexpr::List(v) if v.iter().all(|a| a.as_atom().is_some()));
                if symb_list {
                    let acs = self.term(args, d - 2, i + len(def) + len(name) + 3, l);
                    let tcs = self.list_tail(&items[3..], tail, l, d - 3, i + 2, l);
                    return format!("({def} {name} {acs}{tcs})");
                }
                let tcs = self.list_tail(&items[2..], tail, l, d - 2, i + 2, l);
                return format!("({def} {name}{tcs})");
            }
        }
        format!("({})", self.list(items, tail, d - 1, i + 1, l))
    }

    fn type_form(
        &mut self,
        items: &[Sexpr],
        tail: Option<&Sexpr>,
        d: i64,
        i: i64,
        l: i64,
        n: usize,
    ) -> String {
        if !(0..=2).contains(&d) {
            let cs = items[0].as_atom().unwrap_or_default();
            let new_i = i + len(cs) + 2;
            let cdr = &items[1..];
            let k = n.min(cdr.len());
            let spec = self.list(&cdr[..k], None, d - 1, new_i, l);
            let rest = self.list_tail(&cdr[k..], tail, l, d - 2, i + 2, l);
            return format!("({cs} {spec}{rest})");
        }
        format!("({})", self.list(items, tail, d - 1, i + 1, l))
    }

    /// `lfe_io_pretty:list/4`: elements one per line, atoms joined while they fit.
    fn list(&mut self, items: &[Sexpr], tail: Option<&Sexpr>, d: i64, i: i64, l: i64) -> String {
        let Some((first, more)) = items.split_first() else {
            return String::new();
        };
        if d == 0 {
            return "...".into();
        }
        match self.element(first, i, d, i, l) {
            Elem::Join(s, n) => s + &self.list_tail(more, tail, i + n, d, i, l),
            Elem::BreakAtomic(s, _) | Elem::Break(s) => s + &self.list_tail(more, tail, l, d, i, l),
        }
    }

    /// `lfe_io_pretty:list_tail/5`; `cur` is the current line's length.
    fn list_tail(
        &mut self,
        items: &[Sexpr],
        tail: Option<&Sexpr>,
        mut cur: i64,
        mut d: i64,
        i: i64,
        l: i64,
    ) -> String {
        let mut out = String::new();
        let mut items = items.iter();
        loop {
            let next = items.next();
            if next.is_none() && tail.is_none() {
                return out;
            }
            if d == 0 {
                out.push_str(" ...");
                return out;
            }
            match next {
                Some(e) => match self.element(e, cur + 1, d, i, l) {
                    Elem::Join(s, n) => {
                        out.push(' ');
                        out.push_str(&s);
                        cur += 1 + n;
                    }
                    Elem::BreakAtomic(s, n) => {
                        out.push_str(&newline(i, &s));
                        cur = i + n;
                    }
                    Elem::Break(s) => {
                        out.push_str(&newline(i, &s));
                        cur = l;
                    }
                },
                None => {
                    let Some(t) = tail else { return out };
                    match self.element(t, cur + 3, d, i, l) {
                        Elem::Join(s, _) => {
                            out.push_str(" . ");
                            out.push_str(&s);
                        }
                        Elem::BreakAtomic(s, _) | Elem::Break(s) => {
                            out.push_str(" .\n");
                            out.push_str(&blanks(i));
                            out.push_str(&s);
                        }
                    }
                    return out;
                }
            }
            d -= 1;
        }
    }

    /// `lfe_io_pretty:list_element/5`.
    fn element(&mut self, e: &Sexpr, cur: i64, d: i64, i: i64, l: i64) -> Elem {
        if is_atomic(e) {
            let s = write_depth(e, d);
            let n = len(&s);
            if cur + n <= l - 10 {
                Elem::Join(s, n)
            } else {
                Elem::BreakAtomic(s, n)
            }
        } else {
            Elem::Break(self.term(e, d, i, l))
        }
    }

    fn map(&mut self, kvs: &[(Sexpr, Sexpr)], d: i64, i: i64, l: i64) -> String {
        if let Some((name, at)) = struct_name(kvs) {
            let name = symbol(name);
            let rest = self.map_rest(kvs, 0, Some(at), i + 3 + len(&name), d - 1, i + 3, l);
            return format!("#S({name}{rest})");
        }
        let (i, l) = (i + 3, l - 1);
        let body = match kvs.first() {
            None => String::new(),
            Some(kv) => match self.assoc(kv, i, d, i, l) {
                Assoc::CurLine(s, n) => s + &self.map_rest(kvs, 1, None, i + n, d - 1, i, l),
                Assoc::OneLine(s, n) => s + &self.map_rest(kvs, 1, None, i + n, d - 1, i, l),
                Assoc::SepLines(k, v) => {
                    k + &newline(i + 2, &v) + &self.map_rest(kvs, 1, None, l, d - 1, i, l)
                }
            },
        };
        format!("#M({body})")
    }

    /// `lfe_io_pretty:map_rest/5` from pair `from`, skipping pair `skip`.
    #[allow(clippy::too_many_arguments)]
    fn map_rest(
        &mut self,
        kvs: &[(Sexpr, Sexpr)],
        from: usize,
        skip: Option<usize>,
        mut cur: i64,
        mut d: i64,
        i: i64,
        l: i64,
    ) -> String {
        let mut out = String::new();
        for (at, kv) in kvs.iter().enumerate().skip(from) {
            if Some(at) == skip {
                continue;
            }
            if d == 0 {
                out.push_str(" ...");
                return out;
            }
            match self.assoc(kv, cur + 1, d, i, l) {
                Assoc::CurLine(s, n) => {
                    out.push(' ');
                    out.push_str(&s);
                    cur += n + 1;
                }
                Assoc::OneLine(s, n) => {
                    out.push_str(&newline(i, &s));
                    cur = i + n;
                }
                Assoc::SepLines(k, v) => {
                    out.push_str(&newline(i, &k));
                    out.push_str(&newline(i + 2, &v));
                    cur = l;
                }
            }
            d -= 1;
        }
        if d == 0 {
            out.push_str(" ...");
        }
        out
    }

    /// `lfe_io_pretty:map_assoc/5`.
    fn assoc(&mut self, (k, v): &(Sexpr, Sexpr), cur: i64, d: i64, i: i64, l: i64) -> Assoc {
        // Longer than the line never fits anywhere: stop printing there.
        let cap = l.max(0) as usize + 1;
        let kcs = flat_pretty(k, d, cap);
        let vcs = flat_pretty(v, d, cap);
        let kl = kcs.as_deref().map_or(i64::MAX / 4, len);
        let vl = vcs.as_deref().map_or(i64::MAX / 4, len);
        if cur + kl + vl < l - 10 {
            return Assoc::CurLine(
                format!("{} {}", kcs.unwrap_or_default(), vcs.unwrap_or_default()),
                kl + 1 + vl,
            );
        }
        if i + kl + vl < l - 10 {
            return Assoc::OneLine(
                format!("{} {}", kcs.unwrap_or_default(), vcs.unwrap_or_default()),
                kl + 1 + vl,
            );
        }
        let ks = match kcs {
            Some(s) if i + kl < l - 10 => s,
            _ => self.term(k, d, i, l),
        };
        let vs = match vcs {
            Some(s) if i + vl < l - 10 => s,
            _ => self.term(v, d, i + 2, l),
        };
        Assoc::SepLines(ks, vs)
    }
}

/// `lfe_io_pretty:list_max/4`: the list's elements on one line if they fit in `l`
/// from column `i`.
fn list_max(items: &[Sexpr], tail: Option<&Sexpr>, d: i64, i: i64, l: i64) -> Option<String> {
    let (first, more) = items.split_first()?;
    if d == 0 {
        return Some("...".into());
    }
    let room = |used: i64| (l - used).max(0) as usize + 1;
    let mut out = flat_pretty(first, d, room(i))?;
    let mut used = i + len(&out);
    let mut d = d - 1;
    // The elements after the first, then the tail of an improper list after its dot.
    let parts = more
        .iter()
        .map(|e| (" ", e))
        .chain(tail.map(|t| (" . ", t)));
    for (sep, e) in parts {
        if used >= l {
            return None;
        }
        if d == 0 {
            out.push_str(" ...");
            return Some(out);
        }
        let s = flat_pretty(e, d, room(used + sep.len() as i64))?;
        used += sep.len() as i64 + len(&s);
        out.push_str(sep);
        out.push_str(&s);
        d -= 1;
    }
    (used < l).then_some(out)
}

enum Indent {
    Defun,
    Forms(usize),
}

/// `lfe_io_pretty:indent_type/1`: how many elements after the head stay on its line
/// (`None`: an ordinary list).
fn indent_type(head: &str) -> Option<Indent> {
    Some(Indent::Forms(match head {
        "defun" | "defmacro" => return Some(Indent::Defun),
        "define"
        | "define-syntax"
        | "define-record"
        | "let-syntax"
        | "defmodule"
        | "defsyntax"
        | "defrecord"
        | "deftest"
        | "lambda"
        | "let"
        | "let-function"
        | "letrec-function"
        | "let-macro"
        | "if"
        | "case"
        | "try"
        | "funcall"
        | "define-function"
        | "define-macro"
        | "define-module"
        | "define-type"
        | "define-opaque-type"
        | "define-function-spec"
        | "let*"
        | "flet"
        | "flet*"
        | "fletrec"
        | "macrolet"
        | "syntaxlet"
        | "lc"
        | "list-comp"
        | "bc"
        | "binary-comp" => 1,
        "begin" | "syntax-rules" | "macro" | "match-lambda" | "progn" | "prog1" | "prog2"
        | "maybe" | "receive" | "catch" | "eval-when-compile" | "extend-module" | "match-spec" => 0,
        "call" | ":" | "do" => 2,
        "cond" => 999,
        _ => return None,
    }))
}
