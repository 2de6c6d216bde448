//! The External Term Format (erts docs, "External Term Format"): [`Eterm`], the
//! lossless term it carries, its [decoder](mod@decode) and [encoder](mod@encode).
//!
//! | module | concern |
//! |---|---|
//! | [`tags`] | the tag bytes |
//! | [`eterm`] | [`Eterm`] and the wire forms of pids, ports, references, bignums |
//! | [`decode`](mod@decode) | bytes to `Eterm`, bounded in size, depth and atoms |
//! | [`encode`](mod@encode) | `Eterm` to bytes, byte-identical to erl's `term_to_binary` |
//!
//! What is decoded and how:
//! - integers (`SMALL_INTEGER`, `INTEGER`, `SMALL_BIG`, `LARGE_BIG`): `Int` when they fit
//!   `i64`, else `BigInt` (sign + magnitude; cube-term has no bignum yet, so the
//!   conversion to `Term` refuses them);
//! - floats (`NEW_FLOAT`, and the old 31-character `FLOAT_EXT`);
//! - atoms (`ATOM_UTF8`, `SMALL_ATOM_UTF8`, and the old Latin-1 `ATOM`, `SMALL_ATOM`),
//!   interned in cube-term's atom table, at most 255 characters;
//! - `NIL`, `STRING` (a list of integers), `LIST` (proper and improper), tuples, maps;
//! - `BINARY`, `BIT_BINARY` (kept as `BitBinary`; one with 8 bits in its last byte is an
//!   ordinary binary);
//! - pids (`NEW_PID`, `PID`), ports (`V4_PORT`, `NEW_PORT`, `PORT`), references
//!   (`NEWER_REFERENCE`, `NEW_REFERENCE`, `REFERENCE`);
//! - a compressed term (tag 80) at the top, inflated up to a bound.
//!
//! Funs, exports and `LOCAL_EXT` are refused with [`DecodeError::Unsupported`]. An
//! atom-cache reference names an atom of the message's distribution header
//! ([`decode_headed_prefix`]; `crate::dist_header` reads the header).

pub mod decode;
pub mod encode;
pub mod eterm;
pub mod tags;

pub use decode::{decode, decode_headed_prefix, decode_prefix, decode_with, DecodeLimits};
pub use encode::{encode, encode_body_into, encode_into};
pub use eterm::{BigInt, Eterm, ExtPid, ExtPort, ExtRef};

/// Most containers nested in one another in a term we decode or encode. Deep enough for
/// any message a program writes by hand, shallow enough that the derived recursive
/// `Drop`/`PartialEq` of the result stay far from the end of a 2 MB thread stack.
pub const MAX_DEPTH: usize = 1000;

/// Why bytes are not a term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("term does not start with version byte 131")]
    BadVersion,
    #[error("term is truncated")]
    Truncated,
    #[error("{0} bytes after the term")]
    TrailingBytes(usize),
    #[error("unknown term tag {0}")]
    UnknownTag(u8),
    #[error("term kind not supported: {0}")]
    Unsupported(&'static str),
    #[error("term nests deeper than the limit")]
    TooDeep,
    #[error("compressed term of {0} bytes exceeds the size limit")]
    TooLarge(usize),
    #[error("bad zlib data in compressed term")]
    BadCompression,
    #[error("compressed term inside a term")]
    NestedCompression,
    #[error("bad atom (not UTF-8, or longer than 255 characters)")]
    BadAtom,
    #[error("atom table full")]
    AtomTableFull,
    #[error("expected an atom (node name)")]
    ExpectedAtom,
    #[error("bad float text")]
    BadFloat,
    #[error("bad bit binary")]
    BadBitBinary,
    #[error("reference must have 1 to 5 words")]
    BadReference,
    #[error("atom cache reference {0} is not in the message's header")]
    BadAtomCacheRef(usize),
}

/// Why a term cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("NaN and infinities have no Erlang form")]
    NonFiniteFloat,
    #[error("term nests deeper than the limit")]
    TooDeep,
    #[error("a length exceeds 2^32 - 1")]
    TooLarge,
    #[error("bit binary needs 1..=7 bits and at least one byte")]
    BadBitBinary,
    #[error("reference must have 1 to 5 words")]
    BadReference,
    #[error("{0} not in canonical shape")]
    NotCanonical(&'static str),
}
