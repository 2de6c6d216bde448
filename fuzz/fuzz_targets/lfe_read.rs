//! Arbitrary text through cube-lfe's reader and printers: reading never panics, every
//! form prints every way, and printed forms read back as themselves
//! (`cube_lfe::roundtrip::check`, which `crates/cube-lfe/tests/smoke.rs` also runs on
//! the committed inputs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    if let Err(e) = cube_lfe::roundtrip::check(&src) {
        panic!("round trip: {e}");
    }
});
