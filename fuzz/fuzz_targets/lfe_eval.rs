//! Arbitrary text as an LFE script through cube-lfe's compiler and evaluator, under a
//! reduction budget and a frame limit: any LFE outcome (values, exceptions, read
//! errors) is fine; a panic, a Rust stack overflow or a hang (`-timeout`) is a bug.
//! Output goes nowhere.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let opts = cube_lfe::ScriptOptions {
        max_reductions: Some(200_000),
        max_frames: 100_000,
    };
    let status = cube_lfe::run_script(
        &src,
        "fuzz.lfe",
        &[],
        Box::new(std::io::sink()),
        &mut std::io::sink(),
        &opts,
    );
    assert!(status == 0 || status == cube_lfe::script::ERROR_STATUS);
});
