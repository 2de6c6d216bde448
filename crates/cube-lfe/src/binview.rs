//! The binaries and bitstrings of running code: a buffer of their own, or a view
//! (bit offset and length) into another binary's buffer.
//!
//! Views are the BEAM's sub-binaries: matching `(rest binary)` in a loop over a
//! binary would otherwise copy the rest at every step, quadratic in the binary's
//! size. A view always points at a binary that owns its bytes (never at another
//! view), so dropping one never recurses, and it keeps that buffer alive as long
//! as it lives, as a BEAM sub-binary keeps its refc binary.

use std::borrow::Cow;
use std::rc::Rc;

use crate::sexpr::Bits;

/// A binary or bitstring value (`Term::Bin`).
pub enum Binary {
    /// Bytes of its own (bits past `bits` in the last byte are zero).
    Own(Bits),
    /// `bits` bits of `root`'s buffer from bit `off`; `root` is always `Own`.
    View {
        root: Rc<Binary>,
        off: u64,
        bits: u64,
    },
}

impl Binary {
    /// Its length in bits.
    pub fn bits(&self) -> u64 {
        match self {
            Binary::Own(b) => b.bits,
            Binary::View { bits, .. } => *bits,
        }
    }

    /// Whether the length is a whole number of bytes.
    pub fn is_binary(&self) -> bool {
        self.bits().is_multiple_of(8)
    }

    /// The buffer holding the bits, the offset of the first one in it, the length.
    pub fn parts(&self) -> (&Bits, u64, u64) {
        match self {
            Binary::Own(b) => (b, 0, b.bits),
            Binary::View { root, off, bits } => match &**root {
                Binary::Own(b) => (b, *off, *bits),
                // Views are only made of owning binaries (`view`).
                Binary::View { .. } => unreachable!("a view of a view"),
            },
        }
    }

    /// The bytes, the last one padded with zero bits for a bitstring. Borrowed
    /// when the value starts on a byte boundary of its buffer and ends on one (or
    /// owns its buffer); copied otherwise.
    pub fn bytes(&self) -> Cow<'_, [u8]> {
        let (buf, off, bits) = self.parts();
        if off.is_multiple_of(8) && (bits.is_multiple_of(8) || off + bits == buf.bits) {
            let s = (off / 8) as usize;
            return Cow::Borrowed(&buf.bytes[s..s + bits.div_ceil(8) as usize]);
        }
        Cow::Owned(self.to_bits().bytes)
    }

    /// A copy as a `Bits` of its own.
    pub fn to_bits(&self) -> Bits {
        let mut out = Bits::default();
        self.append_to(&mut out);
        out
    }

    /// Appends these bits to `out`.
    pub fn append_to(&self, out: &mut Bits) {
        let (buf, off, bits) = self.parts();
        append_range(out, buf, off, bits);
    }

    /// The view of `bits` bits from bit `pos` of `this` (within its length).
    pub fn view(this: &Rc<Binary>, pos: u64, bits: u64) -> Rc<Binary> {
        debug_assert!(pos + bits <= this.bits());
        match &**this {
            Binary::Own(b) if pos == 0 && bits == b.bits => this.clone(),
            Binary::Own(_) => Rc::new(Binary::View {
                root: this.clone(),
                off: pos,
                bits,
            }),
            Binary::View { root, off, .. } => Rc::new(Binary::View {
                root: root.clone(),
                off: off + pos,
                bits,
            }),
        }
    }
}

/// Appends `bits` bits of `buf` from bit `off` to `out`: whole bytes at once when
/// both sides are byte-aligned, bit by bit otherwise.
pub fn append_range(out: &mut Bits, buf: &Bits, off: u64, bits: u64) {
    if out.is_binary() && off.is_multiple_of(8) {
        let s = (off / 8) as usize;
        out.bytes
            .extend_from_slice(&buf.bytes[s..s + bits.div_ceil(8) as usize]);
        out.bits += bits;
        if !bits.is_multiple_of(8) {
            // The buffer's bits past the range are not ours.
            if let Some(last) = out.bytes.last_mut() {
                *last &= 0xff << (8 - bits % 8);
            }
        }
        return;
    }
    for i in off..off + bits {
        out.push_bit(bit_at(buf, i));
    }
}

/// Bit `i` of `b` (most significant first).
pub fn bit_at(b: &Bits, i: u64) -> bool {
    b.bytes[(i / 8) as usize] & (0x80 >> (i % 8)) != 0
}

/// The `n` bits (`n` <= 64) of `b` from bit `pos`, as an unsigned number.
pub fn read_uint(b: &Bits, pos: u64, n: u64) -> u64 {
    debug_assert!(n <= 64);
    if n == 0 {
        return 0;
    }
    let first = (pos / 8) as usize;
    let last = (pos + n).div_ceil(8) as usize;
    // At most 9 bytes: 72 bits fit in a u128.
    let mut v: u128 = 0;
    for &x in &b.bytes[first..last] {
        v = (v << 8) | x as u128;
    }
    let trailing = (last - first) as u64 * 8 - pos % 8 - n;
    let v = v >> trailing;
    if n == 64 {
        v as u64
    } else {
        (v as u64) & ((1u64 << n) - 1)
    }
}
