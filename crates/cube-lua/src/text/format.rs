//! The `printf` engine behind `string.format`, following Lua 5.2.4's `str_format` over glibc.
//!
//! Lua scans each `%` item itself (at most five flag characters from `-+ #0`, a width and a
//! precision of at most two digits each) and hands the item to C's `sprintf`; this module
//! does both halves. The engine never touches Lua values: it asks a [`FormatArgs`] for the
//! argument of each item, converted the way the conversion needs it, so the VM decides about
//! coercions, `__tostring` and its own error wording.
//!
//! Lua-specific behaviour kept here:
//! * the argument count is checked *before* the item is parsed (`"%y"` with no argument is a
//!   "no value" error, not an invalid option);
//! * `%d`/`%i` convert the double to a 64-bit integer as x86-64 does (out of range gives
//!   `i64::MIN`) and reject it unless the difference is below 1 ("not a number in proper
//!   range"); `%o %u %x %X` do the same with the unsigned conversion ("not a non-negative
//!   number in proper range"); `%c` truncates to a byte;
//! * `%s` stops at an embedded NUL (C strings) unless it has no precision and the string is
//!   100 bytes or longer, in which case it is added whole, width ignored;
//! * `%q` ignores flags, width and precision.

use std::borrow::Cow;
use std::fmt;

use super::float::{push_decimal, write_exp, write_fixed, write_general, write_hex};

/// The arguments of one `string.format` call, seen from the engine.
///
/// Indices are Lua argument positions: the format string is argument 1, so the first value
/// to format is argument 2. The engine only asks for indices up to `count() + 1`.
pub trait FormatArgs {
    /// How many arguments follow the format string.
    fn count(&self) -> usize;
    /// Argument `i` as a number (`luaL_checknumber`: numbers, and strings that convert).
    fn number(&mut self, i: usize) -> Result<f64, FormatError>;
    /// Argument `i` as a string for `%s` (`luaL_tolstring`: `tostring` with `__tostring`).
    fn string(&mut self, i: usize) -> Result<Cow<'_, [u8]>, FormatError>;
    /// Argument `i` as a string for `%q` (`luaL_checklstring`: strings and numbers only).
    fn q_string(&mut self, i: usize) -> Result<Cow<'_, [u8]>, FormatError>;
}

/// A `string.format` error; [`FormatError::message`] gives Lua's exact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// `bad argument #arg to 'format' (msg)`, e.g. msg = `number expected, got string`.
    BadArgument { arg: usize, msg: String },
    /// `invalid option '%c' to 'format'` (the byte may be NUL or non-ASCII).
    InvalidOption(u8),
    /// `invalid format (repeated flags)`: six or more flag characters.
    RepeatedFlags,
    /// `invalid format (width or precision too long)`: three or more digits.
    TooLong,
}

impl FormatError {
    /// Argument `arg` is missing (`no value`).
    pub fn no_value(arg: usize) -> Self {
        Self::BadArgument {
            arg,
            msg: "no value".into(),
        }
    }

    /// Argument `arg` has the wrong type: `number expected, got string`.
    pub fn type_error(arg: usize, expected: &str, got: &str) -> Self {
        Self::BadArgument {
            arg,
            msg: format!("{expected} expected, got {got}"),
        }
    }

    /// Lua's message, as bytes (an invalid option may be any byte).
    pub fn message(&self) -> Vec<u8> {
        match self {
            Self::BadArgument { arg, msg } => {
                format!("bad argument #{arg} to 'format' ({msg})").into_bytes()
            }
            Self::InvalidOption(c) => {
                let mut m = b"invalid option '%".to_vec();
                m.push(*c);
                m.extend_from_slice(b"' to 'format'");
                m
            }
            Self::RepeatedFlags => b"invalid format (repeated flags)".to_vec(),
            Self::TooLong => b"invalid format (width or precision too long)".to_vec(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.message()))
    }
}

impl std::error::Error for FormatError {}

/// The flag characters Lua accepts (`FLAGS` in lstrlib.c).
const FLAGS: &[u8] = b"-+ #0";

/// `%s` arguments at least this long, with no precision, are added whole.
const WHOLE_STRING_LEN: usize = 100;

/// One parsed `%` item: C's flags, width and precision.
#[derive(Clone, Copy, Debug, Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
}

/// `string.format(fmt, ...)`: formats `fmt` with the arguments from `args`.
pub fn format(fmt: &[u8], args: &mut dyn FormatArgs) -> Result<Vec<u8>, FormatError> {
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut arg = 1usize;
    let mut i = 0usize;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        arg += 1;
        if arg > args.count() + 1 {
            return Err(FormatError::no_value(arg));
        }
        let (spec, conv_at) = scan_spec(fmt, i)?;
        // Past the end, C sees the string's terminating NUL.
        let conv = fmt.get(conv_at).copied().unwrap_or(0);
        i = conv_at + 1;
        format_item(&mut out, conv, spec, arg, args)?;
    }
    Ok(out)
}

/// Parses flags, width and precision starting at `i` (Lua's `scanformat`) and returns them
/// with the index of the conversion character.
fn scan_spec(fmt: &[u8], mut i: usize) -> Result<(Spec, usize), FormatError> {
    let at = |k: usize| fmt.get(k).copied().unwrap_or(0);
    let mut spec = Spec::default();
    let flags_start = i;
    while at(i) != 0 && FLAGS.contains(&at(i)) {
        match at(i) {
            b'-' => spec.left = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.alt = true,
            _ => spec.zero = true,
        }
        i += 1;
    }
    if i - flags_start > FLAGS.len() {
        return Err(FormatError::RepeatedFlags);
    }
    let (width, next) = scan_two_digits(fmt, i);
    spec.width = width;
    i = next;
    if at(i) == b'.' {
        let (prec, next) = scan_two_digits(fmt, i + 1);
        spec.prec = Some(prec);
        i = next;
    }
    if at(i).is_ascii_digit() {
        return Err(FormatError::TooLong);
    }
    Ok((spec, i))
}

/// Reads up to two decimal digits at `i`; returns their value (0 if none) and the next index.
fn scan_two_digits(fmt: &[u8], mut i: usize) -> (usize, usize) {
    let mut v = 0;
    for _ in 0..2 {
        match fmt.get(i) {
            Some(&d) if d.is_ascii_digit() => {
                v = v * 10 + usize::from(d - b'0');
                i += 1;
            }
            _ => break,
        }
    }
    (v, i)
}

/// Formats one item with conversion `conv` for argument `arg`.
fn format_item(
    out: &mut Vec<u8>,
    conv: u8,
    spec: Spec,
    arg: usize,
    args: &mut dyn FormatArgs,
) -> Result<(), FormatError> {
    match conv {
        b'c' => {
            let byte = c_int_cast(args.number(arg)?) as u8;
            pad(out, spec, &[], 0, &[byte]);
        }
        b'd' | b'i' => {
            let n = args.number(arg)?;
            let v = signed_conversion(n).ok_or_else(|| FormatError::BadArgument {
                arg,
                msg: "not a number in proper range".into(),
            })?;
            format_signed(out, spec, v);
        }
        b'o' | b'u' | b'x' | b'X' => {
            let n = args.number(arg)?;
            let v = unsigned_conversion(n).ok_or_else(|| FormatError::BadArgument {
                arg,
                msg: "not a non-negative number in proper range".into(),
            })?;
            format_unsigned(out, spec, conv, v);
        }
        b'e' | b'E' | b'f' | b'g' | b'G' | b'a' | b'A' => {
            let n = args.number(arg)?;
            format_float(out, spec, conv, n);
        }
        b'q' => add_quoted(out, &args.q_string(arg)?),
        b's' => {
            let s = args.string(arg)?;
            if spec.prec.is_none() && s.len() >= WHOLE_STRING_LEN {
                out.extend_from_slice(&s);
            } else {
                // sprintf sees a C string: it ends at the first NUL.
                let s = &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())];
                let s = &s[..spec.prec.map_or(s.len(), |p| p.min(s.len()))];
                pad(out, spec, &[], 0, s);
            }
        }
        _ => return Err(FormatError::InvalidOption(conv)),
    }
    Ok(())
}

/// x86-64's `cvttsd2si`: truncation toward zero, `i64::MIN` for NaN and out-of-range values
/// (what C's `(long long)n` compiles to, and what Lua 5.2.4's range checks rely on).
fn x86_trunc_i64(n: f64) -> i64 {
    // -2^63 <= n < 2^63 after truncation.
    if n > -9223372036854777856.0 && n < 9223372036854775808.0 {
        n as i64
    } else {
        i64::MIN
    }
}

/// `%c`'s `luaL_checkint`: double -> 64-bit integer (x86 truncation) -> C `int`.
fn c_int_cast(n: f64) -> i32 {
    x86_trunc_i64(n) as i32
}

/// `%d`: `(long long)n`, accepted only if `n` differs from it by less than 1.
fn signed_conversion(n: f64) -> Option<i64> {
    let v = x86_trunc_i64(n);
    let diff = n - v as f64;
    (-1.0 < diff && diff < 1.0).then_some(v)
}

/// `%o %u %x %X`: `(unsigned long long)n` as gcc compiles it on x86-64 (values from 2^63
/// are converted after subtracting 2^63), accepted only if it is within 1 of `n`.
fn unsigned_conversion(n: f64) -> Option<u64> {
    const TWO63: f64 = 9223372036854775808.0;
    let v = if n < TWO63 {
        x86_trunc_i64(n) as u64
    } else {
        (x86_trunc_i64(n - TWO63) as u64) ^ (1u64 << 63)
    };
    let diff = n - v as f64;
    (-1.0 < diff && diff < 1.0).then_some(v)
}

/// Appends `prefix`, `zeros` zeros and `body`, padded to the field width with spaces on the
/// left (or right, for `-`), or with zeros after the prefix when the `0` flag applies (the
/// caller folds those into `zeros`).
fn pad(out: &mut Vec<u8>, spec: Spec, prefix: &[u8], zeros: usize, body: &[u8]) {
    let len = prefix.len() + zeros + body.len();
    let fill = spec.width.saturating_sub(len);
    if !spec.left {
        out.resize(out.len() + fill, b' ');
    }
    out.extend_from_slice(prefix);
    out.resize(out.len() + zeros, b'0');
    out.extend_from_slice(body);
    if spec.left {
        out.resize(out.len() + fill, b' ');
    }
}

/// The sign prefix C prints for a value: `-`, `+` (flag `+`), ` ` (flag space) or nothing.
fn sign_prefix(spec: Spec, negative: bool) -> &'static [u8] {
    if negative {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    }
}

/// Zeros to add for an integer: the precision's minimum digit count, or, with the `0` flag,
/// no `-` and no precision, enough to fill the width.
fn integer_zeros(spec: Spec, prefix_len: usize, digits: usize) -> usize {
    match spec.prec {
        Some(p) => p.saturating_sub(digits),
        None if spec.zero && !spec.left => spec.width.saturating_sub(prefix_len + digits),
        None => 0,
    }
}

/// `%d` / `%i` of an integer (`#` has no effect).
fn format_signed(out: &mut Vec<u8>, spec: Spec, v: i64) {
    let mut buf = Vec::with_capacity(20);
    // C prints no digits for a zero value with precision 0.
    if !(v == 0 && spec.prec == Some(0)) {
        push_decimal(&mut buf, v.unsigned_abs());
    }
    let prefix = sign_prefix(spec, v < 0);
    let zeros = integer_zeros(spec, prefix.len(), buf.len());
    pad(out, spec, prefix, zeros, &buf);
}

/// `%o %u %x %X` of an unsigned integer; `+` and space have no effect, `#` adds a leading
/// `0` (octal) or `0x` (hex, non-zero values only).
fn format_unsigned(out: &mut Vec<u8>, spec: Spec, conv: u8, v: u64) {
    let mut buf = [0u8; 22];
    let mut n = buf.len();
    let (radix, digits): (u64, &[u8; 16]) = match conv {
        b'o' => (8, b"0123456789abcdef"),
        b'u' => (10, b"0123456789abcdef"),
        b'x' => (16, b"0123456789abcdef"),
        _ => (16, b"0123456789ABCDEF"),
    };
    if !(v == 0 && spec.prec == Some(0)) {
        let mut x = v;
        loop {
            n -= 1;
            buf[n] = digits[(x % radix) as usize];
            x /= radix;
            if x == 0 {
                break;
            }
        }
    }
    let body = &buf[n..];
    let prefix: &[u8] = match conv {
        b'x' if spec.alt && v != 0 => b"0x",
        b'X' if spec.alt && v != 0 => b"0X",
        _ => b"",
    };
    let mut zeros = integer_zeros(spec, prefix.len(), body.len());
    if conv == b'o' && spec.alt && zeros == 0 && body.first() != Some(&b'0') {
        zeros = 1;
    }
    pad(out, spec, prefix, zeros, body);
}

/// `%e %E %f %g %G %a %A` of a double, including glibc's `inf`/`nan` spellings (which are
/// never zero-padded).
fn format_float(out: &mut Vec<u8>, spec: Spec, conv: u8, n: f64) {
    let upper = conv.is_ascii_uppercase();
    let prefix = sign_prefix(spec, n.is_sign_negative());
    let mut body = Vec::with_capacity(32);
    if !n.is_finite() {
        let word: &[u8] = match (n.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        pad(out, spec, prefix, 0, word);
        return;
    }
    let x = n.abs();
    let mut prefix_buf = [0u8; 3];
    let mut prefix_len = prefix.len();
    prefix_buf[..prefix_len].copy_from_slice(prefix);
    match conv {
        b'e' | b'E' => write_exp(&mut body, x, spec.prec.unwrap_or(6), upper, spec.alt),
        b'f' => write_fixed(&mut body, x, spec.prec.unwrap_or(6), spec.alt),
        b'g' | b'G' => write_general(&mut body, x, spec.prec.unwrap_or(6), upper, spec.alt),
        _ => {
            prefix_buf[prefix_len] = b'0';
            prefix_buf[prefix_len + 1] = if upper { b'X' } else { b'x' };
            prefix_len += 2;
            write_hex(&mut body, x, spec.prec, upper, spec.alt);
        }
    }
    let prefix = &prefix_buf[..prefix_len];
    let zeros = if spec.zero && !spec.left {
        spec.width.saturating_sub(prefix.len() + body.len())
    } else {
        0
    };
    pad(out, spec, prefix, zeros, &body);
}

/// `%q`: Lua's quoting (`addquoted`): `"`, `\` and newline are escaped with a backslash,
/// other control bytes and NUL become `\ddd` (three digits only when a digit follows), and
/// every other byte, including bytes >= 128, is copied.
pub fn add_quoted(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'"' | b'\\' | b'\n' => {
                out.push(b'\\');
                out.push(c);
            }
            _ if c.is_ascii_control() => {
                out.push(b'\\');
                let next_is_digit = s.get(i + 1).is_some_and(u8::is_ascii_digit);
                if next_is_digit {
                    out.push(b'0' + c / 100);
                    out.push(b'0' + c / 10 % 10);
                    out.push(b'0' + c % 10);
                } else {
                    push_decimal(out, u64::from(c));
                }
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::text::number::{fmt_number, str_to_number};

    /// A Lua value as the test harness's `FormatArgs` sees it.
    #[derive(Clone, Debug)]
    pub(crate) enum Arg {
        Num(f64),
        Str(Vec<u8>),
        /// Any other value, by type name (`table`, `boolean`, ...).
        Other(&'static str),
    }

    /// Lua 5.2's coercions for `luaL_checknumber` / `luaL_tolstring` / `luaL_checklstring`.
    pub(crate) struct Args(pub Vec<Arg>);

    impl Args {
        fn get(&self, i: usize) -> Result<&Arg, FormatError> {
            self.0.get(i - 2).ok_or(FormatError::no_value(i))
        }
    }

    impl FormatArgs for Args {
        fn count(&self) -> usize {
            self.0.len()
        }
        fn number(&mut self, i: usize) -> Result<f64, FormatError> {
            match self.get(i)? {
                Arg::Num(n) => Ok(*n),
                Arg::Str(s) => {
                    str_to_number(s).ok_or(FormatError::type_error(i, "number", "string"))
                }
                Arg::Other(t) => Err(FormatError::type_error(i, "number", t)),
            }
        }
        fn string(&mut self, i: usize) -> Result<Cow<'_, [u8]>, FormatError> {
            match self.get(i)? {
                Arg::Num(n) => Ok(Cow::Owned(fmt_number(*n).into_bytes())),
                Arg::Str(s) => Ok(Cow::Borrowed(s)),
                Arg::Other(t) => Ok(Cow::Owned(format!("{t}: 0x0").into_bytes())),
            }
        }
        fn q_string(&mut self, i: usize) -> Result<Cow<'_, [u8]>, FormatError> {
            match self.get(i)? {
                Arg::Num(n) => Ok(Cow::Owned(fmt_number(*n).into_bytes())),
                Arg::Str(s) => Ok(Cow::Borrowed(s)),
                Arg::Other(t) => Err(FormatError::type_error(i, "string", t)),
            }
        }
    }

    fn n(x: f64) -> Arg {
        Arg::Num(x)
    }

    fn s(x: &str) -> Arg {
        Arg::Str(x.as_bytes().to_vec())
    }

    /// `string.format(fmt, args...)` as a lossless byte result or Lua's error message.
    fn fmt(f: &str, args: &[Arg]) -> Result<Vec<u8>, Vec<u8>> {
        format(f.as_bytes(), &mut Args(args.to_vec())).map_err(|e| e.message())
    }

    fn ok(f: &str, args: &[Arg]) -> String {
        String::from_utf8(fmt(f, args).expect(f)).unwrap()
    }

    fn err(f: &str, args: &[Arg]) -> String {
        String::from_utf8_lossy(&fmt(f, args).expect_err(f)).into_owned()
    }

    #[test]
    fn integers() {
        // lua5.2 outputs for string.format(fmt, arg).
        assert_eq!(ok("%d", &[n(3.7)]), "3");
        assert_eq!(ok("%d", &[n(-3.7)]), "-3");
        assert_eq!(ok("%d", &[n(-2f64.powi(63))]), "-9223372036854775808");
        assert_eq!(ok("%d", &[n(2f64.powi(62))]), "4611686018427387904");
        assert_eq!(
            ok("%d", &[n(2f64.powi(63) - 1024.0)]),
            "9223372036854774784"
        );
        assert_eq!(ok("%d", &[s("10")]), "10");
        assert_eq!(ok("%d", &[s(" 0x10 ")]), "16");
        assert_eq!(ok("%i", &[n(5.0)]), "5");
        assert_eq!(ok("%+ #05d", &[n(3.0)]), "+0003");
        assert_eq!(ok("%.3d", &[n(5.0)]), "005");
        assert_eq!(ok("%.0d", &[n(0.0)]), "");
        assert_eq!(ok("%-05d", &[n(3.0)]), "3    ");
        assert_eq!(ok("% d", &[n(3.0)]), " 3");
        assert_eq!(ok("%+d", &[n(-3.0)]), "-3");
        assert_eq!(ok("%-+ #0d", &[n(1.0)]), "+1");
        assert_eq!(ok("%--5d", &[n(1.0)]), "1    ");
        assert_eq!(ok("%-----5d", &[n(1.0)]), "1    ");
        let range = "bad argument #2 to 'format' (not a number in proper range)";
        for x in [
            2f64.powi(63),
            1e100,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -2f64.powi(63) - 2048.0,
        ] {
            assert_eq!(err("%d", &[n(x)]), range, "{x}");
        }
    }

    #[test]
    fn unsigned() {
        assert_eq!(ok("%u", &[n(3.5)]), "3");
        assert_eq!(ok("%X", &[n(2f64.powi(53))]), "20000000000000");
        assert_eq!(ok("%x", &[n(2f64.powi(63))]), "8000000000000000");
        assert_eq!(ok("%x", &[n(2f64.powi(64) - 2048.0)]), "fffffffffffff800");
        assert_eq!(ok("%x", &[n(-0.5)]), "0");
        assert_eq!(ok("%x", &[n(3.9)]), "3");
        assert_eq!(ok("%o", &[n(8.5)]), "10");
        assert_eq!(ok("%5.0x|", &[n(0.0)]), "     |");
        assert_eq!(ok("%#.0o", &[n(0.0)]), "0");
        assert_eq!(ok("%#5.0x|", &[n(0.0)]), "     |");
        assert_eq!(ok("%+u", &[n(5.0)]), "5");
        assert_eq!(ok("% x", &[n(5.0)]), "5");
        assert_eq!(ok("%#x", &[n(255.0)]), "0xff");
        assert_eq!(ok("%#X", &[n(255.0)]), "0XFF");
        assert_eq!(ok("%#5o", &[n(8.0)]), "  010");
        assert_eq!(ok("%#x", &[n(0.0)]), "0");
        assert_eq!(ok("%#o", &[n(0.0)]), "0");
        assert_eq!(ok("%5.3x", &[n(10.0)]), "  00a");
        assert_eq!(
            ok("%5.2f|%-8x|%#o", &[n(3.14158), n(255.0), n(8.0)]),
            " 3.14|ff      |010"
        );
        let range = "bad argument #2 to 'format' (not a non-negative number in proper range)";
        for x in [
            -1.0,
            2f64.powi(64),
            -1.5,
            f64::NAN,
            1e30,
            -2f64.powi(63),
            -2f64.powi(62),
            -2f64.powi(63) - 4096.0,
        ] {
            assert_eq!(err("%x", &[n(x)]), range, "{x}");
        }
        assert_eq!(err("%u", &[n(-1.0)]), range);
        assert_eq!(err("%o", &[n(-1.0)]), range);
    }

    #[test]
    fn floats() {
        let cases: &[(&str, f64, &str)] = &[
            ("%.0f", 0.5, "0"),
            ("%.0f", 1.5, "2"),
            ("%#.0f", 1.0, "1."),
            ("%.f", 1.5, "2"),
            ("%g", 100000.0, "100000"),
            ("%g", 1000000.0, "1e+06"),
            ("%#g", 1.0, "1.00000"),
            ("%g", 1e-4, "0.0001"),
            ("%g", 1e-5, "1e-05"),
            ("%.0g", 123.0, "1e+02"),
            ("%#.3g", 1.0, "1.00"),
            ("%e", 0.0, "0.000000e+00"),
            ("%e", -0.0, "-0.000000e+00"),
            ("%G", 1e-10, "1E-10"),
            ("%#.0e", 5.0, "5.e+00"),
            ("%#g", 0.0, "0.00000"),
            ("%g", 0.0, "0"),
            ("%g", -0.0, "-0"),
            ("%g", 123456789.0, "1.23457e+08"),
            ("%.3g", 0.0001234, "0.000123"),
            ("%#.3g", 0.0001, "0.000100"),
            ("%G", 1e100, "1E+100"),
            ("%.1g", 0.95, "0.9"),
            ("%.2g", 9.99, "10"),
            ("%.0e", 2.5, "2e+00"),
            ("%.0e", 3.5, "4e+00"),
            ("%.1f", 0.25, "0.2"),
            ("%.1f", 0.35, "0.3"),
            ("%e", 5e-324, "4.940656e-324"),
            ("%g", 5e-324, "4.94066e-324"),
            ("%.17g", 5e-324, "4.9406564584124654e-324"),
            ("%.20f", 0.1, "0.10000000000000000555"),
            ("%.99g", 0.1, "0.1000000000000000055511151231257827021181583404541015625"),
            ("%.99f", 1.0 / 3.0, "0.333333333333333314829616256247390992939472198486328125000000000000000000000000000000000000000000000"),
            ("%99.99e", 1e300, "1.000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864e+300"),
            ("%99.99f", 1.0, "1.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
            ("%g", f64::NAN.copysign(-1.0), "-nan"),
            ("%f", f64::INFINITY, "inf"),
            ("%5.1f", f64::NEG_INFINITY, " -inf"),
            ("%05f", f64::NEG_INFINITY, " -inf"),
            ("%+f", f64::NAN.copysign(-1.0), "-nan"),
            ("%+f", f64::NAN.copysign(1.0), "+nan"),
            ("%E", f64::INFINITY, "INF"),
            ("%010.3f", -3.14158, "-00003.142"),
            ("%-10.2e|", 12345.678, "1.23e+04  |"),
            ("%+.3e", 1.0, "+1.000e+00"),
            ("% f", 1.0, " 1.000000"),
        ];
        for &(f, x, want) in cases {
            assert_eq!(ok(f, &[n(x)]), want, "{f} {x}");
        }
        let big = ok("%f", &[n(1e300)]);
        assert!(big.starts_with("1000000000000000052504760255204420248704468581108159"));
        assert!(big.ends_with("459400540160.000000"));
    }

    #[test]
    fn hex_floats() {
        let cases: &[(&str, f64, &str)] = &[
            ("%a", 1.0, "0x1p+0"),
            ("%A", 0.5, "0X1P-1"),
            ("%a", 0.0, "0x0p+0"),
            ("%a", -0.0, "-0x0p+0"),
            ("%a", f64::INFINITY, "inf"),
            ("%a", f64::NAN.copysign(-1.0), "-nan"),
            ("%a", 5e-324, "0x0.0000000000001p-1022"),
            ("%a", 0.1, "0x1.999999999999ap-4"),
            ("%.3a", 0.1, "0x1.99ap-4"),
            ("%.0a", 1.5, "0x2p+0"),
            ("%.0a", 2.5, "0x1p+1"),
            ("%#.0a", 1.0, "0x1.p+0"),
            ("%20a|", 1.0, "              0x1p+0|"),
            ("%-20A|", 1.0, "0X1P+0              |"),
            ("%020a", 1.0, "0x000000000000001p+0"),
            ("%+a", 1.0, "+0x1p+0"),
            ("% a", 1.0, " 0x1p+0"),
            ("%.1a", 1.96875, "0x2.0p+0"),
            ("%a", 2.2250738585072014e-308, "0x1p-1022"),
            ("%a", 1e-310, "0x0.012688b70e62bp-1022"),
            ("%.2a", 1e-310, "0x0.01p-1022"),
            ("%.20a", 1.0, "0x1.00000000000000000000p+0"),
            ("%.1a", 1.15625, "0x1.2p+0"),
            ("%.1a", 1.21875, "0x1.4p+0"),
            ("%.0a", 3.5, "0x2p+1"),
        ];
        for &(f, x, want) in cases {
            assert_eq!(ok(f, &[n(x)]), want, "{f} {x}");
        }
    }

    #[test]
    fn chars_and_strings() {
        assert_eq!(ok("%c%c%c", &[n(65.0), n(66.9), n(256.0 + 67.0)]), "ABC");
        assert_eq!(ok("%5c|%-3c|", &[n(65.0), n(66.0)]), "    A|B  |");
        assert_eq!(fmt("%c", &[n(0.0)]).unwrap(), b"\0");
        assert_eq!(fmt("%5c", &[n(0.0)]).unwrap(), b"    \0");
        assert_eq!(fmt("%c", &[n(1e100)]).unwrap(), b"\0");
        assert_eq!(fmt("%c", &[n(-1.0)]).unwrap(), b"\xff");
        assert_eq!(ok("%05c", &[n(65.0)]), "    A");
        assert_eq!(ok("%.3c", &[n(65.0)]), "A");
        assert_eq!(
            ok(
                "%5s|%-5s|%.2s|%5.1s|",
                &[s("ab"), s("ab"), s("abc"), s("xyz")]
            ),
            "   ab|ab   |ab|    x|"
        );
        assert_eq!(ok("%10.3s|", &[s("abcdef")]), "       abc|");
        assert_eq!(ok("%s", &[s("a\0b")]), "a");
        assert_eq!(ok("%5s", &[s("a\0b")]), "    a");
        assert_eq!(ok("%05s", &[s("ab")]), "   ab");
        assert_eq!(ok("%+s", &[s("ab")]), "ab");
        assert_eq!(ok("%#s", &[s("ab")]), "ab");
        assert_eq!(ok("%s %s", &[n(1.0), n(2.5)]), "1 2.5");
        let long = "x".repeat(100);
        assert_eq!(ok("%10s", &[s(&long)]), long);
        let mut with_nul = vec![b'y'; 150];
        with_nul[3] = 0;
        // No precision and >= 100 bytes: added whole, NULs included.
        assert_eq!(fmt("%s", &[Arg::Str(with_nul.clone())]).unwrap(), with_nul);
        assert_eq!(
            fmt("%-1s", &[Arg::Str(with_nul.clone())]).unwrap(),
            with_nul
        );
        assert_eq!(ok("%.50s", &[Arg::Str(with_nul)]), "yyy");
        assert_eq!(ok("%.3s", &[s(&long)]), "xxx");
        assert_eq!(ok("%%|", &[]), "%|");
        assert_eq!(ok("%s", &[Arg::Other("table")]), "table: 0x0");
    }

    #[test]
    fn quoted() {
        // lua5.2 -e 'io.write(string.format("%q", "\0001\0a\r\n\t\127\200\255\1\0019\031"))'
        let got = fmt(
            "%q",
            &[Arg::Str(
                b"\x001\0a\r\n\t\x7f\xc8\xff\x01\x019\x1f".to_vec(),
            )],
        );
        assert_eq!(
            got.unwrap(),
            b"\"\\0001\\0a\\13\\\n\\9\\127\xc8\xff\\1\\0019\\31\""
        );
        assert_eq!(ok("%q", &[s("a\"b\\c")]), r#""a\"b\\c""#);
        assert_eq!(ok("%q", &[n(1e100)]), "\"1e+100\"");
        assert_eq!(ok("%q", &[n(1.0 / 3.0)]), "\"0.33333333333333\"");
        assert_eq!(ok("%q", &[n(f64::INFINITY)]), "\"inf\"");
        assert_eq!(ok("%q", &[n(12.0)]), "\"12\"");
        assert_eq!(ok("%5q", &[s("a")]), "\"a\"");
        assert_eq!(ok("%-q", &[s("a")]), "\"a\"");
        assert_eq!(ok("%.3q", &[s("a")]), "\"a\"");
        assert_eq!(
            err("%q", &[Arg::Other("boolean")]),
            "bad argument #2 to 'format' (string expected, got boolean)"
        );
    }

    #[test]
    fn errors() {
        let cases: &[(&str, &[Arg], &[u8])] = &[
            (
                "%d",
                &[Arg::Str(b"x".to_vec())],
                b"bad argument #2 to 'format' (number expected, got string)",
            ),
            ("%d", &[], b"bad argument #2 to 'format' (no value)"),
            (
                "%d",
                &[Arg::Other("table")],
                b"bad argument #2 to 'format' (number expected, got table)",
            ),
            ("%y", &[Arg::Num(1.0)], b"invalid option '%y' to 'format'"),
            // The argument check comes before the option is looked at.
            ("%y", &[], b"bad argument #2 to 'format' (no value)"),
            ("%5%", &[], b"bad argument #2 to 'format' (no value)"),
            ("%5%", &[Arg::Num(1.0)], b"invalid option '%%' to 'format'"),
            (
                "%------5d",
                &[Arg::Num(1.0)],
                b"invalid format (repeated flags)",
            ),
            (
                "%123d",
                &[Arg::Num(1.0)],
                b"invalid format (width or precision too long)",
            ),
            (
                "%1.123d",
                &[Arg::Num(1.0)],
                b"invalid format (width or precision too long)",
            ),
            (
                "%.123d",
                &[Arg::Num(1.0)],
                b"invalid format (width or precision too long)",
            ),
            ("%", &[Arg::Num(1.0)], b"invalid option '%\0' to 'format'"),
            ("%5", &[Arg::Num(1.0)], b"invalid option '%\0' to 'format'"),
            ("a%", &[Arg::Num(1.0)], b"invalid option '%\0' to 'format'"),
            ("%5.", &[Arg::Num(1.0)], b"invalid option '%\0' to 'format'"),
            ("%.", &[Arg::Num(1.5)], b"invalid option '%\0' to 'format'"),
            ("%s", &[], b"bad argument #2 to 'format' (no value)"),
            (
                "%d %d",
                &[Arg::Num(1.0)],
                b"bad argument #3 to 'format' (no value)",
            ),
            (
                "%\u{e9}",
                &[Arg::Num(1.0)],
                b"invalid option '%\xc3' to 'format'",
            ),
        ];
        for (f, args, want) in cases {
            let got = fmt(f, args).expect_err(f);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(want),
                "{f}"
            );
        }
        assert_eq!(
            FormatError::InvalidOption(b'y').to_string(),
            "invalid option '%y' to 'format'"
        );
    }
}
