//! [`Sexpr`]: the value LFE's reader returns.
//!
//! LFE's reader returns plain Erlang terms: a string literal is a list of character
//! codes, `#(a b)` is a tuple, `#M(a 1)` a map and `#B(1 2)` a binary, all built at read
//! time. `Sexpr` is that term model restricted to what source text can produce: no pids,
//! references or funs. Printing decisions (`"abc"` versus `(97 98 99)`) are made from the
//! contents, as `lfe_io` makes them, so there is no string node.
//!
//! Lists are flat: a proper list is a vector, an improper one a vector and a tail, so a
//! list of a million elements is one allocation and only nesting makes the tree deep.
//! Deep trees are safe: `Drop` and `PartialEq` use an explicit stack, never the Rust
//! stack. (There is deliberately no `Clone`: a derived one would recurse.)

use num_bigint::BigInt;
use std::cmp::Ordering;

/// The longest atom Erlang accepts, in characters.
pub const MAX_ATOM_CHARS: usize = 255;

/// A bitstring: `bits` bits, stored big-endian in `bytes` (the last byte's unused low
/// bits are zero). A binary is a bitstring whose length is a multiple of 8.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Bits {
    pub bytes: Vec<u8>,
    pub bits: u64,
}

impl Bits {
    /// A binary of whole bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Bits {
        let bits = bytes.len() as u64 * 8;
        Bits { bytes, bits }
    }

    /// Whether the length is a whole number of bytes.
    pub fn is_binary(&self) -> bool {
        self.bits.is_multiple_of(8)
    }

    /// Appends the `n` low bits of `value` (`n` <= 64), most significant first.
    pub fn push_bits(&mut self, value: u64, n: u32) {
        for i in (0..n).rev() {
            self.push_bit((value >> i) & 1 == 1);
        }
    }

    /// Appends one bit.
    pub fn push_bit(&mut self, bit: bool) {
        let off = (self.bits % 8) as u32;
        if off == 0 {
            self.bytes.push(0);
        }
        if bit {
            if let Some(last) = self.bytes.last_mut() {
                *last |= 0x80 >> off;
            }
        }
        self.bits += 1;
    }

    /// Appends a whole bitstring.
    pub fn append(&mut self, other: &Bits) {
        if self.is_binary() {
            self.bytes.extend_from_slice(&other.bytes);
            self.bits += other.bits;
            return;
        }
        for i in 0..other.bits {
            let byte = other.bytes[(i / 8) as usize];
            self.push_bit(byte & (0x80 >> (i % 8)) != 0);
        }
    }

    /// The first `n` bits (`n` <= `self.bits`).
    pub fn prefix(&self, n: u64) -> Bits {
        let mut out = Bits {
            bytes: self.bytes[..n.div_ceil(8) as usize].to_vec(),
            bits: n,
        };
        if !n.is_multiple_of(8) {
            if let Some(last) = out.bytes.last_mut() {
                *last &= 0xff << (8 - n % 8);
            }
        }
        out
    }
}

/// A value read from LFE source: an Erlang term without pids, references or funs.
#[derive(Debug)]
pub enum Sexpr {
    /// An atom (symbol), at most [`MAX_ATOM_CHARS`] characters.
    Atom(Box<str>),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// An integer that does not fit in 64 bits (never one that does).
    BigInt(Box<BigInt>),
    /// A float (always finite: LFE reads an overflowing literal as a symbol).
    Float(f64),
    /// A proper list; empty is `()`, Erlang's `[]`.
    List(Vec<Sexpr>),
    /// An improper list: at least one element and a tail that is not a list.
    Dotted(Vec<Sexpr>, Box<Sexpr>),
    Tuple(Vec<Sexpr>),
    /// A map: keys unique and in Erlang's map key order (see [`map_key_cmp`]).
    Map(Vec<(Sexpr, Sexpr)>),
    /// A binary or bitstring.
    Bits(Bits),
}

impl Sexpr {
    /// The atom `name`.
    pub fn atom(name: &str) -> Sexpr {
        Sexpr::Atom(name.into())
    }

    /// An integer, in the smallest representation.
    pub fn int(n: BigInt) -> Sexpr {
        match i64::try_from(&n) {
            Ok(i) => Sexpr::Int(i),
            Err(_) => Sexpr::BigInt(Box::new(n)),
        }
    }

    /// `items` followed by `tail`, normalised: a list tail is spliced in, so
    /// `(1 . (2 3))` is `(1 2 3)`, and `(1 . ())` is `(1)`.
    pub fn dotted(mut items: Vec<Sexpr>, mut tail: Sexpr) -> Sexpr {
        if let Sexpr::List(rest) = &mut tail {
            items.append(rest);
            return Sexpr::List(items);
        }
        if let Sexpr::Dotted(rest, t) = &mut tail {
            // `t` is not a list (the invariant of `Dotted`).
            items.append(rest);
            let t = std::mem::replace(&mut **t, Sexpr::Int(0));
            return Sexpr::Dotted(items, Box::new(t));
        }
        if items.is_empty() {
            tail
        } else {
            Sexpr::Dotted(items, Box::new(tail))
        }
    }

    /// A map from key/value pairs; a later duplicate key wins (as `maps:from_list`).
    pub fn map(pairs: Vec<(Sexpr, Sexpr)>) -> Sexpr {
        let mut pairs: Vec<(usize, (Sexpr, Sexpr))> = pairs.into_iter().enumerate().collect();
        // Sort by key, later insertions first among equal keys, then keep the first.
        pairs.sort_by(|a, b| map_key_cmp(&a.1 .0, &b.1 .0).then(b.0.cmp(&a.0)));
        let mut out: Vec<(Sexpr, Sexpr)> = Vec::with_capacity(pairs.len());
        for (_, kv) in pairs {
            match out.last() {
                Some(last) if map_key_cmp(&last.0, &kv.0) == Ordering::Equal => {}
                _ => out.push(kv),
            }
        }
        Sexpr::Map(out)
    }

    /// The atom's name, if this is an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Sexpr::Atom(a) => Some(a),
            _ => None,
        }
    }

    /// The children of a compound value, in order (map keys and values interleaved;
    /// an improper list's tail last).
    pub fn children(&self) -> Vec<&Sexpr> {
        match self {
            Sexpr::List(v) | Sexpr::Tuple(v) => v.iter().collect(),
            Sexpr::Dotted(v, t) => v.iter().chain(std::iter::once(&**t)).collect(),
            Sexpr::Map(kvs) => kvs.iter().flat_map(|(k, v)| [k, v]).collect(),
            _ => Vec::new(),
        }
    }

    /// Moves the children out (leaving this node childless), for iterative drops.
    fn take_children(&mut self, into: &mut Vec<Sexpr>) {
        match self {
            Sexpr::List(v) | Sexpr::Tuple(v) => into.append(v),
            Sexpr::Dotted(v, t) => {
                into.append(v);
                into.push(std::mem::replace(&mut **t, Sexpr::Int(0)));
            }
            Sexpr::Map(kvs) => {
                for (k, v) in kvs.drain(..) {
                    into.push(k);
                    into.push(v);
                }
            }
            _ => {}
        }
    }

    fn has_children(&self) -> bool {
        match self {
            Sexpr::List(v) | Sexpr::Tuple(v) => !v.is_empty(),
            Sexpr::Dotted(..) => true,
            Sexpr::Map(kvs) => !kvs.is_empty(),
            _ => false,
        }
    }
}

impl Drop for Sexpr {
    fn drop(&mut self) {
        if !self.has_children() {
            return;
        }
        let mut stack = Vec::new();
        self.take_children(&mut stack);
        while let Some(mut node) = stack.pop() {
            node.take_children(&mut stack);
            // `node` is now childless; its own drop returns at once.
        }
    }
}

impl PartialEq for Sexpr {
    /// Exact equality (`=:=`): `1` and `1.0` differ. Iterative.
    fn eq(&self, other: &Sexpr) -> bool {
        exact_cmp(self, other) == Ordering::Equal
    }
}

/// Type rank in Erlang's term order (number < atom < tuple < map < nil < list <
/// bitstring), with integers before floats as in map key order.
fn rank(s: &Sexpr) -> u8 {
    match s {
        Sexpr::Int(_) | Sexpr::BigInt(_) => 0,
        Sexpr::Float(_) => 1,
        Sexpr::Atom(_) => 2,
        Sexpr::Tuple(_) => 3,
        Sexpr::Map(_) => 4,
        Sexpr::List(v) if v.is_empty() => 5,
        Sexpr::List(_) | Sexpr::Dotted(..) => 6,
        Sexpr::Bits(_) => 7,
    }
}

/// Erlang's map key order: term order, except that every integer sorts before every
/// float and floats compare exactly. This is the order maps print in (for maps of up to
/// 32 keys; see the crate documentation). Iterative.
pub fn map_key_cmp(a: &Sexpr, b: &Sexpr) -> Ordering {
    exact_cmp(a, b)
}

fn exact_cmp(a: &Sexpr, b: &Sexpr) -> Ordering {
    // Comparisons still to make, most urgent last; `Fixed` is a decided outcome that
    // counts once everything above it compared equal.
    enum Item<'a> {
        Pair(&'a Sexpr, &'a Sexpr),
        Fixed(Ordering),
    }
    let mut stack: Vec<Item> = vec![Item::Pair(a, b)];
    while let Some(item) = stack.pop() {
        let (a, b) = match item {
            Item::Pair(a, b) => (a, b),
            Item::Fixed(o) if o != Ordering::Equal => return o,
            Item::Fixed(_) => continue,
        };
        let (ra, rb) = (rank(a), rank(b));
        if ra != rb {
            return ra.cmp(&rb);
        }
        let ord = match (a, b) {
            (Sexpr::Atom(x), Sexpr::Atom(y)) => x.cmp(y),
            (Sexpr::Float(x), Sexpr::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            (Sexpr::Bits(x), Sexpr::Bits(y)) => x.bytes.cmp(&y.bytes).then(x.bits.cmp(&y.bits)),
            (Sexpr::Tuple(x), Sexpr::Tuple(y)) => match x.len().cmp(&y.len()) {
                Ordering::Equal => {
                    stack.extend(x.iter().zip(y.iter()).rev().map(|(p, q)| Item::Pair(p, q)));
                    Ordering::Equal
                }
                o => o,
            },
            (Sexpr::Map(x), Sexpr::Map(y)) => match x.len().cmp(&y.len()) {
                Ordering::Equal => {
                    // All the keys first, then the values.
                    let vals = x.iter().zip(y.iter()).rev();
                    stack.extend(vals.map(|(p, q)| Item::Pair(&p.1, &q.1)));
                    let keys = x.iter().zip(y.iter()).rev();
                    stack.extend(keys.map(|(p, q)| Item::Pair(&p.0, &q.0)));
                    Ordering::Equal
                }
                o => o,
            },
            (Sexpr::List(_) | Sexpr::Dotted(..), Sexpr::List(_) | Sexpr::Dotted(..)) => {
                let (xs, xt) = list_parts(a);
                let (ys, yt) = list_parts(b);
                let n = xs.len().min(ys.len());
                // What follows the common prefix on each side: more elements (a list,
                // rank 6), the dotted tail, or nil (rank 5).
                let rest_rank = |len: usize, t: Option<&Sexpr>| {
                    if len > n {
                        6
                    } else {
                        t.map_or(5, rank)
                    }
                };
                match (xs.len() > n, ys.len() > n, xt, yt) {
                    (false, false, Some(p), Some(q)) => stack.push(Item::Pair(p, q)),
                    _ => stack.push(Item::Fixed(
                        rest_rank(xs.len(), xt).cmp(&rest_rank(ys.len(), yt)),
                    )),
                }
                let pairs = xs[..n].iter().zip(ys[..n].iter()).rev();
                stack.extend(pairs.map(|(p, q)| Item::Pair(p, q)));
                Ordering::Equal
            }
            _ => num_cmp(a, b),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

fn list_parts(s: &Sexpr) -> (&[Sexpr], Option<&Sexpr>) {
    match s {
        Sexpr::List(v) => (v, None),
        Sexpr::Dotted(v, t) => (v, Some(t)),
        _ => (&[], None),
    }
}

fn num_cmp(a: &Sexpr, b: &Sexpr) -> Ordering {
    match (a, b) {
        (Sexpr::Int(x), Sexpr::Int(y)) => x.cmp(y),
        (Sexpr::Int(x), Sexpr::BigInt(y)) => BigInt::from(*x).cmp(y),
        (Sexpr::BigInt(x), Sexpr::Int(y)) => (**x).cmp(&BigInt::from(*y)),
        (Sexpr::BigInt(x), Sexpr::BigInt(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_all;

    fn one(src: &str) -> Sexpr {
        // A newline after: LFE's scanner refuses `""` at the very end of its input.
        read_all(&format!("{src}\n"))
            .expect("reads")
            .pop()
            .expect("one form")
    }

    #[test]
    fn dotted_tails_are_normalised() {
        assert_eq!(one("(1 . (2 3))"), one("(1 2 3)"));
        assert_eq!(one("(1 . ())"), one("(1)"));
        assert_eq!(one("(1 . (2 . 3))"), one("(1 2 . 3)"));
        assert!(matches!(one("(1 . 2)"), Sexpr::Dotted(ref v, _) if v.len() == 1));
        assert_eq!(one("\"ab\""), one("(97 98)"));
    }

    #[test]
    fn integers_take_the_smallest_representation() {
        assert!(matches!(one("9223372036854775807"), Sexpr::Int(_)));
        assert!(matches!(one("9223372036854775808"), Sexpr::BigInt(_)));
        assert!(matches!(one("-9223372036854775808"), Sexpr::Int(i64::MIN)));
    }

    #[test]
    fn map_key_order_is_erlangs() {
        // Integers, then floats, atoms, tuples, maps, nil, lists, binaries (the order
        // Erlang/OTP 25 sorts these keys of a map in).
        let order = [
            "-5",
            "1",
            "2",
            "99999999999999999999",
            "1.0",
            "1.5",
            "a",
            "b",
            "#(z)",
            "#(a b)",
            "#M()",
            "()",
            "(1 . 2)",
            "(1)",
            "(1 2)",
            "(a)",
            "#\"\"",
            "#\"a\"",
        ];
        let vals: Vec<Sexpr> = order.iter().map(|s| one(s)).collect();
        for (i, a) in vals.iter().enumerate() {
            for (j, b) in vals.iter().enumerate() {
                assert_eq!(map_key_cmp(a, b), i.cmp(&j), "{} vs {}", order[i], order[j]);
            }
        }
    }

    #[test]
    fn maps_keep_the_last_duplicate() {
        let m = one("#M(a 1 b 2 a 3)");
        assert_eq!(crate::write(&m), "#M(a 3 b 2)");
        assert_ne!(one("#M(1 x)"), one("#M(1.0 x)"));
    }

    #[test]
    fn deep_values_drop_without_recursion() {
        let mut v = Sexpr::List(Vec::new());
        for _ in 0..1_000_000 {
            v = Sexpr::Tuple(vec![v]);
        }
        drop(v);
    }

    #[test]
    fn bits_append_and_prefix() {
        let mut b = Bits::default();
        b.push_bits(0b101, 3);
        b.append(&Bits::from_bytes(vec![0xff]));
        assert_eq!(
            (b.bits, b.bytes.clone()),
            (11, vec![0b1011_1111, 0b1110_0000])
        );
        assert_eq!(b.prefix(4).bytes, vec![0b1011_0000]);
    }
}
