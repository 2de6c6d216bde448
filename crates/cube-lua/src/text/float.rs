//! Digit generation for C's floating conversions (`%e`, `%f`, `%g`, `%a`), as glibc prints them.
//!
//! Every function here appends the *magnitude* of a finite, non-negative double to a byte
//! vector; signs, infinities, NaNs, `0x` prefixes and field padding belong to the callers
//! ([`super::format`] and [`super::number`]). Decimal digits come from Rust's `{:.*e}` and
//! `{:.*}` formatting, which produce the exactly rounded decimal expansion (round half to even
//! on exact ties), just as glibc does; this module only reshapes that text into C's layout, in
//! place, without allocating.

use std::fmt::Write as _;

/// Most decimal digits `%g` can ask for: Lua limits precision to two digits (99).
const MAX_G_DIGITS: usize = 100;

/// Appends text produced by `core::fmt` straight into a byte vector (no temporary `String`).
struct VecWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends C's exponent suffix: `e` (or `E`), a sign, and at least two digits.
pub fn push_exponent(out: &mut Vec<u8>, exp: i32, marker: u8) {
    out.push(marker);
    out.push(if exp < 0 { b'-' } else { b'+' });
    let mag = exp.unsigned_abs();
    if mag < 10 {
        out.push(b'0');
    }
    push_decimal(out, u64::from(mag));
}

/// Appends the decimal digits of `v` (no sign, no padding).
pub fn push_decimal(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Writes `x` with Rust's exact `{:.prec$e}` and returns (position of the `e`, exponent).
///
/// Rust prints the exponent as `e-7` / `e12`; callers cut the text at the returned position
/// and append C's form with [`push_exponent`].
fn rust_exp(out: &mut Vec<u8>, x: f64, prec: usize) -> (usize, i32) {
    let start = out.len();
    let _ = write!(VecWriter(out), "{:.*e}", prec, x);
    let epos = out[start..]
        .iter()
        .rposition(|&c| c == b'e')
        .map_or(out.len(), |p| start + p);
    let mut exp: i32 = 0;
    let mut neg = false;
    for &c in out.get(epos + 1..).unwrap_or(&[]) {
        match c {
            b'-' => neg = true,
            b'0'..=b'9' => exp = exp.saturating_mul(10).saturating_add(i32::from(c - b'0')),
            _ => {}
        }
    }
    (epos, if neg { -exp } else { exp })
}

/// `%.{prec}e` of a finite non-negative `x`; `alt` is C's `#` flag (always keep the point).
pub fn write_exp(out: &mut Vec<u8>, x: f64, prec: usize, upper: bool, alt: bool) {
    let (epos, exp) = rust_exp(out, x, prec);
    out.truncate(epos);
    if alt && prec == 0 {
        out.push(b'.');
    }
    push_exponent(out, exp, if upper { b'E' } else { b'e' });
}

/// `%.{prec}f` of a finite non-negative `x`; `alt` is C's `#` flag.
pub fn write_fixed(out: &mut Vec<u8>, x: f64, prec: usize, alt: bool) {
    let _ = write!(VecWriter(out), "{:.*}", prec, x);
    if alt && prec == 0 {
        out.push(b'.');
    }
}

/// Removes trailing zeros after a decimal point in `out[start..]`, and the point if nothing
/// remains after it (what `%g` does without `#`).
fn strip_fraction_zeros(out: &mut Vec<u8>, start: usize) {
    if !out[start..].contains(&b'.') {
        return;
    }
    while out.len() > start && out[out.len() - 1] == b'0' {
        out.pop();
    }
    if out.len() > start && out[out.len() - 1] == b'.' {
        out.pop();
    }
}

/// `%.{prec}g` of a finite non-negative `x`, following C99 7.19.6.1 exactly.
///
/// With P significant digits (0 means 1) and X the decimal exponent *after* rounding to P
/// digits, `%g` is `%e` when X < -4 or X >= P, and otherwise `%f` with P-1-X decimals, which
/// rounds at the same digit, so the fixed form is rebuilt from the `%e` digits instead of
/// formatting twice. Unless `alt`, trailing fraction zeros are dropped.
pub fn write_general(out: &mut Vec<u8>, x: f64, prec: usize, upper: bool, alt: bool) {
    let p = prec.clamp(1, MAX_G_DIGITS);
    let start = out.len();
    let (epos, exp) = rust_exp(out, x, p - 1);
    if exp < -4 || exp >= p as i32 {
        out.truncate(epos);
        if !alt {
            strip_fraction_zeros(out, start);
        } else if p == 1 {
            out.push(b'.');
        }
        push_exponent(out, exp, if upper { b'E' } else { b'e' });
        return;
    }
    let mut digits = [0u8; MAX_G_DIGITS];
    let mut n = 0;
    for &c in &out[start..epos] {
        if c.is_ascii_digit() && n < digits.len() {
            digits[n] = c;
            n += 1;
        }
    }
    out.truncate(start);
    let digits = &digits[..n];
    if exp >= 0 {
        let int_len = (exp as usize + 1).min(n);
        out.extend_from_slice(&digits[..int_len]);
        if int_len < n || alt {
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    }
    if !alt {
        strip_fraction_zeros(out, start);
    }
}

/// `%a` of a finite non-negative `x` without the `0x` prefix, as glibc prints it.
///
/// glibc keeps the leading hex digit unnormalised after rounding (`%.0a` of 1.5 is
/// `0x2p+0`) and prints subnormals as `0x0.xxxp-1022`; `prec` of `None` prints the 13
/// fraction digits with trailing zeros removed. Rounding is to nearest, ties to even.
pub fn write_hex(out: &mut Vec<u8>, x: f64, prec: Option<usize>, upper: bool, alt: bool) {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut lead, exp) = match (biased, frac) {
        (0, 0) => (0u64, 0),
        (0, _) => (0u64, -1022),
        _ => (1u64, biased - 1023),
    };
    let digit_chars: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    // Fraction digits as (value holding `count` hex digits, count, zeros to pad after them).
    let (fdigits, count, pad) = match prec {
        None => {
            let mut f = frac;
            let mut c = 13usize;
            while c > 0 && f & 0xf == 0 {
                f >>= 4;
                c -= 1;
            }
            (f, c, 0)
        }
        Some(p) if p < 13 => {
            let shift = (13 - p as u32) * 4;
            let combined = (lead << 52) | frac;
            let mut kept = combined >> shift;
            let rem = combined & ((1u64 << shift) - 1);
            let half = 1u64 << (shift - 1);
            if rem > half || (rem == half && kept & 1 == 1) {
                kept += 1;
            }
            let fbits = p as u32 * 4;
            lead = kept >> fbits;
            (kept & ((1u64 << fbits) - 1), p, 0)
        }
        Some(p) => (frac, 13, p - 13),
    };
    out.push(digit_chars[(lead & 0xf) as usize]);
    if count + pad > 0 || alt {
        out.push(b'.');
    }
    for i in (0..count).rev() {
        out.push(digit_chars[((fdigits >> (i * 4)) & 0xf) as usize]);
    }
    out.resize(out.len() + pad, b'0');
    out.push(if upper { b'P' } else { b'p' });
    out.push(if exp < 0 { b'-' } else { b'+' });
    push_decimal(out, u64::from(exp.unsigned_abs()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn general_matches_c() {
        let g = |x: f64, p: usize| run(|o| write_general(o, x, p, false, false));
        assert_eq!(g(100000.0, 6), "100000");
        assert_eq!(g(1000000.0, 6), "1e+06");
        assert_eq!(g(1e-4, 6), "0.0001");
        assert_eq!(g(1e-5, 6), "1e-05");
        assert_eq!(g(123.0, 0), "1e+02");
        assert_eq!(g(0.0, 6), "0");
        assert_eq!(g(0.95, 1), "0.9");
        assert_eq!(g(9.99, 2), "10");
        assert_eq!(g(0.0001234, 3), "0.000123");
        assert_eq!(g(123456789.0, 6), "1.23457e+08");
        assert_eq!(g(1.0 / 3.0, 14), "0.33333333333333");
        assert_eq!(g(2f64.powi(53), 14), "9.007199254741e+15");
        let ga = |x: f64, p: usize| run(|o| write_general(o, x, p, false, true));
        assert_eq!(ga(1.0, 6), "1.00000");
        assert_eq!(ga(1e-4, 3), "0.000100");
        assert_eq!(ga(0.0, 6), "0.00000");
        assert_eq!(ga(100.0, 3), "100.");
        assert_eq!(ga(1e10, 1), "1.e+10");
    }

    #[test]
    fn hex_matches_glibc() {
        let a = |x: f64, p: Option<usize>| run(|o| write_hex(o, x, p, false, false));
        assert_eq!(a(1.0, None), "1p+0");
        assert_eq!(a(0.0, None), "0p+0");
        assert_eq!(a(0.1, None), "1.999999999999ap-4");
        assert_eq!(a(0.1, Some(3)), "1.99ap-4");
        assert_eq!(a(1.5, Some(0)), "2p+0");
        assert_eq!(a(2.5, Some(0)), "1p+1");
        assert_eq!(a(1.96875, Some(1)), "2.0p+0");
        assert_eq!(a(1.15625, Some(1)), "1.2p+0");
        assert_eq!(a(1.21875, Some(1)), "1.4p+0");
        assert_eq!(a(5e-324, None), "0.0000000000001p-1022");
        assert_eq!(a(1e-310, None), "0.012688b70e62bp-1022");
        assert_eq!(a(1e-310, Some(2)), "0.01p-1022");
        assert_eq!(a(f64::MIN_POSITIVE, None), "1p-1022");
        assert_eq!(a(1.0, Some(20)), "1.00000000000000000000p+0");
        assert_eq!(a(0.1, Some(15)), "1.999999999999a00p-4");
        assert_eq!(run(|o| write_hex(o, 1.0, Some(0), false, true)), "1.p+0");
        assert_eq!(run(|o| write_hex(o, 0.5, None, true, false)), "1P-1");
    }
}
