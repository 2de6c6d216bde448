//! `string`: Erlang's string functions over chardata (lists of characters, or
//! UTF-8 binaries, possibly nested), both the modern API (`trim`, `split`,
//! `lexemes`, `find`, `slice`, `pad`, `replace`, ...) and the classic one (`str`,
//! `chr`, `substr`, `strip`, `left`, `sub_word`, ...). A function of the modern
//! API given a binary answers with binaries where Erlang does; the shapes of the
//! deep lists `pad` and `replace` return are Erlang's own.
//!
//! Characters are compared as code points: graphemes made of several code points
//! (a letter and a combining accent) count as several here, one in Erlang.

use crate::bif::lists::MAX_MADE_LIST;
use crate::exception::{Exception, Result};
use crate::runtime::Runtime;
use crate::term::Term;

/// A string argument as characters, and whether it was given as a binary.
struct Chars {
    chars: Vec<u32>,
    binary: bool,
}

/// Reads chardata: a binary (UTF-8), or a possibly deep list of characters and
/// binaries. Iterative; anything else is `badarg`.
fn chardata(t: &Term) -> Result<Chars> {
    let binary = matches!(t, Term::Bin(_));
    let mut chars = Vec::new();
    let mut stack = vec![t.clone()];
    while let Some(x) = stack.pop() {
        match x {
            Term::Nil => {}
            Term::Cons(c) => {
                stack.push(c.tail.clone());
                stack.push(c.head.clone());
            }
            Term::Int(i) if (0..=0x10FFFF).contains(&i) => chars.push(i as u32),
            Term::Bin(b) if b.is_binary() => {
                let bytes = b.bytes();
                let s = std::str::from_utf8(&bytes).map_err(|_| Exception::badarg())?;
                chars.extend(s.chars().map(|c| c as u32));
            }
            _ => return Err(Exception::badarg()),
        }
    }
    Ok(Chars { chars, binary })
}

/// Characters as a list, or as a UTF-8 binary when `binary`.
fn make(chars: &[u32], binary: bool) -> Term {
    if binary {
        let s: String = chars.iter().filter_map(|&c| char::from_u32(c)).collect();
        Term::binary(s.into_bytes())
    } else {
        Term::list(chars.iter().map(|&c| Term::Int(c as i64)).collect())
    }
}

fn atom_arg(t: &Term) -> Result<&str> {
    t.as_atom().map(|a| a.name()).ok_or_else(Exception::badarg)
}

fn int_arg(t: &Term) -> Result<i64> {
    match t {
        Term::Int(i) => Ok(*i),
        _ => Err(Exception::badarg()),
    }
}

/// A character argument (an integer code point).
fn char_arg(t: &Term) -> Result<u32> {
    match t {
        Term::Int(i) if (0..=0x10FFFF).contains(i) => Ok(*i as u32),
        _ => Err(Exception::badarg()),
    }
}

/// Unicode white space as `string:trim/1` sees it (Pattern_White_Space).
fn is_white(c: u32) -> bool {
    matches!(
        c,
        0x09..=0x0D | 0x20 | 0x85 | 0x200E | 0x200F | 0x2028 | 0x2029
    )
}

/// Where in `s` the characters `pat` first (or last) occur.
fn find(s: &[u32], pat: &[u32], last: bool) -> Option<usize> {
    if pat.is_empty() || pat.len() > s.len() {
        return None;
    }
    let mut at = (0..=s.len() - pat.len()).filter(|&i| &s[i..i + pat.len()] == pat);
    if last {
        at.next_back()
    } else {
        at.next()
    }
}

/// `split(S, Pattern, Where)`: the parts, as `string:split/3`.
fn split(s: &[u32], pat: &[u32], r#where: &str) -> Result<Vec<Vec<u32>>> {
    let mut parts = Vec::new();
    match r#where {
        "leading" | "trailing" => match find(s, pat, r#where == "trailing") {
            Some(i) => {
                parts.push(s[..i].to_vec());
                parts.push(s[i + pat.len()..].to_vec());
            }
            None => parts.push(s.to_vec()),
        },
        "all" => {
            let mut rest = s;
            while let Some(i) = find(rest, pat, false) {
                parts.push(rest[..i].to_vec());
                rest = &rest[i + pat.len()..];
            }
            parts.push(rest.to_vec());
        }
        _ => return Err(Exception::badarg()),
    }
    Ok(parts)
}

fn trim(s: &[u32], dir: &str, strip: &dyn Fn(u32) -> bool) -> Result<Vec<u32>> {
    let (mut a, mut b) = (0, s.len());
    if matches!(dir, "leading" | "both") {
        while a < b && strip(s[a]) {
            a += 1;
        }
    }
    if matches!(dir, "trailing" | "both") {
        while b > a && strip(s[b - 1]) {
            b -= 1;
        }
    }
    if !matches!(dir, "leading" | "trailing" | "both") {
        return Err(Exception::badarg());
    }
    Ok(s[a..b].to_vec())
}

fn chars_list(t: &Term) -> Result<Vec<u32>> {
    Ok(chardata(t)?.chars)
}

/// A list of `n` copies of `c`, bounded as every list a program asks for.
fn duplicate(n: i64, c: &Term) -> Result<Term> {
    if n > MAX_MADE_LIST {
        return Err(Exception::error(Term::atom("system_limit")));
    }
    Ok(Term::list(vec![c.clone(); n.max(0) as usize]))
}

fn upper(c: u32) -> u32 {
    char::from_u32(c)
        .map(|ch| {
            let mut u = ch.to_uppercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x as u32,
                _ => c,
            }
        })
        .unwrap_or(c)
}

fn lower(c: u32) -> u32 {
    char::from_u32(c)
        .map(|ch| {
            let mut u = ch.to_lowercase();
            match (u.next(), u.next()) {
                (Some(x), None) => x as u32,
                _ => c,
            }
        })
        .unwrap_or(c)
}

/// The 1-based index of `sub` in `s` (first or last), 0 when absent: `str`/`rstr`.
fn index_of(s: &[u32], sub: &[u32], last: bool) -> i64 {
    if sub.is_empty() {
        return if last { 0 } else { 1 };
    }
    find(s, sub, last).map_or(0, |i| i as i64 + 1)
}

/// `to_integer/1`'s number at the front of `s`: its value and where it ends.
fn leading_integer(s: &[u32]) -> Option<(num_bigint::BigInt, usize)> {
    let sign = matches!(s.first(), Some(&c) if c == '-' as u32 || c == '+' as u32) as usize;
    let digits = s[sign..]
        .iter()
        .take_while(|&&c| (b'0' as u32..=b'9' as u32).contains(&c))
        .count();
    if digits == 0 || digits > 100_000 {
        return None;
    }
    let text: String = s[..sign + digits]
        .iter()
        .filter_map(|&c| char::from_u32(c))
        .collect();
    text.parse::<num_bigint::BigInt>()
        .ok()
        .map(|n| (n, sign + digits))
}

/// `to_float/1`'s float at the front of `s` (Erlang's syntax: digits, a point,
/// digits, an optional exponent): its value and where it ends.
fn leading_float(s: &[u32]) -> Option<(f64, usize)> {
    let is_digit = |c: u32| (b'0' as u32..=b'9' as u32).contains(&c);
    let mut i = matches!(s.first(), Some(&c) if c == '-' as u32 || c == '+' as u32) as usize;
    let start_digits = i;
    while i < s.len() && is_digit(s[i]) {
        i += 1;
    }
    if i == start_digits || i >= s.len() || s[i] != '.' as u32 {
        return None;
    }
    i += 1;
    let frac = i;
    while i < s.len() && is_digit(s[i]) {
        i += 1;
    }
    if i == frac {
        return None;
    }
    if i < s.len() && (s[i] == 'e' as u32 || s[i] == 'E' as u32) {
        let mut j = i + 1;
        if j < s.len() && (s[j] == '-' as u32 || s[j] == '+' as u32) {
            j += 1;
        }
        let exp = j;
        while j < s.len() && is_digit(s[j]) {
            j += 1;
        }
        if j > exp {
            i = j;
        }
    }
    if i > 10_000 {
        return None;
    }
    let text: String = s[..i].iter().filter_map(|&c| char::from_u32(c)).collect();
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(|f| (f, i))
}

pub fn register(rt: &mut Runtime) {
    register_modern(rt);
    register_classic(rt);
}

fn register_modern(rt: &mut Runtime) {
    rt.register("string", "length", 1, |_, a| {
        Ok(Term::Int(chars_list(&a[0])?.len() as i64))
    });
    rt.register("string", "reverse", 1, |_, a| {
        let mut s = chars_list(&a[0])?;
        s.reverse();
        Ok(make(&s, false))
    });
    rt.register("string", "is_empty", 1, |_, a| {
        Ok(Term::bool(chars_list(&a[0])?.is_empty()))
    });
    rt.register("string", "equal", 2, |_, a| {
        Ok(Term::bool(chars_list(&a[0])? == chars_list(&a[1])?))
    });
    rt.register("string", "trim", 1, |_, a| {
        let s = chardata(&a[0])?;
        Ok(make(&trim(&s.chars, "both", &is_white)?, s.binary))
    });
    rt.register("string", "trim", 2, |_, a| {
        let s = chardata(&a[0])?;
        Ok(make(
            &trim(&s.chars, atom_arg(&a[1])?, &is_white)?,
            s.binary,
        ))
    });
    rt.register("string", "trim", 3, |_, a| {
        let s = chardata(&a[0])?;
        let set = chars_list(&a[2])?;
        let strip = |c: u32| set.contains(&c);
        Ok(make(&trim(&s.chars, atom_arg(&a[1])?, &strip)?, s.binary))
    });
    rt.register("string", "chomp", 1, |_, a| {
        let s = chardata(&a[0])?;
        // Every trailing "\n" and "\r\n", as Erlang's chomp.
        let mut c = s.chars;
        while c.last() == Some(&10) {
            c.pop();
            if c.last() == Some(&13) {
                c.pop();
            }
        }
        Ok(make(&c, s.binary))
    });
    rt.register("string", "split", 2, |_, a| {
        split_bif(&a[0], &a[1], "leading")
    });
    rt.register("string", "split", 3, |_, a| {
        split_bif(&a[0], &a[1], atom_arg(&a[2])?)
    });
    rt.register("string", "replace", 3, |_, a| {
        replace_bif(&a[0], &a[1], &a[2], "leading")
    });
    rt.register("string", "replace", 4, |_, a| {
        replace_bif(&a[0], &a[1], &a[2], atom_arg(&a[3])?)
    });
    rt.register("string", "lexemes", 2, |_, a| {
        let s = chardata(&a[0])?;
        let seps = chars_list(&a[1])?;
        let parts = s
            .chars
            .split(|c| seps.contains(c))
            .filter(|p| !p.is_empty())
            .map(|p| make(p, s.binary))
            .collect();
        Ok(Term::list(parts))
    });
    rt.register("string", "find", 2, |_, a| {
        find_bif(&a[0], &a[1], "leading")
    });
    rt.register("string", "find", 3, |_, a| {
        find_bif(&a[0], &a[1], atom_arg(&a[2])?)
    });
    rt.register("string", "prefix", 2, |_, a| {
        let s = chardata(&a[0])?;
        let p = chars_list(&a[1])?;
        Ok(match s.chars.strip_prefix(&p[..]) {
            Some(rest) => make(rest, s.binary),
            None => Term::atom("nomatch"),
        })
    });
    rt.register("string", "slice", 2, |_, a| {
        slice_bif(&a[0], &a[1], &Term::atom("infinity"))
    });
    rt.register("string", "slice", 3, |_, a| slice_bif(&a[0], &a[1], &a[2]));
    rt.register("string", "pad", 2, |_, a| {
        pad_bif(&a[0], &a[1], "trailing", &Term::Int(32))
    });
    rt.register("string", "pad", 3, |_, a| {
        pad_bif(&a[0], &a[1], atom_arg(&a[2])?, &Term::Int(32))
    });
    rt.register("string", "pad", 4, |_, a| {
        pad_bif(&a[0], &a[1], atom_arg(&a[2])?, &a[3])
    });
    rt.register("string", "uppercase", 1, |_, a| {
        let s = chardata(&a[0])?;
        Ok(make(
            &s.chars.iter().map(|&c| upper(c)).collect::<Vec<_>>(),
            s.binary,
        ))
    });
    rt.register("string", "lowercase", 1, |_, a| {
        let s = chardata(&a[0])?;
        Ok(make(
            &s.chars.iter().map(|&c| lower(c)).collect::<Vec<_>>(),
            s.binary,
        ))
    });
    rt.register("string", "to_integer", 1, |_, a| {
        let s = chardata(&a[0])?;
        Ok(match leading_integer(&s.chars) {
            Some((n, end)) => Term::tuple(vec![Term::big(n), make(&s.chars[end..], s.binary)]),
            None => Term::tuple(vec![Term::atom("error"), Term::atom("no_integer")]),
        })
    });
    rt.register("string", "to_float", 1, |_, a| {
        let s = chardata(&a[0])?;
        Ok(match leading_float(&s.chars) {
            Some((f, end)) => Term::tuple(vec![Term::Float(f), make(&s.chars[end..], s.binary)]),
            None => Term::tuple(vec![Term::atom("error"), Term::atom("no_float")]),
        })
    });
}

fn split_bif(s: &Term, pat: &Term, r#where: &str) -> Result<Term> {
    let s = chardata(s)?;
    let pat = chars_list(pat)?;
    let parts = split(&s.chars, &pat, r#where)?;
    Ok(Term::list(
        parts.iter().map(|p| make(p, s.binary)).collect(),
    ))
}

/// `replace/3,4`: Erlang joins the parts of `split` with the replacement, so the
/// value is a list `[Part, Replacement, Part, ...]`.
fn replace_bif(s: &Term, pat: &Term, rep: &Term, r#where: &str) -> Result<Term> {
    let s = chardata(s)?;
    let pat = chars_list(pat)?;
    chardata(rep)?;
    let parts = split(&s.chars, &pat, r#where)?;
    let mut out = Vec::with_capacity(parts.len() * 2);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(rep.clone());
        }
        out.push(make(p, s.binary));
    }
    Ok(Term::list(out))
}

fn find_bif(s: &Term, pat: &Term, r#where: &str) -> Result<Term> {
    let s = chardata(s)?;
    let pat = chars_list(pat)?;
    let last = match r#where {
        "leading" => false,
        "trailing" => true,
        _ => return Err(Exception::badarg()),
    };
    if pat.is_empty() {
        return Ok(make(&s.chars, s.binary));
    }
    Ok(match find(&s.chars, &pat, last) {
        Some(i) => make(&s.chars[i..], s.binary),
        None => Term::atom("nomatch"),
    })
}

fn slice_bif(s: &Term, start: &Term, len: &Term) -> Result<Term> {
    let s = chardata(s)?;
    let start = match start {
        Term::Int(i) if *i >= 0 => (*i as u64).min(s.chars.len() as u64) as usize,
        _ => return Err(Exception::badarg()),
    };
    let rest = &s.chars[start..];
    let n = match len {
        Term::Int(n) if *n >= 0 => (*n as u64).min(rest.len() as u64) as usize,
        t if t.as_atom().map(|a| a.name()) == Some("infinity") => rest.len(),
        _ => return Err(Exception::badarg()),
    };
    Ok(make(&rest[..n], s.binary))
}

/// `pad/2,3,4`, with Erlang's shapes: `[S | Pad]`, `[Pad, S]` and `[Pre, S, Pre |
/// Odd]` (`Odd` one more character when the padding is odd), even when nothing is
/// missing (`["abcdef"]`, `[[], "abc"]`).
fn pad_bif(s: &Term, len: &Term, dir: &str, c: &Term) -> Result<Term> {
    let n = chars_list(s)?.len() as i64;
    let want = int_arg(len)?;
    char_arg(c)?;
    let missing = (want - n).max(0);
    Ok(match dir {
        "trailing" => Term::list_with_tail(vec![s.clone()], duplicate(missing, c)?),
        "leading" => Term::list(vec![duplicate(missing, c)?, s.clone()]),
        "both" => {
            let pre = duplicate(missing / 2, c)?;
            let odd = if missing % 2 == 1 {
                Term::list(vec![c.clone()])
            } else {
                Term::Nil
            };
            Term::list_with_tail(vec![pre.clone(), s.clone(), pre], odd)
        }
        _ => return Err(Exception::badarg()),
    })
}

fn register_classic(rt: &mut Runtime) {
    rt.register("string", "str", 2, |_, a| {
        Ok(Term::Int(index_of(
            &chars_list(&a[0])?,
            &chars_list(&a[1])?,
            false,
        )))
    });
    rt.register("string", "rstr", 2, |_, a| {
        Ok(Term::Int(index_of(
            &chars_list(&a[0])?,
            &chars_list(&a[1])?,
            true,
        )))
    });
    rt.register("string", "chr", 2, |_, a| {
        let c = char_arg(&a[1])?;
        let s = chars_list(&a[0])?;
        Ok(Term::Int(
            s.iter().position(|&x| x == c).map_or(0, |i| i as i64 + 1),
        ))
    });
    rt.register("string", "rchr", 2, |_, a| {
        let c = char_arg(&a[1])?;
        let s = chars_list(&a[0])?;
        Ok(Term::Int(
            s.iter().rposition(|&x| x == c).map_or(0, |i| i as i64 + 1),
        ))
    });
    rt.register("string", "substr", 2, |_, a| {
        let s = chars_list(&a[0])?;
        let start = int_arg(&a[1])?;
        if start < 1 || start as u64 > s.len() as u64 + 1 {
            return Err(Exception::error(Term::atom("function_clause")));
        }
        Ok(make(&s[start as usize - 1..], false))
    });
    rt.register("string", "substr", 3, |_, a| {
        let s = chars_list(&a[0])?;
        let start = int_arg(&a[1])?;
        let len = int_arg(&a[2])?;
        if start < 1 || len < 0 || start as u64 > s.len() as u64 + 1 {
            return Err(Exception::error(Term::atom("function_clause")));
        }
        let rest = &s[start as usize - 1..];
        Ok(make(
            &rest[..(len as u64).min(rest.len() as u64) as usize],
            false,
        ))
    });
    rt.register("string", "sub_string", 2, |_, a| {
        let s = chars_list(&a[0])?;
        let start = int_arg(&a[1])?;
        if start < 1 || start as u64 > s.len() as u64 + 1 {
            return Err(Exception::error(Term::atom("function_clause")));
        }
        Ok(make(&s[start as usize - 1..], false))
    });
    rt.register("string", "sub_string", 3, |_, a| {
        let s = chars_list(&a[0])?;
        let (start, stop) = (int_arg(&a[1])?, int_arg(&a[2])?);
        if start < 1 || stop < start - 1 || start as u64 > s.len() as u64 + 1 {
            return Err(Exception::error(Term::atom("function_clause")));
        }
        let stop = (stop as u64).min(s.len() as u64) as usize;
        Ok(make(&s[start as usize - 1..stop], false))
    });
    rt.register("string", "strip", 1, |_, a| strip_bif(&a[0], "both", 32));
    rt.register("string", "strip", 2, |_, a| {
        strip_bif(&a[0], atom_arg(&a[1])?, 32)
    });
    rt.register("string", "strip", 3, |_, a| {
        strip_bif(&a[0], atom_arg(&a[1])?, char_arg(&a[2])?)
    });
    rt.register("string", "left", 2, |_, a| {
        justify(&a[0], &a[1], 32, Side::Left)
    });
    rt.register("string", "left", 3, |_, a| {
        justify(&a[0], &a[1], char_arg(&a[2])?, Side::Left)
    });
    rt.register("string", "right", 2, |_, a| {
        justify(&a[0], &a[1], 32, Side::Right)
    });
    rt.register("string", "right", 3, |_, a| {
        justify(&a[0], &a[1], char_arg(&a[2])?, Side::Right)
    });
    rt.register("string", "centre", 2, |_, a| {
        justify(&a[0], &a[1], 32, Side::Centre)
    });
    rt.register("string", "centre", 3, |_, a| {
        justify(&a[0], &a[1], char_arg(&a[2])?, Side::Centre)
    });
    rt.register("string", "words", 1, |_, a| {
        Ok(Term::Int(words(&chars_list(&a[0])?, 32).len() as i64))
    });
    rt.register("string", "words", 2, |_, a| {
        Ok(Term::Int(
            words(&chars_list(&a[0])?, char_arg(&a[1])?).len() as i64,
        ))
    });
    rt.register("string", "sub_word", 2, |_, a| sub_word(&a[0], &a[1], 32));
    rt.register("string", "sub_word", 3, |_, a| {
        sub_word(&a[0], &a[1], char_arg(&a[2])?)
    });
    rt.register("string", "span", 2, |_, a| {
        let set = chars_list(&a[1])?;
        let s = chars_list(&a[0])?;
        Ok(Term::Int(
            s.iter().take_while(|c| set.contains(c)).count() as i64
        ))
    });
    rt.register("string", "cspan", 2, |_, a| {
        let set = chars_list(&a[1])?;
        let s = chars_list(&a[0])?;
        Ok(Term::Int(
            s.iter().take_while(|c| !set.contains(c)).count() as i64
        ))
    });
}

fn strip_bif(s: &Term, dir: &str, c: u32) -> Result<Term> {
    let s = chars_list(s)?;
    let dir = match dir {
        "left" => "leading",
        "right" => "trailing",
        "both" => "both",
        _ => return Err(Exception::error(Term::atom("function_clause"))),
    };
    Ok(make(&trim(&s, dir, &|x| x == c)?, false))
}

enum Side {
    Left,
    Right,
    Centre,
}

/// `left`, `right`, `centre`: `s` padded with `c` (or cut) to `n` characters.
fn justify(s: &Term, n: &Term, c: u32, side: Side) -> Result<Term> {
    let s = chars_list(s)?;
    let n = match n {
        Term::Int(n) if *n >= 0 && *n <= MAX_MADE_LIST => *n as usize,
        Term::Int(n) if *n >= 0 => return Err(Exception::error(Term::atom("system_limit"))),
        _ => return Err(Exception::error(Term::atom("function_clause"))),
    };
    let len = s.len();
    let out: Vec<u32> = match side {
        Side::Left if len >= n => s[..n].to_vec(),
        Side::Left => s
            .iter()
            .copied()
            .chain(std::iter::repeat_n(c, n - len))
            .collect(),
        Side::Right if len >= n => s[len - n..].to_vec(),
        Side::Right => std::iter::repeat_n(c, n - len)
            .chain(s.iter().copied())
            .collect(),
        Side::Centre if len >= n => {
            let cut = (len - n) / 2;
            s[cut..cut + n].to_vec()
        }
        Side::Centre => {
            let left = (n - len) / 2;
            std::iter::repeat_n(c, left)
                .chain(s.iter().copied())
                .chain(std::iter::repeat_n(c, n - len - left))
                .collect()
        }
    };
    Ok(make(&out, false))
}

fn words(s: &[u32], sep: u32) -> Vec<&[u32]> {
    s.split(|&c| c == sep).filter(|w| !w.is_empty()).collect()
}

fn sub_word(s: &Term, n: &Term, sep: u32) -> Result<Term> {
    let s = chars_list(s)?;
    let n = match n {
        Term::Int(n) if *n >= 1 => *n as u64,
        _ => return Err(Exception::error(Term::atom("function_clause"))),
    };
    let w = words(&s, sep);
    Ok(match w.get((n - 1).min(usize::MAX as u64) as usize) {
        Some(word) => make(word, false),
        None => Term::Nil,
    })
}
