//! # Text engines
//!
//! Pure functions over byte slices that the Lua `string` library and the VM's number
//! handling are built on. Nothing here knows about the heap, values or the VM: inputs are
//! `&[u8]` and `f64`, outputs are byte vectors, offsets and plain error values carrying Lua's
//! exact message text, so every engine can be tested (and fuzzed) on its own and used from
//! any process without touching its heap. The library natives convert Lua values at the
//! edges and charge reductions in proportion to the work reported.
//!
//! * [`number`]: `tostring` of numbers (`%.14g`), string-to-number coercion
//!   (`luaO_str2d`) and `tonumber(s, base)`.
//! * [`format`](mod@format): the C `printf` engine behind `string.format`, with glibc's exact output.
//! * [`pattern`]: Lua 5.2 pattern matching (`find`, `match`, `gmatch`, `gsub`).
//! * [`float`]: shared decimal/hex digit generation for `%e %f %g %a`.
//!
//! Behaviour follows PUC-Rio Lua 5.2.4 as built by Debian on x86-64 glibc (where it depends
//! on the C library or the CPU, e.g. `-nan`, hex `strtod`, double-to-integer conversion in
//! `%d`, the x86 behaviour is reproduced). The unit tests hold expected values taken from
//! that `lua5.2`, and a randomised cross-check replays about 15,000 recorded cases from
//! `testdata/lua52_cases.txt` (regenerate with `lua5.2 testdata/gen_lua52_cases.lua`); the
//! tests never need `lua5.2` itself.
//!
//! None of these functions panics on any input, none uses `unsafe`, and the matcher and the
//! number formatter allocate nothing beyond the output they append to.

pub mod float;
pub mod format;
pub mod number;
pub mod pattern;

#[cfg(test)]
mod crosscheck;
