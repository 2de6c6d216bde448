//! The decoder on input no honest peer sends: every failure is an error value, never a
//! panic, a huge allocation or a deep recursion.

use cube_dist::etf::{decode, decode_with, encode, DecodeError, DecodeLimits, Eterm, MAX_DEPTH};
use std::io::Write;

fn compressed(inner: &[u8], claimed: u32) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(inner).unwrap();
    let mut out = vec![131, 80];
    out.extend_from_slice(&claimed.to_be_bytes());
    out.extend(z.finish().unwrap());
    out
}

#[test]
fn huge_lengths_fail_before_allocating() {
    // A 4 G-element tuple, list, map, binary, big and string in a few bytes each.
    for bytes in [
        &[131, 105, 0xff, 0xff, 0xff, 0xff, 97, 1][..],
        &[131, 108, 0xff, 0xff, 0xff, 0xff, 106][..],
        &[131, 116, 0xff, 0xff, 0xff, 0xff][..],
        &[131, 109, 0xff, 0xff, 0xff, 0xff, 1, 2, 3][..],
        &[131, 111, 0xff, 0xff, 0xff, 0xff, 0][..],
        &[131, 107, 0xff, 0xff, 1][..],
        &[131, 77, 0xff, 0xff, 0xff, 0xff, 3][..],
    ] {
        assert_eq!(decode(bytes), Err(DecodeError::Truncated), "{bytes:?}");
    }
}

#[test]
fn every_truncation_of_a_valid_term_is_an_error() {
    let term = Eterm::tuple(vec![
        Eterm::atom("ok"),
        Eterm::List(vec![Eterm::Int(1 << 40), Eterm::Float(1.5)]),
        Eterm::Map(vec![(Eterm::binary(b"k"), Eterm::nil())]),
        Eterm::ImproperList(vec![Eterm::Int(1)], Box::new(Eterm::atom("t"))),
    ]);
    let bytes = encode(&term).unwrap();
    assert_eq!(decode(&bytes), Ok(term));
    for n in 0..bytes.len() {
        assert!(decode(&bytes[..n]).is_err(), "prefix of {n} bytes decoded");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(decode(&longer), Err(DecodeError::TrailingBytes(1)));
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    // A million nested one-element tuples: fine for an iterative decoder to refuse.
    let depth = 1_000_000;
    let mut bytes = vec![131];
    for _ in 0..depth {
        bytes.extend_from_slice(&[104, 1]);
    }
    bytes.push(106);
    assert_eq!(decode(&bytes), Err(DecodeError::TooDeep));

    // Exactly at the limit: accepted.
    let mut ok = vec![131];
    for _ in 0..MAX_DEPTH {
        ok.extend_from_slice(&[104, 1]);
    }
    ok.push(106);
    let term = decode(&ok).expect("MAX_DEPTH levels");
    assert_eq!(encode(&term).unwrap(), ok);
}

#[test]
fn long_flat_lists_are_not_deep() {
    let items: Vec<Eterm> = (0..200_000).map(Eterm::Int).collect();
    let term = Eterm::List(items);
    let bytes = encode(&term).unwrap();
    assert_eq!(decode(&bytes).unwrap(), term);
}

#[test]
fn compression_is_bounded() {
    let inner = encode(&Eterm::binary(&vec![0u8; 1 << 20])).unwrap();
    let body = &inner[1..];
    let good = compressed(body, body.len() as u32);
    assert_eq!(decode(&good).unwrap(), Eterm::binary(&vec![0u8; 1 << 20]));

    // The claimed size is over the limit: refused before inflating.
    let limits = DecodeLimits {
        max_uncompressed: 1000,
        ..DecodeLimits::default()
    };
    assert_eq!(
        decode_with(&good, &limits),
        Err(DecodeError::TooLarge(body.len()))
    );
    // A stream that inflates to more than it claims (a bomb) stops at the claim.
    let lying = compressed(body, 100);
    assert_eq!(decode(&lying), Err(DecodeError::BadCompression));
    // And to less.
    let short = compressed(body, body.len() as u32 + 1);
    assert_eq!(decode(&short), Err(DecodeError::BadCompression));
    // Garbage instead of zlib.
    assert_eq!(
        decode(&[131, 80, 0, 0, 0, 5, 1, 2, 3, 4]),
        Err(DecodeError::BadCompression)
    );
}

#[test]
fn bad_atoms_and_tags_are_errors() {
    // Invalid UTF-8 in a UTF-8 atom.
    assert_eq!(
        decode(&[131, 119, 2, 0xc3, 0x28]),
        Err(DecodeError::BadAtom)
    );
    // 256 characters.
    let mut long = vec![131, 118, 1, 0];
    long.extend(std::iter::repeat_n(b'a', 256));
    assert_eq!(decode(&long), Err(DecodeError::BadAtom));
    assert_eq!(decode(&[131, 200]), Err(DecodeError::UnknownTag(200)));
    assert_eq!(decode(&[130, 106]), Err(DecodeError::BadVersion));
    assert_eq!(decode(&[]), Err(DecodeError::Truncated));
    // A pid whose node is not an atom.
    assert_eq!(
        decode(&[131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(DecodeError::ExpectedAtom)
    );
    // References with 0 or 6 words.
    assert_eq!(
        decode(&[131, 90, 0, 0, 119, 1, b'a', 0, 0, 0, 0]),
        Err(DecodeError::BadReference)
    );
    assert_eq!(
        decode(&[131, 90, 0, 6, 119, 1, b'a', 0, 0, 0, 0]),
        Err(DecodeError::BadReference)
    );
    // Nested compression.
    assert_eq!(
        decode(&[131, 104, 1, 80, 0, 0, 0, 1]),
        Err(DecodeError::NestedCompression)
    );
}

#[test]
fn round_trips_keep_every_shape() {
    let terms = [
        Eterm::Float(f64::MAX),
        Eterm::List((0..65535).map(|i| Eterm::Int(i % 256)).collect()), // STRING_EXT
        Eterm::List((0..65536).map(|i| Eterm::Int(i % 256)).collect()), // LIST_EXT
        Eterm::List(vec![Eterm::Int(256)]),
        Eterm::atom(&"é".repeat(255)), // 510 bytes: ATOM_UTF8
        Eterm::Tuple(vec![Eterm::nil(); 256]),
    ];
    for t in terms {
        let bytes = encode(&t).unwrap();
        assert_eq!(decode(&bytes).unwrap(), t);
    }
    assert!(encode(&Eterm::Float(f64::NAN)).is_err());
}

/// xorshift64*: a fixed-seed generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The fuzz target's property on mutations of erl's golden bytes, under `cargo test`:
/// decoding never panics, and what decodes re-encodes to bytes that decode the same.
#[test]
fn mutated_goldens_never_panic() {
    let seeds: Vec<Vec<u8>> = include_str!("goldens/terms.txt")
        .lines()
        .filter_map(|l| l.split(' ').nth(2))
        .map(|h| {
            (0..h.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..50_000 {
        let mut bytes = seeds[rng.below(seeds.len())].clone();
        for _ in 0..1 + rng.below(4) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] = rng.next() as u8,
                1 => bytes[at] ^= 1 << rng.below(8),
                2 => {
                    bytes.truncate(at);
                }
                _ => bytes.insert(at, rng.next() as u8),
            }
        }
        if let Ok(term) = decode(&bytes) {
            if let Ok(again) = encode(&term) {
                let back = decode(&again).expect("our encoding decodes");
                assert_eq!(encode(&back).unwrap(), again);
            }
        }
    }
}
