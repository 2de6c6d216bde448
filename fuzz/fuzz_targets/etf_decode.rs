//! Arbitrary bytes through cube-dist's External Term Format decoder: decoding never
//! panics, and whatever decodes re-encodes (when it can be encoded at all: NaN floats
//! cannot) to bytes that decode to the same term.
#![no_main]

use cube_dist::etf::{decode, encode, Eterm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(term) = decode(data) else { return };
    // Terms are compared through their encoding: NaN != NaN would fail a direct compare.
    if let Ok(bytes) = encode(&term) {
        let again: Eterm = decode(&bytes).expect("our own encoding decodes");
        assert_eq!(encode(&again).expect("re-encodes"), bytes);
    }
});
