//! Numbers as text and text as numbers, exactly as PUC-Rio Lua 5.2.4 on glibc does it.
//!
//! * [`fmt_number`] / [`write_number`]: `tostring(n)`, i.e. C's `"%.14g"` (`LUA_NUMBER_FMT`).
//! * [`str_to_number`]: `luaO_str2d`, used by `tonumber(s)`, arithmetic coercion and the
//!   lexer: C `strtod` syntax for decimals and hexadecimals, surrounding whitespace allowed,
//!   `inf`/`nan` rejected.
//! * [`str_to_number_base`]: `tonumber(s, base)`, whose digit loop accumulates in a double.

use super::float::{push_decimal, write_general};

/// Significant digits of `LUA_NUMBER_FMT` (`"%.14g"`).
const NUMBER_DIGITS: usize = 14;

/// Integral values below this magnitude print as plain integers under `%.14g`; from 1e14 on
/// `%.14g` switches to exponent form (`1e+14`), so only smaller ones take the fast path.
const INTEGER_FAST_LIMIT: f64 = 1e14;

/// `tostring(n)` for a Lua number: C's `"%.14g"` as glibc prints it.
///
/// Examples: `100`, `-0`, `0.1`, `1e+15`, `9.007199254741e+15`, `inf`, `-nan`.
pub fn fmt_number(n: f64) -> String {
    let mut v = Vec::with_capacity(24);
    write_number(&mut v, n);
    // The output is ASCII by construction.
    String::from_utf8(v).unwrap_or_default()
}

/// Appends `tostring(n)` to `out` (the allocation-free form for `tostring` and `..`).
///
/// Integral values with magnitude below 1e14 (the common case: counters, indices) are
/// written by a plain integer-to-decimal loop; everything else goes through `%.14g`.
pub fn write_number(out: &mut Vec<u8>, n: f64) {
    // `as` saturates and maps NaN to 0, so the round trip holds only for integral values;
    // this avoids a call to `trunc`, which is not an instruction on baseline x86-64.
    let i = n as i64;
    if i as f64 == n && n.abs() < INTEGER_FAST_LIMIT {
        if i < 0 || (i == 0 && n.is_sign_negative()) {
            out.push(b'-');
        }
        push_decimal(out, i.unsigned_abs());
        return;
    }
    if n.is_sign_negative() {
        out.push(b'-');
    }
    if n.is_nan() {
        // glibc prints the sign bit of a NaN: on x86 `0/0` yields a negative NaN ("-nan").
        out.extend_from_slice(b"nan");
    } else if n.is_infinite() {
        out.extend_from_slice(b"inf");
    } else {
        write_general(out, n.abs(), NUMBER_DIGITS, false, false);
    }
}

/// C's `isspace` in the "C" locale (also Lua's `lisspace`).
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Lua 5.2's string-to-number conversion (`luaO_str2d`), or `None` if `s` is not a numeral.
///
/// Accepts what glibc's `strtod` accepts apart from the `inf`/`nan` words (Lua rejects any
/// string containing `n`/`N`): optional whitespace, an optional sign, then either a decimal
/// numeral (`12`, `1.`, `.5`, `1e-3`) or a hexadecimal one (`0x10`, `0xA.8`, `0x.1`,
/// `0x1p-4`), then optional whitespace. Both are correctly rounded (Debian's 5.2 delegates
/// hex to `strtod`); out-of-range values give ±inf or ±0 as `strtod` does.
pub fn str_to_number(s: &[u8]) -> Option<f64> {
    let mut i = skip_space(s, 0);
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let hex = s.get(i) == Some(&b'0') && matches!(s.get(i + 1), Some(b'x' | b'X'));
    let (value, end) = if hex {
        parse_hex(s, i + 2)?
    } else {
        parse_decimal(s, i)?
    };
    if skip_space(s, end) != s.len() {
        return None;
    }
    Some(if neg { -value } else { value })
}

/// Index of the first non-space byte at or after `i`.
fn skip_space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    i
}

/// Index of the first non-digit byte at or after `i`.
fn skip_digits(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// Parses an unsigned decimal numeral starting at `start` (strtod's grammar) and returns its
/// correctly rounded value and the index after it.
///
/// The syntax is validated here; the rounding is left to Rust's `f64` parser, which accepts
/// a superset of this grammar. An `e` without exponent digits is not part of the numeral
/// (strtod would stop before it), and since Lua then requires the rest to be whitespace, such
/// input is rejected by the caller.
fn parse_decimal(s: &[u8], start: usize) -> Option<(f64, usize)> {
    let int_end = skip_digits(s, start);
    let mut end = int_end;
    let mut digits = int_end - start;
    if s.get(end) == Some(&b'.') {
        let frac_end = skip_digits(s, end + 1);
        digits += frac_end - end - 1;
        end = frac_end;
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(end), Some(b'e' | b'E')) {
        let mut j = end + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_end = skip_digits(s, j);
        if exp_end > j {
            end = exp_end;
        }
    }
    // Validated ASCII, so the conversion cannot fail.
    let text = std::str::from_utf8(&s[start..end]).ok()?;
    Some((text.parse::<f64>().ok()?, end))
}

/// Parses the part of a hexadecimal numeral after `0x` (strtod's grammar): hex digits with an
/// optional point (at least one digit overall), then an optional binary exponent `p[+-]ddd`.
/// Returns the correctly rounded value and the index after the numeral.
fn parse_hex(s: &[u8], start: usize) -> Option<(f64, usize)> {
    let mut acc = HexAccumulator::default();
    let mut i = start;
    let mut digits = 0usize;
    while let Some(d) = s.get(i).and_then(|&c| hex_digit(c)) {
        acc.push(d, false);
        digits += 1;
        i += 1;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = s.get(i).and_then(|&c| hex_digit(c)) {
            acc.push(d, true);
            digits += 1;
            i += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    let mut end = i;
    let mut exp: i64 = 0;
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let mut j = i + 1;
        let neg = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let exp_end = skip_digits(s, j);
        if exp_end > j {
            for &c in &s[j..exp_end] {
                // Saturate: anything this large is already ±inf or 0.
                exp = (exp * 10 + i64::from(c - b'0')).min(1 << 40);
            }
            if neg {
                exp = -exp;
            }
            end = exp_end;
        }
    }
    Some((acc.finish(exp), end))
}

/// Value of an ASCII hex digit.
fn hex_digit(c: u8) -> Option<u64> {
    (c as char).to_digit(16).map(u64::from)
}

/// Collects the significant bits of a hex mantissa: up to 60 bits exactly, the rest folded
/// into a sticky bit, which is all correct rounding needs.
#[derive(Default)]
struct HexAccumulator {
    /// Leading significant bits (fewer than 2^60).
    mantissa: u64,
    /// Binary exponent applying to `mantissa`.
    exp: i64,
    /// Whether any non-zero digit was dropped.
    sticky: bool,
}

impl HexAccumulator {
    /// Adds one hex digit; `fraction` digits scale the value down by 16.
    fn push(&mut self, d: u64, fraction: bool) {
        if self.mantissa < (1 << 56) {
            self.mantissa = self.mantissa * 16 + d;
            if fraction {
                self.exp -= 4;
            }
        } else {
            self.sticky |= d != 0;
            if !fraction {
                self.exp += 4;
            }
        }
    }

    /// Rounds `mantissa * 2^(exp + extra)` to the nearest double, ties to even.
    fn finish(self, extra: i64) -> f64 {
        let m = self.mantissa;
        if m == 0 {
            return 0.0;
        }
        let nbits = i64::from(64 - m.leading_zeros());
        let e = self.exp + extra;
        // Binary exponent of the leading bit.
        let top = e + nbits - 1;
        if top > 1100 {
            return f64::INFINITY;
        }
        if top < -1100 {
            return 0.0;
        }
        // Bits the result can hold: 53, fewer in the subnormal range.
        let keep = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
        let shift = nbits - keep;
        let (kept, scale) = if shift <= 0 {
            (m, e)
        } else if shift > nbits {
            (0, e + shift)
        } else {
            let kept = if shift == 64 { 0 } else { m >> shift };
            let rem = if shift == 64 {
                m
            } else {
                m & ((1u64 << shift) - 1)
            };
            let half = 1u64 << (shift - 1);
            let up = rem > half || (rem == half && (self.sticky || kept & 1 == 1));
            (kept + u64::from(up), e + shift)
        };
        ldexp_exact(kept as f64, scale)
    }
}

/// `x * 2^k` for a value whose result is exactly representable (or overflows to inf), done in
/// steps so that no intermediate result leaves the double range.
fn ldexp_exact(mut x: f64, mut k: i64) -> f64 {
    let up = f64::from_bits(((1023 + 960) as u64) << 52); // 2^960
    let down = f64::from_bits(((1023 - 960) as u64) << 52); // 2^-960
    while k > 960 {
        x *= up;
        k -= 960;
    }
    while k < -960 {
        x *= down;
        k += 960;
    }
    x * f64::from_bits(((1023 + k) as u64) << 52)
}

/// `tonumber(s, base)` for 2 <= base <= 36 (Lua 5.2.4's `luaB_tonumber`), or `None`.
///
/// Optional whitespace, an optional `-` or `+`, at least one alphanumeric digit valid in
/// `base` (letters in either case), optional whitespace, nothing else. The value accumulates
/// as `n * base + digit` in a double, as Lua does, so very long numerals round like Lua's.
/// A base outside 2..=36 yields `None` (Lua raises "base out of range" before converting).
pub fn str_to_number_base(s: &[u8], base: u32) -> Option<f64> {
    if !(2..=36).contains(&base) {
        return None;
    }
    let mut i = skip_space(s, 0);
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    if !s.get(i).is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut n = 0.0f64;
    while let Some(&c) = s.get(i).filter(|c| c.is_ascii_alphanumeric()) {
        let digit = (c as char).to_digit(36).unwrap_or(36);
        if digit >= base {
            return None;
        }
        n = n * f64::from(base) + f64::from(digit);
        i += 1;
    }
    if skip_space(s, i) != s.len() {
        return None;
    }
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tostring_examples_from_lua52() {
        // lua5.2 -e 'print(0/0, -(0/0), 1/0, -1/0, -0.0, 2^53, 1e15, 1e100, 123456789012345,
        //   1e14, 0.1, 1/3, 1e-5, 123.456, -1e15, 2^63, 1e16)'
        let nan = f64::NAN;
        let cases: &[(f64, &str)] = &[
            (-nan.copysign(1.0), "-nan"),
            (nan.copysign(1.0), "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "-0"),
            (2f64.powi(53), "9.007199254741e+15"),
            (1e15, "1e+15"),
            (1e100, "1e+100"),
            (123456789012345.0, "1.2345678901234e+14"),
            (1e14, "1e+14"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.33333333333333"),
            (1e-5, "1e-05"),
            (123.456, "123.456"),
            (-1e15, "-1e+15"),
            (2f64.powi(63), "9.2233720368548e+18"),
            (1e16, "1e+16"),
            (100.0, "100"),
            (0.0, "0"),
            (-7.0, "-7"),
            (99999999999999.0, "99999999999999"),
            (-99999999999999.0, "-99999999999999"),
            (99999999999999.5, "1e+14"),
            (99999999999999.9, "1e+14"),
            (5e-324, "4.9406564584125e-324"),
            (-1.5, "-1.5"),
            (1e-300, "1e-300"),
            (2.5e-5, "2.5e-05"),
            (123456.789e3, "123456789"),
        ];
        for &(n, want) in cases {
            assert_eq!(fmt_number(n), want, "tostring({n:e})");
        }
    }

    #[test]
    fn write_number_appends() {
        let mut v = b"x=".to_vec();
        write_number(&mut v, 42.0);
        write_number(&mut v, 0.5);
        assert_eq!(v, b"x=420.5");
    }

    #[test]
    fn str2d_examples_from_lua52() {
        // Each value checked with lua5.2 -e 'print(tonumber(...))'.
        let cases: &[(&[u8], Option<f64>)] = &[
            (b"inf", None),
            (b"nan", None),
            (b"infinity", None),
            (b"-inf", None),
            (b" 0x1p4 ", Some(16.0)),
            (b"0xA.8", Some(10.5)),
            (b"0x.1", Some(0.0625)),
            (b"-0x10", Some(-16.0)),
            (b"+0x10", Some(16.0)),
            (b"0x", None),
            (b"0x.p1", None),
            (b"0xp1", None),
            (b"0x1P-1", Some(0.5)),
            (b"0X1P+2", Some(4.0)),
            (b"0x1p", None),
            (b"0x1p+", None),
            (b"0x1.p1", Some(2.0)),
            (b"0x1.8", Some(1.5)),
            (b"0x.8p1", Some(1.0)),
            (b"0x1e", Some(30.0)),
            (b"0x1e1", Some(481.0)),
            (b"0x1p1e", None),
            (b"0x-1", None),
            (b"00x1", None),
            (b"  0x  ", None),
            (b"  -0x1p-2  ", Some(-0.25)),
            (b"1e", None),
            (b"1e+", None),
            (b"1e1x", None),
            (b".5", Some(0.5)),
            (b"5.", Some(5.0)),
            (b".", None),
            (b"-.5", Some(-0.5)),
            (b"+5", Some(5.0)),
            (b"1E5", Some(100000.0)),
            (b"1e1", Some(10.0)),
            (b" ", None),
            (b"", None),
            (b"1 2", None),
            (b"\t1\n", Some(1.0)),
            (b"\x0b1\x0c", Some(1.0)),
            (b"1\r", Some(1.0)),
            (b"- 1", None),
            (b"1\0", None),
            (b"1e400", Some(f64::INFINITY)),
            (b"-1e400", Some(f64::NEG_INFINITY)),
            (b"1e-400", Some(0.0)),
            (b"0x1p99999", Some(f64::INFINITY)),
            (b"--1", None),
            (b"1..2", None),
            (b"1.5e+3", Some(1500.0)),
            (b"0.1", Some(0.1)),
        ];
        for &(s, want) in cases {
            assert_eq!(
                str_to_number(s),
                want,
                "tonumber({:?})",
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn hex_is_correctly_rounded_like_strtod() {
        // lua5.2: tonumber("0x200000000000011") == 2^57+32 (round up on sticky bits).
        assert_eq!(
            str_to_number(b"0x200000000000011"),
            Some(2f64.powi(57) + 32.0)
        );
        // Tie to even: 2^53+1 -> 2^53, 2^53+3 -> 2^53+4.
        assert_eq!(str_to_number(b"0x20000000000001"), Some(2f64.powi(53)));
        assert_eq!(
            str_to_number(b"0x20000000000003"),
            Some(2f64.powi(53) + 4.0)
        );
        // lua5.2: 0x1 followed by 300 zeros scaled back by p-1200 is exactly 1.
        let mut s = b"0x1".to_vec();
        s.extend(std::iter::repeat_n(b'0', 300));
        s.extend_from_slice(b"p-1200");
        assert_eq!(str_to_number(&s), Some(1.0));
        // 0x followed by 300 'f' overflows to inf.
        let mut s = b"0x".to_vec();
        s.extend(std::iter::repeat_n(b'f', 300));
        assert_eq!(str_to_number(&s), Some(f64::INFINITY));
        assert_eq!(
            str_to_number(b"0x123456789abcdef0123").map(fmt_number),
            Some("5.3730036427317e+21".to_string())
        );
        // Subnormals and the bottom of the range.
        assert_eq!(str_to_number(b"0x1p-1074"), Some(5e-324));
        assert_eq!(str_to_number(b"0x1p-1075"), Some(0.0));
        assert_eq!(str_to_number(b"0x1.8p-1075"), Some(5e-324));
        assert_eq!(str_to_number(b"0x1.0000000000001p-1075"), Some(5e-324));
        assert_eq!(str_to_number(b"0x3p-1076"), Some(5e-324));
        assert_eq!(str_to_number(b"0x1p-1022"), Some(f64::MIN_POSITIVE));
        assert_eq!(str_to_number(b"0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(
            str_to_number(b"0x1.fffffffffffff8p1023"),
            Some(f64::INFINITY)
        );
        assert_eq!(str_to_number(b"-0x0"), Some(-0.0));
        assert!(str_to_number(b"-0x0").unwrap().is_sign_negative());
    }

    #[test]
    fn tonumber_base_examples_from_lua52() {
        let cases: &[(&[u8], u32, Option<f64>)] = &[
            (b"7fffffff", 16, Some(2147483647.0)),
            (b"1e1", 16, Some(481.0)),
            (b"", 10, None),
            (b" 10 ", 36, Some(36.0)),
            (b"-ff", 16, Some(-255.0)),
            (b"+ff", 16, Some(255.0)),
            (b"zz", 36, Some(1295.0)),
            (b"ZZ", 36, Some(1295.0)),
            (b"8", 8, None),
            (b"1.5", 10, None),
            (b"- 1", 10, None),
            (b"-", 10, None),
            (b"0x10", 16, None),
            (b"10", 2, Some(2.0)),
            (b"0x", 10, None),
            (b"  -7 ", 10, Some(-7.0)),
            (b"1\0", 10, None),
            (b"10", 1, None),
            (b"10", 37, None),
        ];
        for &(s, base, want) in cases {
            assert_eq!(str_to_number_base(s, base), want, "{:?} {base}", s);
        }
        // lua5.2: tonumber("ffffffffffffffffffff", 16) -> 1.2089258196146e+24
        assert_eq!(
            str_to_number_base(b"ffffffffffffffffffff", 16).map(fmt_number),
            Some("1.2089258196146e+24".to_string())
        );
    }
}
