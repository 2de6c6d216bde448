//! LFE (Lisp Flavoured Erlang) on cube: the reader and printers of LFE source, and an
//! evaluator that runs LFE scripts the way `lfe prog.lfe` does.
//!
//! This is the LFE engine of issue 11: scripts run as `lfe prog.lfe` runs them
//! (`cube-cli run prog.lfe` makes the script the first process of a node; [`run_script`]
//! runs one without a node), and LFE processes run on cube's scheduler.
//!
//! # Reader and printers (source data)
//! - [`Sexpr`] (`sexpr.rs`): what the reader returns. LFE's reader returns Erlang
//!   terms, so `Sexpr` is Erlang's term model without pids, references and funs: atoms,
//!   integers (i64, else a `num_bigint::BigInt`), floats, proper and improper lists,
//!   tuples, maps, binaries and bitstrings. A string literal *is* a list of character
//!   codes, `#B(...)` and `#M(...)` are built while reading, as in LFE.
//! - [`read_all`] and the streaming [`Reader`] (`read.rs`, on the scanner `lex.rs` and
//!   `#B` construction in `bits.rs`): text to `Sexpr`s, with LFE's error messages.
//! - [`write()`] (`print.rs`, `lfe_io:print1`) and [`pretty()`] / [`shell()`] (`pretty.rs`,
//!   `lfe_io:prettyprint1`), byte for byte as LFE (`tests/golden.rs`).
//! - [`roundtrip::check`]: the read/print round-trip property that the fuzz target
//!   (`fuzz/`, `lfe_read`) and the smoke tests (`tests/smoke.rs`) assert.
//!
//! # The evaluator (running data)
//! - [`Term`] (`term.rs`): Erlang's data for running code: interned atoms (`atom.rs`),
//!   integers of any size, floats, cons cells, tuples, binaries, maps, funs
//!   (`closure.rs`); shared by `Rc` within one evaluator. `order.rs`: Erlang's term
//!   order and both equalities. `exception.rs`: the `error` / `exit` / `throw` classes.
//! - `compile/`: macro expansion and compilation from `Sexpr` to the core IR
//!   (`ir.rs`: lambdas with clauses, matches with guards, local functions, `try`,
//!   `catch`, calls, constructors). User macros (`defmacro`) are funs run by the
//!   evaluator; built-in macros (`let*`, `flet*`, `cond`, `list*`, backquote, `cXr`,
//!   variadic operators, `mod:fun`, `lc`) rewrite source; records (`defrecord`,
//!   `record.rs`, `compile/records.rs`) are tuples built and matched by the forms
//!   LFE's record macros name. Patterns: `pattern.rs`; binary segments: `binary.rs`;
//!   `Sexpr` <-> `Term`: `convert.rs`.
//! - [`machine::Machine`] (`machine.rs`): runs the IR on an explicit stack of frames.
//!   [`machine::Machine::resume`] runs for a budget of reductions (one per call) and
//!   returns finished, preempted, waiting (in `receive`) or an uncaught exception.
//! - [`runtime::Runtime`] (`runtime.rs`): top-level functions and macros, the natives
//!   (`bif/`: `erlang` arithmetic, comparisons, type tests, conversions; `lists`;
//!   `maps`; `io`, `io_lib` and `lfe_io` formatting; `math`, some `string` and
//!   `proplists`) and the library written in LFE
//!   (`prelude.lfe`: the `lists` and `maps` functions that take funs; `library.lfe`:
//!   more of `lists`, `maps`, `proplists`, `timer`; `http.lfe`: `http` and `httpc`,
//!   HTTP on the Lua `http` library through Lua processes and messages). `eprint.rs`
//!   prints terms in Erlang's syntax (`~w`, `~p`) and LFE's; `epretty.rs` lays out
//!   `~p` terms wider than the line.
//! - [`run_script`] / [`run_file`] (`script.rs`): top-level forms in order, `defun` and
//!   `defmacro` defining for the rest of the file, calls resolved when they run; an
//!   uncaught exception is reported as `lfe` reports it, with its exit status 127.
//!   Goldens made with the real `lfe`: `tests/lfe/programs/`, `tests/programs.rs`.
//! - `module.rs`: `defmodule` (exports, imports, the module's own macros and records)
//!   and the search path (`LFE_PATH`, `cube-cli run --pa DIR`, the script's
//!   directory) that loads `name.lfe` on the first call of `name:f`. A file whose
//!   first form is `defmodule` runs as `(NAME:main)`. Goldens compiled by the real
//!   LFE: `tests/lfe/modules/`, `tests/modules.rs`.
//!
//! # Processes (DESIGN.md decision 7)
//! An LFE process is a cube process: [`process::LfeProcess`] implements
//! [`cube_vm::Engine`], so the node's schedulers run it by slices of reductions beside
//! Lua processes, with the same mailboxes, links, monitors, names, limits and timers.
//! `receive` (selective, with `after`) scans the process's own queue of taken
//! messages and waits ([`machine::Outcome::Wait`]) when nothing matches. The process
//! BIFs are in `process.rs`; messages cross as [`cube_term::Term`]s (`interop.rs`), so
//! LFE and Lua processes talk (Lua starts LFE code with `lfe.spawn`, cube-cli; LFE
//! starts Lua code with `lua:spawn`).
//!
//! The LFE shell (`shell.rs`, `cube-cli lfe`) is such a process too
//! ([`process::LfeProcess::shell`]): it reads lines sent by the terminal as tagged
//! messages, evaluates each form and prints its value as `lfe_io:prettyprint1(V, 30)`,
//! with `lfe_shell`'s commands (`c`, `l`, `flush`, `i`, `regs`, `help`, `exit`).
//! Goldens from the real shell: `tests/lfe/shell/`.
//!
//! Soundness: terms and code use `Rc`. All LFE processes of a node share one
//! [`process::World`] (the runtime, node-wide modules) and run only while holding its
//! lock, a slice at a time; nothing of a world leaves it but copied messages. The
//! argument is `process.rs`'s module doc; the price is that LFE processes of a node do
//! not run in parallel with each other (Lua's do, beside them).
//!
//! # Hostile input
//! The reader keeps open forms on an explicit stack; `Drop`, equality and the one-line
//! printers of `Sexpr` are iterative; the pretty printer's line breaking stops at
//! [`pretty::MAX_NEST`] levels. Sizes are bounded where LFE would exhaust memory or
//! time: atoms at 255 characters (Erlang's limit), number literals at
//! [`lex::MAX_NUMBER_CHARS`] characters, `#B` binaries at [`bits::MAX_BITS`] bits.
//!
//! The evaluator never recurses on the Rust stack per call: body recursion grows the
//! frame stack on the heap (a million calls deep works) up to
//! [`machine::DEFAULT_MAX_FRAMES`], then is a `system_limit` error; tail calls run in
//! constant space. Terms, scopes and closures are dropped, compared, converted and
//! printed without recursion, however deep. The compiler recurses once per level of
//! source nesting, bounded by [`compile::MAX_DEPTH`] (about 1 KB of stack a level);
//! macro expansion is bounded by [`compile::MAX_EXPANSIONS`] and
//! [`runtime::MACRO_BUDGET`] reductions; lists, atoms, shifts and binary segments that
//! would be huge are errors. No input makes the reader or the evaluator panic
//! (`tests/hostile.rs`, fuzz target `lfe_eval`).
//!
//! # Where this differs from LFE
//! Reader and printers:
//! - `#.` (read-time evaluation) takes only forms that evaluate to themselves (numbers,
//!   strings, binaries, tuples, maps, `()`) and `(quote x)`; LFE evaluates any
//!   expression (`#.(+ 1 2)` is 3).
//! - `#B(...)` takes only self-evaluating segment values and sizes (numbers, strings,
//!   binaries); LFE evaluates them as expressions.
//! - A `#'f/` with no arity is an error (LFE's reader crashes on it).
//! - Maps print in Erlang's map key order; Erlang prints maps of more than 32 keys in
//!   its internal hash order instead, which this printer does not reproduce.
//! - The pretty printer never breaks a one-line part longer than 99,999 characters, and
//!   prints parts nested deeper than [`pretty::MAX_NEST`] levels on one line.
//!
//! Evaluator:
//! - Not yet: Unicode normalisation in `string` (a
//!   grapheme of several code points counts as several); a call of anything missing
//!   is an `undef` error. `eval-when-compile` takes definitions (`defun`, `defmacro`,
//!   `defrecord`), in modules and scripts; LFE also evaluates other forms there.
//!   `erlang:send_after/3`, `start_timer/3` and `timer:apply_after/4` run a helper
//!   process that `cancel_timer` stops;
//!   `spawn_opt/2,4` knows the options `link` and `monitor`.
//! - Guards follow LFE's interpreter in scripts (no `andalso`/`orelse`) and `lfe_lint`
//!   in modules (both allowed): one compiler, told which it compiles.
//! - Reloading a module keeps processes in the old code until their next external
//!   call, as the BEAM does; a process still in a purged (third-oldest) version is
//!   killed at its next call there, not at the purge (`module.rs`).
//! - Processes: a message cannot hold integers beyond 64 bits, improper lists,
//!   bitstrings that are not whole bytes or funs (`badarg` in the sender; Erlang
//!   sends them). A term holding a pid or a reference prints in Erlang's syntax
//!   even where LFE's is asked for (`lfe_io`, the shell). An LFE process's heap is not
//!   measured: `--max-heap` bounds its mailbox (a message past it ends the receiver
//!   with "heap limit exceeded"), not the terms it builds. A process ended by an error
//!   reports on stderr `Error in process PID with exit value:` and LFE's words for
//!   the reason (Erlang's logger prints a dated `=ERROR REPORT====`). Without a node
//!   ([`run_script`]), `receive` only waits out its `after` (nothing can arrive) and
//!   is an error without one.
//! - Output is UTF-8; `lfe` writes characters below 256 as single (Latin-1) bytes to
//!   a terminal or pipe that is not set to Unicode.
//! - `~p` in `io:format` breaks terms wider than the line as Erlang does in the cases
//!   the goldens cover (`epretty.rs`), not necessarily in every case.
//! - An uncaught exception's report is LFE's (`exception error: ...`, values
//!   pretty-printed as LFE does) without the stack trace lines that follow it in LFE
//!   (they name its interpreter's functions); it goes to stderr, where `lfe` writes it
//!   to stdout. Stack traces in `try` and `catch` are always `()`.
//! - A fun prints as `#Fun<lfe_eval.ARITY>` (Erlang prints internal numbers).
//! - `(funcall 'x)` of a non-fun is `#(badfun x)`, as Erlang raises; LFE's interpreter
//!   raises `#(case_clause x)`. `(bnot 5)` is -6; LFE's interpreter returns 5.
//! - Comparisons with more than two arguments fold left as LFE's interpreter does
//!   (`(< 1 2 3)` compares `(< 1 2)`, a boolean, with 3), but their operands are
//!   evaluated as they are needed, not all first.
//! - Records: an unknown field in `make-R` is an error
//!   (`field F undefined in record R`); LFE's script runner silently skips such a
//!   top-level form. Record macros are recognised by the compiler, not defined as
//!   macros, so `macroexpand`-style introspection would not see them.
//! - `io:format` precisions are capped at 1,000 digits, `~c` and field widths at 2^20.

pub mod atom;
pub mod bif;
pub mod binary;
pub mod binview;
pub mod bits;
pub mod closure;
pub mod compile;
pub mod convert;
pub mod epretty;
pub mod eprint;
pub mod error;
pub mod exception;
pub mod interop;
pub mod ir;
pub mod lex;
pub mod machine;
pub mod map;
pub mod module;
pub mod order;
pub mod pattern;
pub mod pretty;
pub mod print;
pub mod process;
pub mod read;
pub mod record;
pub mod roundtrip;
pub mod runtime;
pub mod script;
pub mod sexpr;
pub mod shell;
pub mod term;

pub use error::ReadError;
pub use pretty::{pretty, pretty_with, shell};
pub use print::{write, write_depth};
pub use read::{read_all, Read, Reader};
pub use script::{run_file, run_script, ScriptOptions};
pub use sexpr::{Bits, Sexpr};
pub use term::Term;
