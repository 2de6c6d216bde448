//! Bytes to [`Eterm`]: the External Term Format decoder.
//!
//! Input comes from the network, so nothing in it is trusted:
//! - every length is checked against the bytes that are left *before* anything is
//!   allocated for it (each element takes at least one byte, so a tuple claiming four
//!   billion elements in a ten-byte message is an error, not a 4 GB allocation);
//! - a compressed term (tag 80) may only inflate to [`DecodeLimits::max_uncompressed`]
//!   bytes, and is inflated incrementally, so a zip bomb stops at the bound;
//! - the decoder is a loop over an explicit stack of open containers, never a Rust
//!   recursion, and that stack is bounded by [`DecodeLimits::max_depth`] (which in turn
//!   bounds the recursion of the derived `Drop` of the result);
//! - new atoms go through `Atom::try_new`, so a full atom table is an error here.

use super::eterm::{BigInt, Eterm, ExtPid, ExtPort, ExtRef, MAX_REF_WORDS};
use super::tags;
use super::{DecodeError, MAX_DEPTH};
use cube_term::{Atom, Binary};
use std::io::Read;

/// Bounds on what one decode may build.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    /// Most containers open at once (tuples, lists, maps inside each other).
    pub max_depth: usize,
    /// Most bytes a compressed term may inflate to.
    pub max_uncompressed: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_depth: MAX_DEPTH,
            max_uncompressed: 256 << 20,
        }
    }
}

/// Most characters in an atom, as in erts.
const MAX_ATOM_CHARS: usize = 255;

/// Decodes one whole term with its version byte (`term_to_binary` output); trailing
/// bytes are an error.
pub fn decode(bytes: &[u8]) -> Result<Eterm, DecodeError> {
    decode_with(bytes, &DecodeLimits::default())
}

/// [`decode`] with explicit limits.
pub fn decode_with(bytes: &[u8], limits: &DecodeLimits) -> Result<Eterm, DecodeError> {
    let (term, used) = decode_prefix(bytes, limits)?;
    if used != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - used));
    }
    Ok(term)
}

/// Decodes the term (with version byte) at the start of `bytes`; returns it and how many
/// bytes it took. Distribution messages are a control term followed by a message term.
pub fn decode_prefix(bytes: &[u8], limits: &DecodeLimits) -> Result<(Eterm, usize), DecodeError> {
    let mut r = Reader::new(bytes, &[]);
    if r.u8()? != tags::VERSION {
        return Err(DecodeError::BadVersion);
    }
    if r.peek()? == tags::COMPRESSED {
        r.u8()?;
        let size = r.u32()? as usize;
        if size > limits.max_uncompressed {
            return Err(DecodeError::TooLarge(size));
        }
        let inflated = inflate(r.rest(), size)?;
        // The compressed stream runs to the end of the input: a compressed term is never
        // followed by another.
        let term =
            decode_body(&mut Reader::new(&inflated, &[]), limits).and_then(|(t, used)| {
                if used == inflated.len() {
                    Ok(t)
                } else {
                    Err(DecodeError::TrailingBytes(inflated.len() - used))
                }
            })?;
        return Ok((term, bytes.len()));
    }
    let start = r.pos;
    let (term, used) = decode_body(&mut r, limits)?;
    Ok((term, start + used))
}

/// Decodes the term at the start of `bytes` as it follows a distribution header: no
/// version byte, and `ATOM_CACHE_REF` index `i` stands for `atoms[i]`, the atoms that
/// header named. Returns it and how many bytes it took.
pub fn decode_headed_prefix(
    bytes: &[u8],
    limits: &DecodeLimits,
    atoms: &[Atom],
) -> Result<(Eterm, usize), DecodeError> {
    decode_body(&mut Reader::new(bytes, atoms), limits)
}

/// Inflates a zlib stream to exactly `size` bytes, never more.
fn inflate(compressed: &[u8], size: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(size.min(1 << 20));
    flate2::read::ZlibDecoder::new(compressed)
        .take(size as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::BadCompression)?;
    if out.len() != size {
        return Err(DecodeError::BadCompression);
    }
    Ok(out)
}

/// A container being filled.
enum Open {
    Tuple(Vec<Eterm>, usize),
    /// Items and how many are still to come; the tail follows them.
    List(Vec<Eterm>, usize),
    /// All items read; the next value is the tail.
    ListTail(Vec<Eterm>),
    Map(Vec<(Eterm, Eterm)>, Option<Eterm>, usize),
}

/// What the next tag starts: a finished value or a container.
enum Step {
    Value(Eterm),
    Open(Open),
}

/// Decodes one term body (no version byte) at the reader's position; returns it and
/// the bytes it took.
fn decode_body(r: &mut Reader, limits: &DecodeLimits) -> Result<(Eterm, usize), DecodeError> {
    let start = r.pos;
    let mut stack: Vec<Open> = Vec::new();
    loop {
        let mut value = match step(r)? {
            Step::Open(open) => {
                if stack.len() >= limits.max_depth {
                    return Err(DecodeError::TooDeep);
                }
                stack.push(open);
                continue;
            }
            Step::Value(v) => v,
        };
        // Hand the value to the innermost open container; close those that are full.
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok((value, r.pos - start));
            };
            match top {
                Open::Tuple(items, left) => {
                    items.push(value);
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    let Some(Open::Tuple(items, _)) = stack.pop() else {
                        unreachable!("top was a tuple")
                    };
                    value = Eterm::Tuple(items);
                }
                Open::List(items, left) => {
                    items.push(value);
                    *left -= 1;
                    if *left == 0 {
                        let items = std::mem::take(items);
                        *top = Open::ListTail(items);
                    }
                    break;
                }
                Open::ListTail(_) => {
                    let Some(Open::ListTail(items)) = stack.pop() else {
                        unreachable!("top was a list tail")
                    };
                    value = join_list(items, value);
                }
                Open::Map(pairs, key, left) => {
                    match key.take() {
                        None => {
                            *key = Some(value);
                            break;
                        }
                        Some(k) => pairs.push((k, value)),
                    }
                    *left -= 1;
                    if *left > 0 {
                        break;
                    }
                    let Some(Open::Map(pairs, _, _)) = stack.pop() else {
                        unreachable!("top was a map")
                    };
                    value = Eterm::Map(pairs);
                }
            }
        }
    }
}

/// `[items | tail]` in canonical shape (see `Eterm`).
fn join_list(mut items: Vec<Eterm>, tail: Eterm) -> Eterm {
    match tail {
        Eterm::List(rest) => {
            items.extend(rest);
            Eterm::List(items)
        }
        Eterm::ImproperList(rest, tail) => {
            items.extend(rest);
            Eterm::ImproperList(items, tail)
        }
        tail if items.is_empty() => tail,
        tail => Eterm::ImproperList(items, Box::new(tail)),
    }
}

/// Reads one tag and what follows it up to the first nested term.
fn step(r: &mut Reader) -> Result<Step, DecodeError> {
    let tag = r.u8()?;
    let value = match tag {
        tags::SMALL_INTEGER => Eterm::Int(i64::from(r.u8()?)),
        tags::INTEGER => Eterm::Int(i64::from(r.u32()? as i32)),
        tags::SMALL_BIG => {
            let n = r.u8()? as usize;
            big(r, n)?
        }
        tags::LARGE_BIG => {
            let n = r.u32()? as usize;
            big(r, n)?
        }
        tags::NEW_FLOAT => Eterm::Float(f64::from_bits(r.u64()?)),
        tags::FLOAT => {
            let text = r.bytes(31)?;
            let text = text.split(|&b| b == 0).next().unwrap_or_default();
            let f = std::str::from_utf8(text)
                .ok()
                .and_then(|s| s.trim().parse::<f64>().ok())
                .ok_or(DecodeError::BadFloat)?;
            Eterm::Float(f)
        }
        tags::ATOM | tags::SMALL_ATOM | tags::ATOM_UTF8 | tags::SMALL_ATOM_UTF8 => {
            Eterm::Atom(atom_body(r, tag)?)
        }
        tags::ATOM_CACHE_REF => Eterm::Atom(cached_atom(r)?),
        tags::NIL => Eterm::List(Vec::new()),
        tags::STRING => {
            let n = r.u16()? as usize;
            Eterm::List(r.bytes(n)?.iter().map(|&b| Eterm::Int(b.into())).collect())
        }
        tags::BINARY => {
            let n = r.u32()? as usize;
            Eterm::Binary(Binary::from(r.bytes(n)?))
        }
        tags::BIT_BINARY => {
            let n = r.u32()? as usize;
            let bits = r.u8()?;
            if !(1..=8).contains(&bits) || n == 0 {
                return Err(DecodeError::BadBitBinary);
            }
            let bytes = r.bytes(n)?;
            if bits == 8 {
                // A whole last byte: an ordinary binary.
                Eterm::Binary(Binary::from(bytes))
            } else {
                let mut owned = bytes.to_vec();
                // Bits past the end are not part of the value: keep them zero so that
                // equal bitstrings compare equal.
                let last = owned.len() - 1;
                owned[last] &= 0xffu8 << (8 - bits);
                Eterm::BitBinary {
                    bytes: Binary::from(owned),
                    bits,
                }
            }
        }
        tags::SMALL_TUPLE | tags::LARGE_TUPLE => {
            let n = if tag == tags::SMALL_TUPLE {
                r.u8()? as usize
            } else {
                r.u32()? as usize
            };
            if n == 0 {
                Eterm::Tuple(Vec::new())
            } else {
                r.need(n)?;
                return Ok(Step::Open(Open::Tuple(Vec::with_capacity(n), n)));
            }
        }
        tags::LIST => {
            let n = r.u32()? as usize;
            // n elements and a tail, each at least one byte.
            r.need(n.saturating_add(1))?;
            return Ok(Step::Open(if n == 0 {
                Open::ListTail(Vec::new())
            } else {
                Open::List(Vec::with_capacity(n), n)
            }));
        }
        tags::MAP => {
            let n = r.u32()? as usize;
            if n == 0 {
                Eterm::Map(Vec::new())
            } else {
                r.need(n.saturating_mul(2))?;
                return Ok(Step::Open(Open::Map(Vec::with_capacity(n), None, n)));
            }
        }
        tags::PID | tags::NEW_PID => {
            let node = atom(r)?;
            let id = r.u32()?;
            let serial = r.u32()?;
            let creation = if tag == tags::PID {
                r.u8()?.into()
            } else {
                r.u32()?
            };
            Eterm::Pid(ExtPid {
                node,
                id,
                serial,
                creation,
            })
        }
        tags::PORT | tags::NEW_PORT | tags::V4_PORT => {
            let node = atom(r)?;
            let id = if tag == tags::V4_PORT {
                r.u64()?
            } else {
                r.u32()?.into()
            };
            let creation = if tag == tags::PORT {
                r.u8()?.into()
            } else {
                r.u32()?
            };
            Eterm::Port(ExtPort { node, id, creation })
        }
        tags::REFERENCE => {
            let node = atom(r)?;
            let id = r.u32()?;
            let creation = r.u8()?.into();
            Eterm::Ref(ExtRef {
                node,
                creation,
                words: vec![id],
            })
        }
        tags::NEW_REFERENCE | tags::NEWER_REFERENCE => {
            let len = r.u16()? as usize;
            if !(1..=MAX_REF_WORDS).contains(&len) {
                return Err(DecodeError::BadReference);
            }
            let node = atom(r)?;
            let creation = if tag == tags::NEW_REFERENCE {
                r.u8()?.into()
            } else {
                r.u32()?
            };
            let words = (0..len).map(|_| r.u32()).collect::<Result<_, _>>()?;
            Eterm::Ref(ExtRef {
                node,
                creation,
                words,
            })
        }
        tags::COMPRESSED => return Err(DecodeError::NestedCompression),
        tags::NEW_FUN | tags::FUN | tags::EXPORT => return Err(DecodeError::Unsupported("fun")),
        tags::LOCAL => return Err(DecodeError::Unsupported("LOCAL_EXT")),
        other => return Err(DecodeError::UnknownTag(other)),
    };
    Ok(Step::Value(value))
}

/// A bignum body of `n` magnitude bytes: canonical ([`Eterm::Int`] when it fits).
fn big(r: &mut Reader, n: usize) -> Result<Eterm, DecodeError> {
    let negative = r.u8()? != 0;
    let mut magnitude = r.bytes(n)?;
    while let [rest @ .., 0] = magnitude {
        magnitude = rest;
    }
    if magnitude.len() <= 8 {
        let mut le = [0u8; 8];
        le[..magnitude.len()].copy_from_slice(magnitude);
        let m = u64::from_le_bytes(le);
        let fits = if negative {
            m <= 1 << 63
        } else {
            m <= i64::MAX as u64
        };
        if fits {
            let v = if negative {
                (m as i64).wrapping_neg()
            } else {
                m as i64
            };
            return Ok(Eterm::Int(v));
        }
    }
    Ok(Eterm::BigInt(BigInt {
        negative,
        magnitude: magnitude.to_vec(),
    }))
}

/// An atom term (tag included), as pids, ports and references name their node.
fn atom(r: &mut Reader) -> Result<Atom, DecodeError> {
    let tag = r.u8()?;
    match tag {
        tags::ATOM | tags::SMALL_ATOM | tags::ATOM_UTF8 | tags::SMALL_ATOM_UTF8 => {
            atom_body(r, tag)
        }
        tags::ATOM_CACHE_REF => cached_atom(r),
        _ => Err(DecodeError::ExpectedAtom),
    }
}

/// The atom an `ATOM_CACHE_REF` index (after the tag) names in the message's header.
fn cached_atom(r: &mut Reader) -> Result<Atom, DecodeError> {
    let i = r.u8()? as usize;
    r.atoms
        .get(i)
        .copied()
        .ok_or(DecodeError::BadAtomCacheRef(i))
}

/// The name after an atom tag, interned.
fn atom_body(r: &mut Reader, tag: u8) -> Result<Atom, DecodeError> {
    let n = match tag {
        tags::SMALL_ATOM | tags::SMALL_ATOM_UTF8 => r.u8()? as usize,
        _ => r.u16()? as usize,
    };
    let raw = r.bytes(n)?;
    let latin1: String;
    let name = if tag == tags::ATOM || tag == tags::SMALL_ATOM {
        latin1 = raw.iter().map(|&b| char::from(b)).collect();
        latin1.as_str()
    } else {
        std::str::from_utf8(raw).map_err(|_| DecodeError::BadAtom)?
    };
    if name.chars().count() > MAX_ATOM_CHARS {
        return Err(DecodeError::BadAtom);
    }
    Atom::try_new(name).ok_or(DecodeError::AtomTableFull)
}

/// A cursor over the input; every read checks what is left.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// What `ATOM_CACHE_REF` indices stand for (empty without a distribution header).
    atoms: &'a [Atom],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], atoms: &'a [Atom]) -> Self {
        Reader {
            bytes,
            pos: 0,
            atoms,
        }
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Fails unless `n` more bytes are there.
    fn need(&self, n: usize) -> Result<(), DecodeError> {
        if n > self.left() {
            Err(DecodeError::Truncated)
        } else {
            Ok(())
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.need(n)?;
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn rest(&mut self) -> &'a [u8] {
        let out = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        out
    }

    fn peek(&self) -> Result<u8, DecodeError> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or(DecodeError::Truncated)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.bytes(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
}
