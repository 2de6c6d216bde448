//! Arbitrary bytes as a stream of distribution packets from one peer: each packet is a
//! length byte and that many bytes, fed in order through one connection's incoming state
//! (its atom cache, its unfinished fragmented messages), and every message it completes
//! decoded. Never a panic, and what is held stays within the bound.
#![no_main]

use cube_dist::control::decode_message;
use cube_dist::dist_header::Incoming;
use cube_dist::etf::DecodeLimits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut incoming = Incoming::new(4096);
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (packet, tail) = tail.split_at(len);
        rest = tail;
        match incoming.accept(packet.to_vec()) {
            Ok(Some(m)) => {
                let _ = decode_message(&m, &DecodeLimits::default());
            }
            Ok(None) => {}
            Err(_) => return, // the connection would close here
        }
    }
});
