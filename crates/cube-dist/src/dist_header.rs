//! Distribution headers (erts docs, "Distribution Protocol": "Normal Distribution
//! Header" and "Distribution Header for Fragmented Messages"), offered with
//! `DFLAG_DIST_HDR_ATOM_CACHE` and `DFLAG_FRAGMENTS`.
//!
//! A packet from the peer is one of:
//! - `112` (pass through) and the message: no header;
//! - `131 'D'` and a header naming the atoms the message uses (new ones with their text,
//!   stored in this connection's atom cache of 8 segments of 256 entries; known ones by
//!   their cache index), then the message, where `ATOM_CACHE_REF` `i` stands for the
//!   header's `i`th atom;
//! - `131 'E' SequenceId FragmentId` and the same header, then the start of a message
//!   cut into fragments, and `131 'F' SequenceId FragmentId` with the following pieces.
//!   Fragment ids count down to 1, the last; a message in one fragment has id 1 in its
//!   `'E'` header. Fragments of different messages (different senders) may interleave;
//!   those of one message come in order.
//!
//! erl accepts fragments only from a peer that also takes the atom cache header, hence
//! both; and once headers are negotiated it refuses pass-through packets, so we send
//! every message with a header that names no atoms ([`EMPTY_NORMAL_HEADER`]), whole
//! (atoms travel as text, and we never cut a message: a 10 MB send holds the connection
//! until it is written, as it did before).
//!
//! Bad input costs the connection, never the node: a malformed header, an index outside
//! the cache, a fragment out of order. What is held for unfinished messages is bounded:
//! at most [`MAX_OPEN_SEQUENCES`] at once, their bytes together at most the connection's
//! packet limit.

use crate::control::PASS_THROUGH;
use cube_term::Atom;
use std::collections::HashMap;

const VERSION: u8 = 131;
const NORMAL: u8 = b'D';
const FIRST: u8 = b'E';
const MORE: u8 = b'F';

/// A normal distribution header naming no atoms: how we send to a peer that takes
/// headers.
pub const EMPTY_NORMAL_HEADER: [u8; 3] = [VERSION, NORMAL, 0];

/// Entries of a connection's atom cache (8 segments of 256).
const CACHE_SIZE: usize = 2048;

/// How many fragmented messages may be unfinished at once on one connection.
pub const MAX_OPEN_SEQUENCES: usize = 1024;

/// Why a packet breaks the header rules.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("packet starts with neither pass-through 112 nor a distribution header")]
    UnknownHeader,
    #[error("truncated distribution header")]
    Truncated,
    #[error("distribution header names atom cache entry {0}, which is empty")]
    EmptyCacheEntry(usize),
    #[error("bad atom text in a distribution header")]
    BadAtom,
    #[error("atom table full")]
    AtomTableFull,
    #[error("fragment id 0")]
    ZeroId,
    #[error("first fragment of sequence {0}, which is already open")]
    Reopened(u64),
    #[error("fragment of sequence {0}, which was never opened")]
    Unopened(u64),
    #[error("fragment {got} of sequence {seq} where {want} was due")]
    OutOfOrder { seq: u64, got: u64, want: u64 },
    #[error("more than {MAX_OPEN_SEQUENCES} fragmented messages open at once")]
    TooManyOpen,
    #[error("fragmented messages hold more than {0} bytes")]
    TooLarge(usize),
}

/// A whole message: its control term and message term, and how to read them.
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    /// The packet (or the fragments put together); the terms start at `start`. (Not cut
    /// off the front: that would copy every message once more.)
    pub packet: Vec<u8>,
    pub start: usize,
    /// `None`: it came pass-through, each term with its version byte. `Some`: it came
    /// with a header, its terms have no version byte, and `ATOM_CACHE_REF` `i` stands
    /// for the `i`th of these atoms.
    pub atoms: Option<Vec<Atom>>,
}

/// A message whose last fragment has not arrived.
struct Open {
    /// The id the next fragment must carry.
    next: u64,
    body: Vec<u8>,
    atoms: Vec<Atom>,
}

/// What one connection's incoming side remembers between packets: the atom cache the
/// peer fills and the messages it has begun in fragments.
pub struct Incoming {
    cache: Box<[Option<Atom>]>,
    open: HashMap<u64, Open>,
    held: usize,
    max: usize,
}

impl Message {
    /// The control term and message term.
    pub fn body(&self) -> &[u8] {
        &self.packet[self.start..]
    }
}

impl Incoming {
    /// A connection's incoming state, holding at most `max` bytes of unfinished messages.
    pub fn new(max: usize) -> Self {
        Incoming {
            cache: vec![None; CACHE_SIZE].into_boxed_slice(),
            open: HashMap::new(),
            held: 0,
            max,
        }
    }

    /// Takes one packet; gives the whole message it completes, if any.
    pub fn accept(&mut self, mut packet: Vec<u8>) -> Result<Option<Message>, HeaderError> {
        match packet.first() {
            Some(&PASS_THROUGH) => {
                return Ok(Some(Message {
                    packet,
                    start: 1,
                    atoms: None,
                }));
            }
            Some(&VERSION) => {}
            _ => return Err(HeaderError::UnknownHeader),
        }
        let mut r = Cursor {
            bytes: &packet,
            pos: 2,
        };
        match packet.get(1) {
            Some(&NORMAL) => {
                let atoms = self.atom_header(&mut r)?;
                let start = r.pos;
                Ok(Some(Message {
                    packet,
                    start,
                    atoms: Some(atoms),
                }))
            }
            Some(&FIRST) => {
                let (seq, id) = (r.u64()?, r.u64()?);
                if id == 0 {
                    return Err(HeaderError::ZeroId);
                }
                let atoms = self.atom_header(&mut r)?;
                let start = r.pos;
                if id == 1 {
                    return Ok(Some(Message {
                        packet,
                        start,
                        atoms: Some(atoms),
                    }));
                }
                let body = packet.split_off(start);
                if self.open.contains_key(&seq) {
                    return Err(HeaderError::Reopened(seq));
                }
                if self.open.len() >= MAX_OPEN_SEQUENCES {
                    return Err(HeaderError::TooManyOpen);
                }
                self.hold(body.len())?;
                self.open.insert(
                    seq,
                    Open {
                        next: id - 1,
                        body,
                        atoms,
                    },
                );
                Ok(None)
            }
            Some(&MORE) => {
                let (seq, id) = (r.u64()?, r.u64()?);
                let open = self.open.get(&seq).ok_or(HeaderError::Unopened(seq))?;
                if id != open.next {
                    return Err(HeaderError::OutOfOrder {
                        seq,
                        got: id,
                        want: open.next,
                    });
                }
                let more = &packet[r.pos..];
                self.hold(more.len())?;
                let open = self.open.get_mut(&seq).expect("open sequence");
                open.body.extend_from_slice(more);
                open.next -= 1;
                if id > 1 {
                    return Ok(None);
                }
                let done = self.open.remove(&seq).expect("open sequence");
                self.held -= done.body.len();
                Ok(Some(Message {
                    packet: done.body,
                    start: 0,
                    atoms: Some(done.atoms),
                }))
            }
            _ => Err(HeaderError::UnknownHeader),
        }
    }

    fn hold(&mut self, bytes: usize) -> Result<(), HeaderError> {
        let held = self.held + bytes;
        if held > self.max {
            return Err(HeaderError::TooLarge(self.max));
        }
        self.held = held;
        Ok(())
    }

    /// Reads `NumberOfAtomCacheRefs Flags AtomCacheRefs`, storing new entries in the
    /// cache; gives the atoms in the header's order.
    fn atom_header(&mut self, r: &mut Cursor) -> Result<Vec<Atom>, HeaderError> {
        let n = r.u8()? as usize;
        if n == 0 {
            return Ok(Vec::new());
        }
        // Half a byte per reference (new-entry bit, segment index), low half first, then
        // half a byte of header flags (bit 0: atom lengths take two bytes).
        let flags = r.bytes(n / 2 + 1)?;
        let nibble = |i: usize| (flags[i / 2] >> (4 * (i % 2))) & 0xf;
        let long_atoms = nibble(n) & 1 != 0;
        let mut atoms = Vec::with_capacity(n);
        for i in 0..n {
            let f = nibble(i);
            let index = usize::from(f & 7) * 256 + r.u8()? as usize;
            let atom = if f & 8 != 0 {
                let len = if long_atoms {
                    r.u16()? as usize
                } else {
                    r.u8()? as usize
                };
                let text = std::str::from_utf8(r.bytes(len)?).map_err(|_| HeaderError::BadAtom)?;
                if text.chars().count() > 255 {
                    return Err(HeaderError::BadAtom);
                }
                let atom = Atom::try_new(text).ok_or(HeaderError::AtomTableFull)?;
                self.cache[index] = Some(atom);
                atom
            } else {
                self.cache[index].ok_or(HeaderError::EmptyCacheEntry(index))?
            };
            atoms.push(atom);
        }
        Ok(atoms)
    }
}

/// A reading position in a packet; every read checks what is left.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], HeaderError> {
        let out = self
            .bytes
            .get(self.pos..self.pos + n)
            .ok_or(HeaderError::Truncated)?;
        self.pos += n;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, HeaderError> {
        Ok(self.bytes(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, HeaderError> {
        let b = self.bytes(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u64(&mut self) -> Result<u64, HeaderError> {
        let b = self.bytes(8)?;
        Ok(u64::from_be_bytes(b.try_into().expect("eight bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(kind: u8, seq: u64, id: u64, data: &[u8]) -> Vec<u8> {
        let mut p = vec![VERSION, kind];
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        if kind == FIRST {
            p.push(0);
        }
        p.extend_from_slice(data);
        p
    }

    /// What a test compares of a message: its body and its atoms.
    type Got = Option<(Vec<u8>, Option<Vec<Atom>>)>;

    fn whole(body: &[u8]) -> Got {
        Some((body.to_vec(), Some(Vec::new())))
    }

    fn take(r: &mut Incoming, p: Vec<u8>) -> Result<Got, HeaderError> {
        r.accept(p).map(|m| m.map(|m| (m.body().to_vec(), m.atoms)))
    }

    #[test]
    fn pass_through_and_single_fragments_are_whole() {
        let mut r = Incoming::new(100);
        assert_eq!(take(&mut r, vec![112, 1, 2]), Ok(Some((vec![1, 2], None))));
        assert_eq!(take(&mut r, fragment(FIRST, 9, 1, b"ab")), Ok(whole(b"ab")));
        assert_eq!(take(&mut r, vec![VERSION, NORMAL, 0, 7]), Ok(whole(&[7])));
    }

    #[test]
    fn the_atom_cache_fills_and_is_used() {
        let mut r = Incoming::new(100);
        // Two new entries: "ok" at segment 0 index 5, "cube_x" at segment 3 index 200;
        // header flags: short atoms.
        let mut p = vec![VERSION, NORMAL, 2, 0x8 | (0xb << 4), 0];
        p.extend_from_slice(&[5, 2]);
        p.extend_from_slice(b"ok");
        p.extend_from_slice(&[200, 6]);
        p.extend_from_slice(b"cube_x");
        p.push(42);
        let got = r.accept(p).unwrap().unwrap();
        assert_eq!(got.atoms, Some(vec![Atom::new("ok"), Atom::new("cube_x")]));
        assert_eq!(got.body(), &[42]);
        // The same two by index only, in the other order, with long-atom flag set.
        let p = vec![VERSION, NORMAL, 2, 0x3, 1, 200, 5, 43];
        let got = r.accept(p).unwrap().unwrap();
        assert_eq!(got.atoms, Some(vec![Atom::new("cube_x"), Atom::new("ok")]));
        // Long atom lengths (two bytes).
        let mut p = vec![VERSION, NORMAL, 1, 0x8 | (0x1 << 4), 9, 0, 3];
        p.extend_from_slice(b"abc");
        assert_eq!(
            r.accept(p).unwrap().unwrap().atoms,
            Some(vec![Atom::new("abc")])
        );
        // An entry never filled.
        assert_eq!(
            r.accept(vec![VERSION, NORMAL, 1, 0x7, 255]),
            Err(HeaderError::EmptyCacheEntry(7 * 256 + 255))
        );
        assert_eq!(
            r.accept(vec![VERSION, NORMAL, 1, 0x8, 0, 5, b'a']),
            Err(HeaderError::Truncated)
        );
    }

    #[test]
    fn interleaved_sequences_reassemble_in_order() {
        let mut r = Incoming::new(100);
        assert_eq!(r.accept(fragment(FIRST, 1, 3, b"a1")), Ok(None));
        assert_eq!(r.accept(fragment(FIRST, 2, 2, b"b1")), Ok(None));
        assert_eq!(r.accept(fragment(MORE, 1, 2, b"a2")), Ok(None));
        assert_eq!(
            take(&mut r, fragment(MORE, 2, 1, b"b2")),
            Ok(whole(b"b1b2"))
        );
        assert_eq!(
            take(&mut r, fragment(MORE, 1, 1, b"a3")),
            Ok(whole(b"a1a2a3"))
        );
        assert_eq!(r.held, 0);
        assert!(r.open.is_empty());
    }

    #[test]
    fn broken_sequences_are_errors() {
        let mut r = Incoming::new(100);
        assert_eq!(r.accept(vec![7]), Err(HeaderError::UnknownHeader));
        assert_eq!(
            r.accept(vec![VERSION, FIRST, 0]),
            Err(HeaderError::Truncated)
        );
        assert_eq!(
            r.accept(fragment(MORE, 5, 1, b"x")),
            Err(HeaderError::Unopened(5))
        );
        assert_eq!(
            r.accept(fragment(FIRST, 5, 0, b"x")),
            Err(HeaderError::ZeroId)
        );
        assert_eq!(r.accept(fragment(FIRST, 5, 3, b"x")), Ok(None));
        assert_eq!(
            r.accept(fragment(FIRST, 5, 3, b"x")),
            Err(HeaderError::Reopened(5))
        );
        assert_eq!(
            r.accept(fragment(MORE, 5, 1, b"x")),
            Err(HeaderError::OutOfOrder {
                seq: 5,
                got: 1,
                want: 2
            })
        );
    }

    #[test]
    fn what_is_held_is_bounded() {
        let mut r = Incoming::new(10);
        assert_eq!(r.accept(fragment(FIRST, 1, 9, b"12345")), Ok(None));
        assert_eq!(r.accept(fragment(MORE, 1, 8, b"12345")), Ok(None));
        assert_eq!(
            r.accept(fragment(MORE, 1, 7, b"1")),
            Err(HeaderError::TooLarge(10))
        );
        let mut r = Incoming::new(usize::MAX);
        for seq in 0..MAX_OPEN_SEQUENCES as u64 {
            assert_eq!(r.accept(fragment(FIRST, seq, 2, b"")), Ok(None));
        }
        assert_eq!(
            r.accept(fragment(FIRST, u64::MAX, 2, b"")),
            Err(HeaderError::TooManyOpen)
        );
    }
}
