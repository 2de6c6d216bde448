//! Binary segments: building `(binary ...)` values and matching binary patterns.

use std::rc::Rc;

use num_bigint::{BigInt, Sign};

use crate::binview::{append_range, read_uint, Binary};
use crate::exception::{Exception, Result};
use crate::ir::{SegType, Segment, SizeFrom};
use crate::sexpr::Bits;
use crate::term::Term;

/// The largest integer or float segment, in bits, that is built (16 MB: a bound on
/// the memory a hostile size can ask for; Erlang's own limit is far larger).
pub const MAX_SEGMENT_BITS: u64 = 1 << 27;

/// Builds a bitstring from segment values, followed in `vals` by the sizes that
/// are not constants.
pub fn build(specs: &[Segment], vals: &[Term]) -> Result<Term> {
    let mut out = Bits::default();
    let mut sizes = vals.iter().skip(specs.len());
    for (spec, v) in specs.iter().zip(vals) {
        let spec = match spec.size_from {
            SizeFrom::Operand => with_size(spec, sizes.next().ok_or_else(Exception::badarg)?)
                .ok_or_else(Exception::badarg)?,
            _ => *spec,
        };
        push_segment(&mut out, &spec, v)?;
    }
    Ok(Term::bitstring(out))
}

/// `spec` with its size set from a term (a non-negative integer), or `None`.
pub fn with_size(spec: &Segment, size: &Term) -> Option<Segment> {
    match size {
        Term::Int(n) if *n >= 0 => Some(Segment {
            size: Some(*n as u64),
            size_from: SizeFrom::Spec,
            ..*spec
        }),
        _ => None,
    }
}

fn push_segment(out: &mut Bits, spec: &Segment, v: &Term) -> Result<()> {
    match spec.ty {
        SegType::Integer => {
            let bits = spec.size.unwrap_or(8).saturating_mul(spec.unit);
            if bits > MAX_SEGMENT_BITS {
                return Err(Exception::badarg());
            }
            let n = match v {
                Term::Int(i) if bits <= 64 => {
                    push_small_int(out, *i, bits, spec.little);
                    return Ok(());
                }
                Term::Int(i) => BigInt::from(*i),
                Term::Big(b) => (**b).clone(),
                _ => return Err(Exception::badarg()),
            };
            push_int(out, &n, bits, spec.little);
        }
        SegType::Float => {
            let bits = spec.size.unwrap_or(64).saturating_mul(spec.unit);
            let f = crate::order::to_f64(v).ok_or_else(Exception::badarg)?;
            let raw: Vec<u8> = match bits {
                64 => f.to_be_bytes().to_vec(),
                32 => (f as f32).to_be_bytes().to_vec(),
                _ => return Err(Exception::badarg()),
            };
            let raw = if spec.little {
                raw.into_iter().rev().collect()
            } else {
                raw
            };
            out.append(&Bits::from_bytes(raw));
        }
        SegType::Binary => {
            let Term::Bin(b) = v else {
                return Err(Exception::badarg());
            };
            let (buf, off, len) = b.parts();
            match spec.size {
                None => append_range(out, buf, off, len),
                Some(n) => {
                    let bits = n.saturating_mul(if spec.unit == 1 { 8 } else { spec.unit });
                    if bits > len {
                        return Err(Exception::badarg());
                    }
                    append_range(out, buf, off, bits);
                }
            }
        }
        SegType::Utf8 => {
            let c = match v {
                Term::Int(i) => u32::try_from(*i).ok().and_then(char::from_u32),
                _ => None,
            }
            .ok_or_else(Exception::badarg)?;
            let mut buf = [0u8; 4];
            out.append(&Bits::from_bytes(
                c.encode_utf8(&mut buf).as_bytes().to_vec(),
            ));
        }
        SegType::Chars => {
            let items = v.list_to_vec().ok_or_else(Exception::badarg)?;
            for c in items {
                let Term::Int(i) = c else {
                    return Err(Exception::badarg());
                };
                out.push_bits((i & 0xff) as u64, 8);
            }
        }
    }
    Ok(())
}

/// `push_int` for a small integer and at most 64 bits, without a `BigInt`.
fn push_small_int(out: &mut Bits, i: i64, bits: u64, little: bool) {
    // The low `bits` bits of the two's complement, as `push_int` takes them.
    let v = if bits == 64 {
        i as u64
    } else {
        (i as u64) & ((1u64 << bits) - 1)
    };
    if bits.is_multiple_of(8) {
        let n = (bits / 8) as usize;
        let be = v.to_be_bytes();
        let be = &be[8 - n..];
        if out.is_binary() {
            if little {
                out.bytes.extend(be.iter().rev());
            } else {
                out.bytes.extend_from_slice(be);
            }
            out.bits += bits;
        } else if little {
            be.iter().rev().for_each(|&x| out.push_bits(x as u64, 8));
        } else {
            out.push_bits(v, bits as u32);
        }
        return;
    }
    // As `push_int`: a size that is not whole bytes is written big-endian.
    out.push_bits(v, bits as u32);
}

/// Appends the low `bits` bits of `n` (two's complement), big- or little-endian.
fn push_int(out: &mut Bits, n: &BigInt, bits: u64, little: bool) {
    let modulus = BigInt::from(1) << bits;
    let mut v = n % &modulus;
    if v.sign() == Sign::Minus {
        v += &modulus;
    }
    let (_, mut bytes) = v.to_bytes_be();
    let nbytes = bits.div_ceil(8) as usize;
    if bytes.len() < nbytes {
        let mut padded = vec![0u8; nbytes - bytes.len()];
        padded.extend(bytes);
        bytes = padded;
    }
    if little && bits.is_multiple_of(8) {
        bytes.reverse();
        out.append(&Bits::from_bytes(bytes));
        return;
    }
    // Big-endian: the value's low `bits` bits, most significant first.
    let skip = nbytes as u64 * 8 - bits;
    for i in skip..nbytes as u64 * 8 {
        let byte = bytes[(i / 8) as usize];
        out.push_bit(byte & (0x80 >> (i % 8)) != 0);
    }
}

/// Reads `n` bits starting at `pos`.
fn take(b: &Bits, pos: u64, n: u64) -> Bits {
    let mut out = Bits::default();
    append_range(&mut out, b, pos, n);
    out
}

/// Matches one segment at bit `pos` of `bin`: the value and the position after it.
/// A binary segment is a view into `bin`'s buffer, not a copy.
pub fn match_segment(
    bin: &Rc<Binary>,
    pos: u64,
    spec: &Segment,
    last: bool,
) -> Option<(Term, u64)> {
    let (b, off, len) = bin.parts();
    let left = len - pos;
    let at = off + pos;
    match spec.ty {
        SegType::Integer => {
            let n = spec.size.unwrap_or(8).checked_mul(spec.unit)?;
            if n > left {
                return None;
            }
            if n <= 64 {
                let mut v = read_uint(b, at, n);
                if spec.little && n % 8 == 0 {
                    v = v.swap_bytes() >> (64 - n);
                }
                let mut v = v as i128;
                if spec.signed && n > 0 && (v >> (n - 1)) & 1 == 1 {
                    v -= 1i128 << n;
                }
                let t = match i64::try_from(v) {
                    Ok(i) => Term::Int(i),
                    Err(_) => Term::big(BigInt::from(v)),
                };
                return Some((t, pos + n));
            }
            let raw = take(b, at, n);
            let mut bytes = raw.bytes.clone();
            // Right-align a partial byte count.
            let mut v = BigInt::from_bytes_be(Sign::Plus, &bytes);
            if n % 8 != 0 {
                v >>= 8 - n % 8;
            }
            if spec.little && n % 8 == 0 {
                bytes.reverse();
                v = BigInt::from_bytes_be(Sign::Plus, &bytes);
            }
            if spec.signed && n > 0 && (&v >> (n - 1)) == BigInt::from(1) {
                v -= BigInt::from(1) << n;
            }
            Some((Term::big(v), pos + n))
        }
        SegType::Float => {
            let n = spec.size.unwrap_or(64).checked_mul(spec.unit)?;
            if n > left || (n != 64 && n != 32) {
                return None;
            }
            let mut raw = take(b, at, n).bytes;
            if spec.little {
                raw.reverse();
            }
            let f = if n == 64 {
                f64::from_be_bytes(raw.try_into().ok()?)
            } else {
                f32::from_be_bytes(raw.try_into().ok()?) as f64
            };
            f.is_finite().then_some((Term::Float(f), pos + n))
        }
        SegType::Binary => {
            let n = match spec.size {
                Some(s) => s.checked_mul(if spec.unit == 1 { 8 } else { spec.unit })?,
                None if last => left,
                None => return None,
            };
            if n > left {
                return None;
            }
            Some((Term::Bin(Binary::view(bin, pos, n)), pos + n))
        }
        SegType::Utf8 => {
            if !pos.is_multiple_of(8) {
                return None;
            }
            // At most 4 bytes are read; a view that is not byte-aligned in its
            // buffer is copied.
            let avail = (left / 8).min(4);
            let copy;
            let rest: &[u8] = if at.is_multiple_of(8) {
                let s = (at / 8) as usize;
                &b.bytes[s..s + avail as usize]
            } else {
                copy = take(b, at, avail * 8).bytes;
                &copy
            };
            let len = match rest.first()? {
                x if *x < 0x80 => 1,
                x if *x >> 5 == 0b110 => 2,
                x if *x >> 4 == 0b1110 => 3,
                _ => 4,
            };
            let c = std::str::from_utf8(rest.get(..len)?).ok()?.chars().next()?;
            Some((Term::Int(c as i64), pos + len as u64 * 8))
        }
        SegType::Chars => None,
    }
}
