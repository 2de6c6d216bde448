//! [`Eterm`] to bytes: the External Term Format encoder.
//!
//! The choice of tag follows erl's `term_to_binary(T, [{minor_version, 2}])` (the OTP 26+
//! default and what a distribution connection with `DFLAG_UTF8_ATOMS` carries), so the
//! output is byte-identical to erl's for every term the golden tests hold: the smallest
//! integer tag that fits, `STRING_EXT` for short lists of bytes, UTF-8 atom tags,
//! `NEW_PID_EXT`, `NEWER_REFERENCE_EXT`, `NEW_PORT_EXT` while the id fits 32 bits.
//!
//! Encoding recurses, but only [`MAX_DEPTH`] deep: what we send, we (and erl) can decode.

use super::eterm::{BigInt, Eterm, MAX_REF_WORDS};
use super::{tags, EncodeError, MAX_DEPTH};
use cube_term::Atom;

/// `term` with the version byte in front, as `term_to_binary` gives it.
pub fn encode(term: &Eterm) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    encode_into(&mut out, term)?;
    Ok(out)
}

/// Appends `term` with its version byte to `out`. On error `out` may hold a partial
/// encoding; callers discard it.
pub fn encode_into(out: &mut Vec<u8>, term: &Eterm) -> Result<(), EncodeError> {
    out.push(tags::VERSION);
    body(out, term, 0)
}

/// Appends `term` without a version byte: how a term follows a distribution header.
pub fn encode_body_into(out: &mut Vec<u8>, term: &Eterm) -> Result<(), EncodeError> {
    body(out, term, 0)
}

fn body(out: &mut Vec<u8>, term: &Eterm, depth: usize) -> Result<(), EncodeError> {
    match term {
        Eterm::Atom(a) => atom(out, *a),
        Eterm::Int(i) => int(out, *i),
        Eterm::BigInt(b) => big(out, b)?,
        Eterm::Float(f) => {
            // erl refuses NaN and infinities (binary_to_term raises badarg).
            if !f.is_finite() {
                return Err(EncodeError::NonFiniteFloat);
            }
            out.push(tags::NEW_FLOAT);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Eterm::Binary(b) => {
            out.push(tags::BINARY);
            out.extend_from_slice(&len32(b.len())?.to_be_bytes());
            out.extend_from_slice(b);
        }
        Eterm::BitBinary { bytes, bits } => {
            if bytes.is_empty() || !(1..=7).contains(bits) {
                return Err(EncodeError::BadBitBinary);
            }
            out.push(tags::BIT_BINARY);
            out.extend_from_slice(&len32(bytes.len())?.to_be_bytes());
            out.push(*bits);
            out.extend_from_slice(bytes);
        }
        Eterm::List(items) if items.is_empty() => out.push(tags::NIL),
        Eterm::List(items) => {
            if let Some(bytes) = as_string(items) {
                out.push(tags::STRING);
                out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
                out.extend_from_slice(&bytes);
            } else {
                list(out, items, None, depth)?;
            }
        }
        Eterm::ImproperList(items, tail) => {
            if items.is_empty() || matches!(**tail, Eterm::List(_) | Eterm::ImproperList(..)) {
                return Err(EncodeError::NotCanonical("improper list"));
            }
            list(out, items, Some(tail), depth)?;
        }
        Eterm::Tuple(items) => {
            let depth = deeper(depth)?;
            if let Ok(n) = u8::try_from(items.len()) {
                out.push(tags::SMALL_TUPLE);
                out.push(n);
            } else {
                out.push(tags::LARGE_TUPLE);
                out.extend_from_slice(&len32(items.len())?.to_be_bytes());
            }
            for item in items {
                body(out, item, depth)?;
            }
        }
        Eterm::Map(pairs) => {
            let depth = deeper(depth)?;
            out.push(tags::MAP);
            out.extend_from_slice(&len32(pairs.len())?.to_be_bytes());
            for (k, v) in pairs {
                body(out, k, depth)?;
                body(out, v, depth)?;
            }
        }
        Eterm::Pid(p) => {
            out.push(tags::NEW_PID);
            atom(out, p.node);
            out.extend_from_slice(&p.id.to_be_bytes());
            out.extend_from_slice(&p.serial.to_be_bytes());
            out.extend_from_slice(&p.creation.to_be_bytes());
        }
        Eterm::Port(p) => {
            if let Ok(id) = u32::try_from(p.id) {
                out.push(tags::NEW_PORT);
                atom(out, p.node);
                out.extend_from_slice(&id.to_be_bytes());
            } else {
                out.push(tags::V4_PORT);
                atom(out, p.node);
                out.extend_from_slice(&p.id.to_be_bytes());
            }
            out.extend_from_slice(&p.creation.to_be_bytes());
        }
        Eterm::Ref(r) => {
            if r.words.is_empty() || r.words.len() > MAX_REF_WORDS {
                return Err(EncodeError::BadReference);
            }
            out.push(tags::NEWER_REFERENCE);
            out.extend_from_slice(&(r.words.len() as u16).to_be_bytes());
            atom(out, r.node);
            out.extend_from_slice(&r.creation.to_be_bytes());
            for w in &r.words {
                out.extend_from_slice(&w.to_be_bytes());
            }
        }
    }
    Ok(())
}

fn deeper(depth: usize) -> Result<usize, EncodeError> {
    if depth >= MAX_DEPTH {
        Err(EncodeError::TooDeep)
    } else {
        Ok(depth + 1)
    }
}

fn len32(n: usize) -> Result<u32, EncodeError> {
    u32::try_from(n).map_err(|_| EncodeError::TooLarge)
}

fn list(
    out: &mut Vec<u8>,
    items: &[Eterm],
    tail: Option<&Eterm>,
    depth: usize,
) -> Result<(), EncodeError> {
    let depth = deeper(depth)?;
    out.push(tags::LIST);
    out.extend_from_slice(&len32(items.len())?.to_be_bytes());
    for item in items {
        body(out, item, depth)?;
    }
    match tail {
        None => out.push(tags::NIL),
        Some(t) => body(out, t, depth)?,
    }
    Ok(())
}

/// The bytes of a list that erl would send as `STRING_EXT`: every element an integer
/// 0..=255, fewer than 65536 of them.
fn as_string(items: &[Eterm]) -> Option<Vec<u8>> {
    if items.len() > u16::MAX as usize {
        return None;
    }
    items
        .iter()
        .map(|t| match t {
            Eterm::Int(i) => u8::try_from(*i).ok(),
            _ => None,
        })
        .collect()
}

fn atom(out: &mut Vec<u8>, a: Atom) {
    let name = a.name().as_bytes();
    // Atom names are at most 255 characters (the decoder and Atom's users keep them
    // so), hence at most 1020 bytes: the two-byte length always fits.
    if let Ok(n) = u8::try_from(name.len()) {
        out.push(tags::SMALL_ATOM_UTF8);
        out.push(n);
    } else {
        out.push(tags::ATOM_UTF8);
        out.extend_from_slice(&(name.len().min(u16::MAX as usize) as u16).to_be_bytes());
    }
    out.extend_from_slice(&name[..name.len().min(u16::MAX as usize)]);
}

fn int(out: &mut Vec<u8>, i: i64) {
    if let Ok(b) = u8::try_from(i) {
        out.push(tags::SMALL_INTEGER);
        out.push(b);
    } else if let Ok(w) = i32::try_from(i) {
        out.push(tags::INTEGER);
        out.extend_from_slice(&w.to_be_bytes());
    } else {
        // SMALL_BIG with the fewest magnitude bytes, as erl writes it.
        let mut magnitude = i.unsigned_abs().to_le_bytes().to_vec();
        while magnitude.last() == Some(&0) {
            magnitude.pop();
        }
        out.push(tags::SMALL_BIG);
        out.push(magnitude.len() as u8);
        out.push(u8::from(i < 0));
        out.extend_from_slice(&magnitude);
    }
}

fn big(out: &mut Vec<u8>, b: &BigInt) -> Result<(), EncodeError> {
    if b.magnitude.last() == Some(&0) || b.magnitude.len() <= 8 && fits_i64(b) {
        return Err(EncodeError::NotCanonical("big integer"));
    }
    if let Ok(n) = u8::try_from(b.magnitude.len()) {
        out.push(tags::SMALL_BIG);
        out.push(n);
    } else {
        out.push(tags::LARGE_BIG);
        out.extend_from_slice(&len32(b.magnitude.len())?.to_be_bytes());
    }
    out.push(u8::from(b.negative));
    out.extend_from_slice(&b.magnitude);
    Ok(())
}

/// Whether a (short) big integer is really an `i64`, which must be sent as one.
fn fits_i64(b: &BigInt) -> bool {
    let mut le = [0u8; 8];
    le[..b.magnitude.len()].copy_from_slice(&b.magnitude);
    let m = u64::from_le_bytes(le);
    if b.negative {
        m <= 1 << 63
    } else {
        m <= i64::MAX as u64
    }
}
