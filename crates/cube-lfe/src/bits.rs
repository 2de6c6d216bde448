//! `#B(...)`: building a binary from its segments at read time, as LFE's parser does
//! with `lfe_eval:expr([binary|Segments])` (`lfe_eval_bits.erl`, `lfe_bits.erl`).
//!
//! LFE evaluates segment values and sizes as expressions. The reader has no evaluator
//! yet, so it takes the values that evaluate to themselves: integers, floats, binaries
//! and strings (lists of character codes); a symbol or a call in a value or size is
//! refused as LFE refuses an unbound variable (the caller reports `bad binary`).
//! `native` is little-endian.

use crate::sexpr::{Bits, Sexpr};
use num_bigint::{BigInt, Sign};
use num_traits::ToPrimitive;

/// The largest binary `#B(...)` builds, in bits (1 MiB).
pub const MAX_BITS: u64 = 8 << 20;

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Integer,
    Float,
    Binary,
    Utf8,
    Utf16,
    Utf32,
}

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

#[derive(Clone, Copy)]
struct Spec {
    ty: Ty,
    /// `None` is `all` for binaries and unused for utf types.
    size: Option<u64>,
    unit: u64,
    endian: Endian,
}

/// The binary that `#B(segs...)` reads as, or `None` where LFE reports `bad binary`.
pub(crate) fn make_bin(segs: &[Sexpr]) -> Option<Bits> {
    let mut out = Bits::default();
    for seg in segs {
        match seg {
            Sexpr::List(items) if !items.is_empty() => {
                if is_posint_list(items) {
                    let spec = specs(&[])?;
                    for v in items {
                        segment(&mut out, v, spec)?;
                    }
                } else {
                    let spec = specs(&items[1..])?;
                    match &items[0] {
                        Sexpr::List(vs) if is_posint_list(vs) => {
                            for v in vs {
                                segment(&mut out, v, spec)?;
                            }
                        }
                        v => segment(&mut out, v, spec)?,
                    }
                }
            }
            v => segment(&mut out, v, specs(&[])?)?,
        }
        if out.bits > MAX_BITS {
            return None;
        }
    }
    Some(out)
}

fn is_posint_list(items: &[Sexpr]) -> bool {
    items.iter().all(|i| match i {
        Sexpr::Int(n) => *n >= 0,
        Sexpr::BigInt(n) => n.sign() != Sign::Minus,
        _ => false,
    })
}

/// `lfe_bits:get_bitspecs/1`: the specs, then the defaults.
fn specs(items: &[Sexpr]) -> Option<Spec> {
    let (mut ty, mut size, mut unit, mut endian): (Option<Ty>, Option<&Sexpr>, Option<u64>, _) =
        (None, None, None, Endian::Big);
    for s in items {
        match s {
            Sexpr::Atom(a) => match &**a {
                "integer" => ty = Some(Ty::Integer),
                "float" => ty = Some(Ty::Float),
                "binary" | "bytes" => (ty, unit) = (Some(Ty::Binary), Some(8)),
                "bitstring" | "bits" => (ty, unit) = (Some(Ty::Binary), Some(1)),
                "utf8" | "utf-8" => ty = Some(Ty::Utf8),
                "utf16" | "utf-16" => ty = Some(Ty::Utf16),
                "utf32" | "utf-32" => ty = Some(Ty::Utf32),
                "big" | "big-endian" => endian = Endian::Big,
                "little" | "little-endian" | "native" | "native-endian" => endian = Endian::Little,
                "signed" | "unsigned" => {}
                _ => return None,
            },
            Sexpr::List(kv) if kv.len() == 2 => match (kv[0].as_atom(), &kv[1]) {
                (Some("size"), v) => size = Some(v),
                (Some("unit"), Sexpr::Int(u)) if (1..=256).contains(u) => unit = Some(*u as u64),
                _ => return None,
            },
            _ => return None,
        }
    }
    // A size is evaluated: only a literal non-negative integer is taken.
    let size = match size {
        None => None,
        Some(Sexpr::Int(n)) if *n >= 0 => Some(*n as u64),
        Some(_) => return None,
    };
    let ty = ty.unwrap_or(Ty::Integer);
    let (size, unit) = match ty {
        Ty::Integer | Ty::Float if size.is_none() && unit.is_some() => return None,
        Ty::Integer => (Some(size.unwrap_or(8)), unit.unwrap_or(1)),
        Ty::Float => (Some(size.unwrap_or(64)), unit.unwrap_or(1)),
        Ty::Binary => (size, unit.unwrap_or(8)),
        Ty::Utf8 | Ty::Utf16 | Ty::Utf32 => (None, 1),
    };
    Some(Spec {
        ty,
        size,
        unit,
        endian,
    })
}

fn bit_size(spec: Spec) -> Option<u64> {
    spec.size?.checked_mul(spec.unit).filter(|&n| n <= MAX_BITS)
}

fn segment(out: &mut Bits, v: &Sexpr, spec: Spec) -> Option<()> {
    match spec.ty {
        Ty::Integer => {
            let n = match v {
                Sexpr::Int(i) => BigInt::from(*i),
                Sexpr::BigInt(b) => (**b).clone(),
                _ => return None,
            };
            put_int(out, &n, bit_size(spec)?, spec.endian);
        }
        Ty::Float => {
            let f = match v {
                Sexpr::Float(f) => *f,
                Sexpr::Int(i) => *i as f64,
                Sexpr::BigInt(b) => b.to_f64().filter(|f| f.is_finite())?,
                _ => return None,
            };
            let bytes: Vec<u8> = match (bit_size(spec)?, spec.endian) {
                (64, Endian::Big) => f.to_be_bytes().to_vec(),
                (64, Endian::Little) => f.to_le_bytes().to_vec(),
                (32, e) => {
                    // Rounds to nearest; too big is infinity, as in Erlang.
                    let g = f as f32;
                    match e {
                        Endian::Big => g.to_be_bytes().to_vec(),
                        Endian::Little => g.to_le_bytes().to_vec(),
                    }
                }
                (16, e) => {
                    let h = f64_to_f16(f)?;
                    match e {
                        Endian::Big => h.to_be_bytes().to_vec(),
                        Endian::Little => h.to_le_bytes().to_vec(),
                    }
                }
                _ => return None,
            };
            out.append(&Bits::from_bytes(bytes));
        }
        Ty::Binary => {
            let Sexpr::Bits(b) = v else { return None };
            match spec.size {
                None if b.bits % spec.unit == 0 => out.append(b),
                None => return None,
                Some(_) => {
                    let n = bit_size(spec)?;
                    if n > b.bits {
                        return None;
                    }
                    out.append(&b.prefix(n));
                }
            }
        }
        Ty::Utf8 | Ty::Utf16 | Ty::Utf32 => {
            let Sexpr::Int(cp) = v else { return None };
            let c = u32::try_from(*cp).ok().and_then(char::from_u32)?;
            let bytes: Vec<u8> = match spec.ty {
                Ty::Utf8 => c.to_string().into_bytes(),
                Ty::Utf16 => {
                    let mut units = [0u16; 2];
                    let units = c.encode_utf16(&mut units);
                    units
                        .iter()
                        .flat_map(|u| match spec.endian {
                            Endian::Big => u.to_be_bytes(),
                            Endian::Little => u.to_le_bytes(),
                        })
                        .collect()
                }
                _ => match spec.endian {
                    Endian::Big => (c as u32).to_be_bytes().to_vec(),
                    Endian::Little => (c as u32).to_le_bytes().to_vec(),
                },
            };
            out.append(&Bits::from_bytes(bytes));
        }
    }
    Some(())
}

/// The low `n` bits of `v` (two's complement), as Erlang's `<<V:N>>` or
/// `<<V:N/little>>` writes them.
fn put_int(out: &mut Bits, v: &BigInt, n: u64, endian: Endian) {
    // Two's complement bytes, little-endian, extended to cover n bits.
    let mut le = v.to_signed_bytes_le();
    let fill = if v.sign() == Sign::Minus { 0xff } else { 0 };
    let need = n.div_ceil(8) as usize;
    le.resize(need.max(le.len()), fill);
    le.truncate(need);
    let bit = |i: u64| (le[(i / 8) as usize] >> (i % 8)) & 1 == 1;
    match endian {
        Endian::Big => {
            for i in (0..n).rev() {
                out.push_bit(bit(i));
            }
        }
        Endian::Little => {
            // Whole bytes least significant first, then the n % 8 high bits.
            let whole = n / 8;
            for b in 0..whole {
                for i in (0..8).rev() {
                    out.push_bit(bit(b * 8 + i));
                }
            }
            for i in (0..n % 8).rev() {
                out.push_bit(bit(whole * 8 + i));
            }
        }
    }
}

/// An IEEE half-precision float, rounded to nearest even; too big is infinity, as
/// in Erlang.
fn f64_to_f16(f: f64) -> Option<u16> {
    if !f.is_finite() {
        return None;
    }
    let bits = f.to_bits();
    let sign = ((bits >> 63) as u16) << 15;
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & ((1 << 52) - 1);
    if exp == 0 {
        // Zero, or a double subnormal: far below half a float16 subnormal.
        return Some(sign);
    }
    let e = exp - 1023;
    let round = |q: u64, rem: u64, half: u64| {
        if rem > half || (rem == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    let h = if e >= -14 {
        let q = round(mant >> 42, mant & ((1 << 42) - 1), 1 << 41);
        // A carry out of the mantissa moves into the exponent field.
        ((e + 15) as u64) * 1024 + q
    } else {
        let sig = (1u64 << 52) | mant;
        let shift = (28 - e) as u32;
        if shift > 63 {
            0
        } else {
            round(
                sig >> shift,
                sig & ((1u64 << shift) - 1),
                1u64 << (shift - 1),
            )
        }
    };
    Some(sign | h.min(0x7c00) as u16)
}
