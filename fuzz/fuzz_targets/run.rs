//! Arbitrary bytes as a Lua program: compile, and run the loop-free ones in a fresh
//! state with the standard library (see `common.rs` for why only those). Must never
//! panic; Lua errors are expected.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common {
    include!("../common.rs");
}

fuzz_target!(|data: &[u8]| {
    common::compile_and_maybe_run(data);
});
