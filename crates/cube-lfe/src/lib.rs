//! LFE (Lisp Flavoured Erlang) on cube: the data model of LFE source, its reader and
//! its printers.
//!
//! This is the first layer of the LFE engine (issue 11). It reads LFE 2.x source text
//! the way `lfe_io:read_string/1` does and prints values the way `lfe_io:print1` and
//! `lfe_io:prettyprint1` (the LFE shell) do, byte for byte; golden tests made with the
//! real LFE check both (`tests/golden.rs`, `scripts/regen-lfe-goldens`).
//!
//! - [`Sexpr`] (`sexpr.rs`): what the reader returns. LFE's reader returns Erlang
//!   terms, so `Sexpr` is Erlang's term model without pids, references and funs: atoms,
//!   integers (i64, else a `num_bigint::BigInt`), floats, proper and improper lists,
//!   tuples, maps, binaries and bitstrings. A string literal *is* a list of character
//!   codes, `#B(...)` and `#M(...)` are built while reading, as in LFE.
//! - [`read_all`] and the streaming [`Reader`] (`read.rs`, on the scanner `lex.rs` and
//!   `#B` construction in `bits.rs`): text to `Sexpr`s, with LFE's error messages.
//! - [`write`] (`print.rs`, `lfe_io:print1`) and [`pretty`] / [`shell`] (`pretty.rs`,
//!   `lfe_io:prettyprint1`).
//! - [`roundtrip::check`]: the read/print round-trip property that the fuzz target
//!   (`fuzz/`, `lfe_read`) and the smoke tests (`tests/smoke.rs`) assert.
//!
//! # `Sexpr` and `cube_term::Term`
//! `Term` is the message value that crosses processes; `Sexpr` is syntax, owned by the
//! reader, macro expander and compiler that come next. They hold the same kinds of
//! data, and an LFE process's heap terms will be built from `Sexpr` literals (quoted
//! data) when code is loaded. Keeping them apart lets the reader stay free of the atom
//! table and of `Arc`s, and lets `Term` keep its Lua-oriented parts (table graphs)
//! out of syntax. A `Sexpr` <-> `Term` conversion belongs with the engine, when atoms
//! become node-wide.
//!
//! # Hostile input
//! Nothing recurses on the Rust stack per level of nesting except the pretty printer's
//! line breaking, which stops at [`pretty::MAX_NEST`] levels and prints deeper parts on
//! one line. The parser keeps open forms on an explicit stack; `Drop`, equality and
//! the one-line printers are iterative. Sizes are bounded where LFE would exhaust
//! memory or time: atoms at 255 characters (Erlang's limit), number literals at
//! [`lex::MAX_NUMBER_CHARS`] characters, `#B` binaries at [`bits::MAX_BITS`] bits.
//! No input makes the reader panic.
//!
//! # Where this differs from LFE
//! - `#.` (read-time evaluation) takes only forms that evaluate to themselves (numbers,
//!   strings, binaries, tuples, maps, `()`) and `(quote x)`; LFE evaluates any
//!   expression (`#.(+ 1 2)` is 3), which is refused here until there is an evaluator.
//! - `#B(...)` takes only self-evaluating segment values and sizes (numbers, strings,
//!   binaries); LFE evaluates them as expressions.
//! - A `#'f/` with no arity is an error (LFE's reader crashes on it).
//! - Maps print in Erlang's map key order; Erlang prints maps of more than 32 keys in
//!   its internal hash order instead, which this printer does not reproduce.
//! - The pretty printer never breaks a one-line part longer than 99,999 characters, and
//!   prints parts nested deeper than [`pretty::MAX_NEST`] levels on one line.

pub mod atom;
pub mod bif;
pub mod binary;
pub mod bits;
pub mod closure;
pub mod compile;
pub mod convert;
pub mod eprint;
pub mod error;
pub mod exception;
pub mod ir;
pub mod lex;
pub mod machine;
pub mod order;
pub mod pattern;
pub mod pretty;
pub mod print;
pub mod read;
pub mod roundtrip;
pub mod runtime;
pub mod script;
pub mod sexpr;
pub mod term;

pub use error::ReadError;
pub use pretty::{pretty, pretty_with, shell};
pub use print::{write, write_depth};
pub use read::{read_all, Read, Reader};
pub use script::{run_file, run_script, ScriptOptions};
pub use sexpr::{Bits, Sexpr};
pub use term::Term;
