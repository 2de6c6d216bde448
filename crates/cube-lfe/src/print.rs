//! Printing on one line: `lfe_io:print1/1,2` (`lfe_io_write.erl`), and the one-line
//! form of the pretty printer that [`crate::pretty()`] builds on.
//!
//! Both walk the value with an explicit stack, so any depth prints. `depth` follows
//! LFE: a negative depth prints everything, otherwise parts beyond it print as `...`.

use crate::lex::{parse_number, start_symbol_char, symbol_char};
use crate::sexpr::{Bits, Sexpr};

/// `lfe_io:print1(S)`: the plain printer. Lists print as lists (`(97 98 99)`, never
/// `"abc"`), binaries as `#B(...)`.
pub fn write(s: &Sexpr) -> String {
    write_depth(s, -1)
}

/// `lfe_io:print1(S, Depth)`.
pub fn write_depth(s: &Sexpr, depth: i64) -> String {
    let mut f = Flat::new(Mode::Write, usize::MAX);
    f.run(s, depth);
    f.out
}

/// The pretty printer's one-line rendering of `s` (what `lfe_io_pretty:term/4`
/// prints when everything fits): `'x` for `(quote x)`, `"abc"` for printable lists,
/// `#"abc"` for printable binaries, `#S(...)` for structs. `None` if it would be longer
/// than `limit` characters.
pub(crate) fn flat_pretty(s: &Sexpr, depth: i64, limit: usize) -> Option<String> {
    let mut f = Flat::new(Mode::Pretty, limit);
    f.run(s, depth).then_some(f.out)
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Write,
    Pretty,
}

enum Work<'a> {
    Lit(&'static str),
    Term(&'a Sexpr, i64),
    /// The rest of a list: remaining elements, the dotted tail, the depth.
    Rest(&'a [Sexpr], Option<&'a Sexpr>, i64),
    /// `lfe_io_write:map_body/2` from element `i`.
    WriteMap(&'a [(Sexpr, Sexpr)], usize, i64),
    /// `lfe_io_pretty:map_rest/5` from element `i`, skipping element `skip`.
    PrettyMapRest(&'a [(Sexpr, Sexpr)], usize, Option<usize>, i64),
}

struct Flat<'a> {
    mode: Mode,
    out: String,
    chars: usize,
    limit: usize,
    stack: Vec<Work<'a>>,
}

impl<'a> Flat<'a> {
    fn new(mode: Mode, limit: usize) -> Flat<'a> {
        Flat {
            mode,
            out: String::new(),
            chars: 0,
            limit,
            stack: Vec::new(),
        }
    }

    fn emit(&mut self, s: &str) -> bool {
        self.chars += s.chars().count();
        self.out.push_str(s);
        self.chars <= self.limit
    }

    /// Prints `s`; false if the limit was passed.
    fn run(&mut self, s: &'a Sexpr, depth: i64) -> bool {
        self.stack.push(Work::Term(s, depth));
        while let Some(w) = self.stack.pop() {
            let ok = match w {
                Work::Lit(l) => self.emit(l),
                Work::Term(s, d) => self.term(s, d),
                Work::Rest(items, tail, d) => self.rest(items, tail, d),
                Work::WriteMap(kvs, i, d) => self.write_map(kvs, i, d),
                Work::PrettyMapRest(kvs, i, skip, d) => self.pretty_map_rest(kvs, i, skip, d),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    fn term(&mut self, s: &'a Sexpr, d: i64) -> bool {
        if d == 0 {
            return self.emit("...");
        }
        match s {
            Sexpr::Atom(a) => self.emit(&symbol(a)),
            Sexpr::Int(n) => self.emit(&n.to_string()),
            Sexpr::BigInt(n) => self.emit(&n.to_string()),
            Sexpr::Float(f) => self.emit(&float(*f)),
            Sexpr::List(v) if v.is_empty() => self.emit("()"),
            Sexpr::List(v) | Sexpr::Dotted(v, _) => {
                let tail = match s {
                    Sexpr::Dotted(_, t) => Some(&**t),
                    _ => None,
                };
                if self.mode == Mode::Pretty {
                    if let Some((prefix, e)) = quote_form(s) {
                        self.stack.push(Work::Term(e, d));
                        return self.emit(prefix);
                    }
                    if tail.is_none() && printable_list(v) {
                        return self.emit(&string_list(v));
                    }
                }
                self.stack.push(Work::Lit(")"));
                self.list(v, tail, d - 1);
                self.emit("(")
            }
            Sexpr::Tuple(v) if v.is_empty() => self.emit("#()"),
            Sexpr::Tuple(v) => {
                self.stack.push(Work::Lit(")"));
                self.list(v, None, d - 1);
                self.emit("#(")
            }
            Sexpr::Bits(b) => match self.mode {
                Mode::Write => self.emit(&bitstring(b, -1)),
                Mode::Pretty => match printable_binary(b) {
                    Some(text) => self.emit(&format!("#{text}")),
                    None => self.emit(&bitstring(b, d)),
                },
            },
            Sexpr::Map(kvs) => match self.mode {
                Mode::Write => {
                    self.stack.push(Work::Lit(")"));
                    self.stack.push(Work::WriteMap(kvs, 0, d));
                    self.emit("#M(")
                }
                Mode::Pretty => match struct_name(kvs) {
                    Some((name, at)) => {
                        self.stack.push(Work::Lit(")"));
                        self.stack
                            .push(Work::PrettyMapRest(kvs, 0, Some(at), d - 1));
                        self.emit("#S(") && self.emit(&symbol(name))
                    }
                    None => {
                        self.stack.push(Work::Lit(")"));
                        if let Some((k, v)) = kvs.first() {
                            self.stack.push(Work::PrettyMapRest(kvs, 1, None, d - 1));
                            self.stack.push(Work::Term(v, d));
                            self.stack.push(Work::Lit(" "));
                            self.stack.push(Work::Term(k, d));
                        }
                        self.emit("#M(")
                    }
                },
            },
        }
    }

    /// `lfe_io_write:list/2`: pushes the work for a list's elements at depth `d`.
    fn list(&mut self, items: &'a [Sexpr], tail: Option<&'a Sexpr>, d: i64) {
        if items.is_empty() {
            return;
        }
        if d == 0 {
            self.stack.push(Work::Lit("..."));
            return;
        }
        self.stack.push(Work::Rest(&items[1..], tail, d - 1));
        self.stack.push(Work::Term(&items[0], d));
    }

    /// `lfe_io_write:list_tail/2`.
    fn rest(&mut self, items: &'a [Sexpr], tail: Option<&'a Sexpr>, d: i64) -> bool {
        if items.is_empty() && tail.is_none() {
            return true;
        }
        if d == 0 {
            return self.emit(" ...");
        }
        match items.split_first() {
            Some((first, more)) => {
                self.stack.push(Work::Rest(more, tail, d - 1));
                self.stack.push(Work::Term(first, d));
                self.emit(" ")
            }
            None => {
                if let Some(t) = tail {
                    self.stack.push(Work::Term(t, d));
                }
                self.emit(" . ")
            }
        }
    }

    /// `lfe_io_write:map_body/2`.
    fn write_map(&mut self, kvs: &'a [(Sexpr, Sexpr)], i: usize, d: i64) -> bool {
        if i >= kvs.len() {
            return true;
        }
        if d == 0 || d == 1 {
            return self.emit("...");
        }
        let (k, v) = &kvs[i];
        if i + 1 < kvs.len() {
            self.stack.push(Work::WriteMap(kvs, i + 1, d - 1));
            self.stack.push(Work::Lit(" "));
        }
        self.stack.push(Work::Term(v, d - 1));
        self.stack.push(Work::Lit(" "));
        self.stack.push(Work::Term(k, d - 1));
        true
    }

    /// `lfe_io_pretty:map_rest/5` on one line.
    fn pretty_map_rest(
        &mut self,
        kvs: &'a [(Sexpr, Sexpr)],
        mut i: usize,
        skip: Option<usize>,
        d: i64,
    ) -> bool {
        if d == 0 {
            return self.emit(" ...");
        }
        if Some(i) == skip {
            i += 1;
        }
        let Some((k, v)) = kvs.get(i) else {
            return true;
        };
        self.stack
            .push(Work::PrettyMapRest(kvs, i + 1, skip, d - 1));
        self.stack.push(Work::Term(v, d));
        self.stack.push(Work::Lit(" "));
        self.stack.push(Work::Term(k, d));
        self.emit(" ")
    }
}

/// `(quote e)` and its kin, printed `'e` etc. by the pretty printer.
pub(crate) fn quote_form(s: &Sexpr) -> Option<(&'static str, &Sexpr)> {
    let Sexpr::List(v) = s else { return None };
    if v.len() != 2 {
        return None;
    }
    let prefix = match v[0].as_atom()? {
        "quote" => "'",
        "backquote" => "`",
        "comma" => ",",
        "comma-at" => ",@",
        _ => return None,
    };
    Some((prefix, &v[1]))
}

/// A map with the key `__struct__` whose value is an atom prints as `#S(name k v ...)`:
/// its name and the index of that key. (LFE crashes on a non-atom name; such a map
/// prints as a map here.)
pub(crate) fn struct_name(kvs: &[(Sexpr, Sexpr)]) -> Option<(&str, usize)> {
    kvs.iter()
        .position(|(k, _)| k.as_atom() == Some("__struct__"))
        .and_then(|i| kvs[i].1.as_atom().map(|n| (n, i)))
}

/// `io_lib:printable_unicode_list/1` on a non-empty proper list.
pub(crate) fn printable_list(items: &[Sexpr]) -> bool {
    !items.is_empty()
        && items.iter().all(|e| match e {
            Sexpr::Int(c) => printable_char(*c),
            _ => false,
        })
}

fn printable_char(c: i64) -> bool {
    matches!(c,
        0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x10000..=0x10ffff
        | 0x8..=0xd | 0x1b)
}

/// The characters of a printable list, as a string literal.
fn string_list(items: &[Sexpr]) -> String {
    let cs: Vec<char> = items
        .iter()
        .filter_map(|e| match e {
            Sexpr::Int(c) => u32::try_from(*c).ok().and_then(char::from_u32),
            _ => None,
        })
        .collect();
    quoted(&cs, '"')
}

/// A binary whose bytes are UTF-8 of printable characters, as `"..."`.
fn printable_binary(b: &Bits) -> Option<String> {
    if !b.is_binary() {
        return None;
    }
    let text = std::str::from_utf8(&b.bytes).ok()?;
    if !text.chars().all(|c| printable_char(c as i64)) {
        return None;
    }
    let cs: Vec<char> = text.chars().collect();
    Some(quoted(&cs, '"'))
}

/// `lfe_io_write:string/2`: characters between `q` quotes, with LFE's escapes.
pub(crate) fn quoted(cs: &[char], q: char) -> String {
    let mut out = String::with_capacity(cs.len() + 2);
    out.push(q);
    for &c in cs {
        match c {
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{7f}' => out.push_str("\\d"),
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

/// `lfe_io_write:symbol/1`: the atom's name, in `|...|` when it would not read back as
/// the same symbol.
pub fn symbol(name: &str) -> String {
    let mut cs = name.chars();
    let plain = match cs.next() {
        None => false,
        Some(first) => {
            name != "."
                && parse_number(name).is_none()
                && start_symbol_char(first)
                && cs.all(symbol_char)
        }
    };
    if plain {
        name.to_string()
    } else {
        let cs: Vec<char> = name.chars().collect();
        quoted(&cs, '|')
    }
}

/// `lfe_io_write:bitstring/2`: `#B(` bytes `)`, a last partial byte as
/// `(value (size bits))`.
pub(crate) fn bitstring(b: &Bits, depth: i64) -> String {
    let mut out = String::from("#B(");
    let whole = (b.bits / 8) as usize;
    let rem = (b.bits % 8) as u32;
    let mut d = depth;
    let mut i = 0;
    loop {
        if d == 0 {
            out.push_str("...");
            break;
        }
        if i < whole {
            out.push_str(&b.bytes[i].to_string());
            i += 1;
            if i == whole && rem == 0 {
                break;
            }
            out.push(' ');
            d -= 1;
            continue;
        }
        if rem > 0 {
            let v = b.bytes[i] >> (8 - rem);
            out.push_str(&format!("({v} (size {rem}))"));
        }
        break;
    }
    out.push(')');
    out
}

/// A float as Erlang prints it (`io_lib_format:fwrite_g/1`, `float_to_list(F,
/// [short])`): the shortest digits that read back exactly, in fixed notation
/// (`3.0`, `0.001`) unless scientific (`1.0e10`) is shorter or the magnitude is at
/// least 2^53.
pub fn float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde-x".
    let e = format!("{:e}", f.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if f < 0.0 { "-" } else { "" };
    let sci = {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!("{}.{}e{}", &digits[..1], rest, exp)
    };
    let place = exp + 1;
    let n = digits.len() as i64;
    let fixed = if place <= 0 {
        format!("0.{}{}", "0".repeat((-place) as usize), digits)
    } else if place >= n {
        format!("{}{}.0", digits, "0".repeat((place - n) as usize))
    } else {
        format!(
            "{}.{}",
            &digits[..place as usize],
            &digits[place as usize..]
        )
    };
    let body = if fixed.len() <= sci.len() && f.abs() < 9007199254740992.0 {
        fixed
    } else {
        sci
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_erlang_prints_them() {
        // Checked against `io_lib_format:fwrite_g/1` (OTP 25).
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (3.0, "3.0"),
            (0.1, "0.1"),
            (100.0, "100.0"),
            (1000.0, "1.0e3"),
            (12000.0, "1.2e4"),
            (1e10, "1.0e10"),
            (12345678901.0, "12345678901.0"),
            (0.001, "0.001"),
            (0.0001, "0.0001"),
            (1e-5, "1.0e-5"),
            (0.00012, "1.2e-4"),
            (0.00125, "0.00125"),
            (9007199254740991.0, "9007199254740991.0"),
            (9007199254740992.0, "9.007199254740992e15"),
            (123456789012345.6, "123456789012345.6"),
            (5e-324, "5.0e-324"),
            (-1.5, "-1.5"),
        ];
        for (f, want) in cases {
            assert_eq!(float(f), want, "{f:e}");
        }
    }

    #[test]
    fn symbols_are_quoted_when_they_would_not_read_back() {
        let cases = [
            ("foo", "foo"),
            ("", "||"),
            (".", "|.|"),
            ("1", "|1|"),
            ("1.5", "|1.5|"),
            ("1.0e400", "1.0e400"),
            ("a b", "|a b|"),
            ("a|b", "a|b"),
            ("|a", "|\\|a|"),
            ("#a", "|#a|"),
            ("a#", "a#"),
            ("λ", "λ"),
        ];
        for (name, want) in cases {
            assert_eq!(symbol(name), want);
        }
    }

    #[test]
    fn depth_cuts_like_lfe() {
        let v = crate::read_all("(1 2 3 4 5) #M(a 1 b 2 c 3) #B(1 2 3 4)").expect("reads");
        assert_eq!(write_depth(&v[0], 3), "(1 2 ...)");
        assert_eq!(write_depth(&v[1], 3), "#M(a 1 b 2 ...)");
        assert_eq!(write_depth(&v[2], 3), "#B(1 2 3 4)");
        assert_eq!(crate::pretty_with(&v[2], 3, 0, 80), "#B(1 2 3 ...)");
    }
}
