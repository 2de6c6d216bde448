//! `io:format` / `io:fwrite` / `io_lib:format` (terms in Erlang syntax) and
//! `lfe_io:format` / `lfe_io:print` (terms in LFE syntax), with Erlang's control
//! sequences `~F.P.PadC`: `~w ~p ~s ~c ~b ~B ~e ~f ~g ~n ~i ~~`, field widths
//! (negative: left-justified), precisions and pad characters, `*` taking a number
//! from the arguments. A bad format or a wrong argument is `badarg`, as in Erlang.

use crate::bif::{erlang::int_text, list_arg};
use crate::eprint;
use crate::exception::{Exception, Result};
use crate::runtime::{write_out, Runtime};
use crate::term::Term;

/// How `~p` and `~w` print terms.
#[derive(Clone, Copy, PartialEq)]
pub enum Syntax {
    Erlang,
    Lfe,
}

pub fn register(rt: &mut Runtime) {
    for name in ["format", "fwrite"] {
        rt.register("io", name, 1, |rt, a| {
            print(rt, &a[0], &Term::Nil, Syntax::Erlang)
        });
        rt.register("io", name, 2, |rt, a| {
            print(rt, &a[0], &a[1], Syntax::Erlang)
        });
    }
    // No lfe_io:format/1: LFE 2 has format/2,3 only (a call of /1 is undefined there).
    rt.register("lfe_io", "format", 2, |rt, a| {
        print(rt, &a[0], &a[1], Syntax::Lfe)
    });
    rt.register("lfe_io", "fwrite", 2, |rt, a| {
        print(rt, &a[0], &a[1], Syntax::Lfe)
    });
    rt.register("io_lib", "format", 2, |_, a| {
        Ok(Term::string(&format(
            &chars(&a[0])?,
            &list_arg(&a[1])?,
            Syntax::Erlang,
        )?))
    });
    rt.register("lfe_io", "format1", 2, |_, a| {
        Ok(Term::string(&format(
            &chars(&a[0])?,
            &list_arg(&a[1])?,
            Syntax::Lfe,
        )?))
    });
    rt.register("io", "nl", 0, |rt, _| {
        write_out(rt, "\n")?;
        Ok(Term::Atom(crate::atom::Atom::OK))
    });
    rt.register("io", "put_chars", 1, |rt, a| {
        let s = chars(&a[0])?;
        write_out(rt, &s)?;
        Ok(Term::Atom(crate::atom::Atom::OK))
    });
    rt.register("lfe_io", "print", 1, |rt, a| {
        write_out(rt, &eprint::lfe(&a[0], false))?;
        Ok(Term::Atom(crate::atom::Atom::OK))
    });
    rt.register("lfe_io", "prettyprint", 1, |rt, a| {
        write_out(rt, &eprint::lfe(&a[0], true))?;
        Ok(Term::Atom(crate::atom::Atom::OK))
    });
}

fn print(rt: &mut Runtime, fmt: &Term, args: &Term, syntax: Syntax) -> Result<Term> {
    let s = format(&chars(fmt)?, &list_arg(args)?, syntax)?;
    write_out(rt, &s)?;
    Ok(Term::Atom(crate::atom::Atom::OK))
}

/// The characters of a string, binary (UTF-8), atom or nested list of those (an
/// iolist/chardata), for format strings and `~s`.
pub fn chars(t: &Term) -> Result<String> {
    let mut out = String::new();
    let mut stack = vec![t.clone()];
    while let Some(x) = stack.pop() {
        match x {
            Term::Nil => {}
            Term::Cons(c) => {
                stack.push(c.tail.clone());
                stack.push(c.head.clone());
            }
            Term::Int(i) => out.push(
                u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(Exception::badarg)?,
            ),
            Term::Bin(b) if b.is_binary() => out.push_str(&String::from_utf8_lossy(&b.bytes())),
            Term::Atom(a) => out.push_str(a.name()),
            _ => return Err(Exception::badarg()),
        }
    }
    Ok(out)
}

/// Formats `args` by the control string `fmt`.
pub fn format(fmt: &str, args: &[Term], syntax: Syntax) -> Result<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut it = fmt.chars().peekable();
    while let Some(c) = it.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        // ~F.P.PadC: each part may be absent or `*` (taken from the arguments).
        let mut num = |it: &mut std::iter::Peekable<std::str::Chars>| -> Result<Option<i64>> {
            if it.peek() == Some(&'*') {
                it.next();
                return match args.next() {
                    Some(Term::Int(n)) => Ok(Some(*n)),
                    _ => Err(Exception::badarg()),
                };
            }
            let neg = if it.peek() == Some(&'-') {
                it.next();
                true
            } else {
                false
            };
            let mut n: Option<i64> = None;
            while let Some(d) = it.peek().and_then(|c| c.to_digit(10)) {
                it.next();
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as i64));
            }
            Ok(n.map(|n| if neg { -n } else { n }))
        };
        let width = num(&mut it)?;
        let mut precision = None;
        let mut pad = ' ';
        if it.peek() == Some(&'.') {
            it.next();
            precision = num(&mut it)?;
            if it.peek() == Some(&'.') {
                it.next();
                pad = it.next().ok_or_else(Exception::badarg)?;
            }
        }
        // The t (Unicode) and l (no string detection) modifiers.
        let mut no_strings = false;
        while matches!(it.peek(), Some('t') | Some('l')) {
            no_strings |= it.next() == Some('l');
        }
        let control = it.next().ok_or_else(Exception::badarg)?;
        let mut arg = || args.next().ok_or_else(Exception::badarg);
        let field = match control {
            '~' => "~".to_string(),
            'n' => "\n".to_string(),
            'c' => {
                let Term::Int(code) = arg()? else {
                    return Err(Exception::badarg());
                };
                let ch = u32::try_from(*code)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(Exception::badarg)?;
                // ~Nc repeats the character N times.
                let n = width.unwrap_or(1).unsigned_abs() as usize;
                out.push_str(&ch.to_string().repeat(n.min(1 << 20)));
                continue;
            }
            's' => {
                let mut s = chars(arg()?)?;
                let limit = precision.or(width.map(i64::abs));
                if let Some(p) = limit {
                    s = s.chars().take(p.max(0) as usize).collect();
                }
                s
            }
            'w' => term_text(arg()?, syntax, false),
            'p' if syntax == Syntax::Erlang && !no_strings => {
                // Laid out from the current column.
                let col = out.rsplit('\n').next().map_or(0, |l| l.chars().count());
                crate::epretty::pretty(arg()?, col)
            }
            'p' if syntax == Syntax::Lfe => {
                let col = out.rsplit('\n').next().map_or(0, |l| l.chars().count());
                crate::eprint::lfe_pretty(arg()?, -1, col, 80)
            }
            'p' => term_text(arg()?, syntax, !no_strings),
            'i' => {
                arg()?;
                continue;
            }
            'b' | 'B' | 'x' | 'X' | '#' | '+' => {
                // ~B/~b: digits; ~X/~x: a prefix argument before them; ~#/~+: Erlang's
                // `Base#` before them. Lower-case letters for b, x and +.
                let t = arg()?.clone();
                let prefix = match control {
                    'x' | 'X' => chars(arg()?)?,
                    _ => String::new(),
                };
                let base = precision.unwrap_or(10);
                if !(2..=36).contains(&base) {
                    return Err(Exception::badarg());
                }
                let mut digits = int_text(&t, base as u32)?;
                if matches!(control, 'b' | 'x' | '+') {
                    digits = digits.to_lowercase();
                }
                let (sign, digits) = match digits.strip_prefix('-') {
                    Some(d) => ("-", d.to_string()),
                    None => ("", digits),
                };
                match control {
                    '#' | '+' => format!("{sign}{base}#{digits}"),
                    _ => format!("{sign}{prefix}{digits}"),
                }
            }
            'f' | 'e' | 'g' => {
                let Term::Float(f) = arg()? else {
                    return Err(Exception::badarg());
                };
                let p = precision.unwrap_or(6);
                // Erlang's least precisions: one digit for ~f and ~g, two for ~e.
                let least = if control == 'e' { 2 } else { 1 };
                if p < least {
                    return Err(Exception::badarg());
                }
                let p = p.min(1000) as usize;
                match control {
                    'f' => float_fixed(*f, p),
                    'e' => float_sci(*f, p),
                    _ => float_g(*f, p),
                }
            }
            _ => return Err(Exception::badarg()),
        };
        out.push_str(&justify(field, width, pad));
    }
    if args.next().is_some() {
        return Err(Exception::badarg());
    }
    Ok(out)
}

fn term_text(t: &Term, syntax: Syntax, pretty: bool) -> String {
    match syntax {
        Syntax::Erlang => eprint::erlang(t, pretty),
        Syntax::Lfe => eprint::lfe(t, pretty),
    }
}

/// Pads `s` to `width` (right-justified; left for a negative width).
fn justify(s: String, width: Option<i64>, pad: char) -> String {
    let Some(w) = width else { return s };
    let n = s.chars().count();
    let target = w.unsigned_abs().min(1 << 20) as usize;
    if n >= target {
        return s;
    }
    let fill: String = std::iter::repeat_n(pad, target - n).collect();
    if w < 0 {
        s + &fill
    } else {
        fill + &s
    }
}

/// Rounds a decimal digit string at `keep` digits, half away from zero (Erlang
/// rounds the exact decimal value of the float). Returns the digits and whether a
/// carry added a leading digit.
fn round_digits(digits: &str, keep: usize) -> (String, bool) {
    let bytes: Vec<u8> = digits.bytes().collect();
    if keep >= bytes.len() {
        let mut s = digits.to_string();
        s.extend(std::iter::repeat_n('0', keep - bytes.len()));
        return (s, false);
    }
    let mut kept: Vec<u8> = bytes[..keep].to_vec();
    if bytes[keep] >= b'5' {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                return (String::from_utf8_lossy(&kept).into_owned(), true);
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    (String::from_utf8_lossy(&kept).into_owned(), false)
}

/// The exact decimal digits of `|f|` and the position of the point: `f` =
/// 0.DIGITS * 10^point.
fn exact_digits(f: f64) -> (String, i64) {
    // 1100 decimals hold every f64 exactly.
    let s = format!("{:.1100}", f.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let all = format!("{int}{frac}");
    let lead = all.bytes().take_while(|b| *b == b'0').count();
    if lead == all.len() {
        return ("0".to_string(), 1);
    }
    let point = int.len() as i64 - lead as i64;
    (all[lead..].trim_end_matches('0').to_string(), point)
}

/// `~.Pf`.
pub fn float_fixed(f: f64, p: usize) -> String {
    let (digits, point) = exact_digits(f);
    let sign = if f.is_sign_negative() && f != 0.0 {
        "-"
    } else {
        ""
    };
    // Digits before the point, padded so the point is inside.
    let padded = if point <= 0 {
        format!("{}{}", "0".repeat((1 - point) as usize), digits)
    } else {
        digits.clone()
    };
    let int_len = if point <= 0 { 1 } else { point as usize };
    let (rounded, carried) = round_digits(&padded, int_len + p);
    let int_len = int_len + carried as usize;
    let (int, frac) = rounded.split_at(int_len);
    let int = if int.is_empty() { "0" } else { int };
    if p == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// `~.Pe`: P significant digits.
pub fn float_sci(f: f64, p: usize) -> String {
    let sign = if f.is_sign_negative() && f != 0.0 {
        "-"
    } else {
        ""
    };
    if f == 0.0 {
        return format!("{sign}0.{}e+0", "0".repeat(p - 1));
    }
    let (digits, point) = exact_digits(f);
    let (rounded, carried) = round_digits(&digits, p);
    let exp = point - 1 + carried as i64;
    let rounded = &rounded[..p];
    let es = if exp < 0 { "-" } else { "+" };
    format!(
        "{sign}{}.{}e{es}{}",
        &rounded[..1],
        &rounded[1..],
        exp.abs()
    )
}

/// `~.Pg`: P significant digits, `~f` style when the magnitude allows (0.1 <= |f| <
/// 10000 and enough digits), else `~e` style (with at least two digits), as
/// `io_lib_format` decides.
pub fn float_g(f: f64, p: usize) -> String {
    let a = f.abs();
    // The decimal exponent for the magnitudes where `~f` style is possible.
    let e: Option<i64> = [0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0]
        .iter()
        .position(|limit| a < *limit)
        .map(|i| i as i64 - 2);
    let p = p as i64;
    match e {
        Some(e) if (p <= 1 && e == -1) || (p - 1 > e && e >= -1) => {
            float_fixed(f, (p - 1 - e) as usize)
        }
        _ if p <= 1 => float_sci(f, 2),
        _ => float_sci(f, p as usize),
    }
}
