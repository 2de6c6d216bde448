//! Arbitrary bytes through the lexer, parser and compiler: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cube_lua::load::compile(data, "=fuzz");
});
