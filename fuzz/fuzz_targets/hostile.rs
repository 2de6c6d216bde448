//! Hostile sandboxed programs (issue 9): the bytes choose a composition of the standard
//! library's natives with large, odd and recursive arguments (`hostile.rs`), which runs
//! under the sandbox's limits (16 MB heap, 1,000,000 reductions). Lua errors and limit
//! errors are expected; a panic is a bug, and so is a run that libFuzzer's `-timeout`
//! or `-rss_limit_mb` stops (see fuzz/README.md for the flags).
#![no_main]

use libfuzzer_sys::fuzz_target;

mod hostile {
    include!("../hostile.rs");
}

fuzz_target!(|data: &[u8]| {
    let src = hostile::program(&mut hostile::Choices::new(data));
    hostile::run_hostile(&src);
});
