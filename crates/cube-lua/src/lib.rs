//! # cube-lua: Lua 5.2 for cube
//!
//! A complete Lua 5.2 implementation: lexer, parser, compiler to PUC-Rio-compatible register
//! bytecode, a stackless virtual machine that runs for a budget of reductions and returns,
//! a per-state garbage-collected heap, the standard library and a Rust embedding API.
//!
//! Map of the crate (see also ARCHITECTURE.md at the repository root):
//! - front end: [`lexer`], [`parser`] (to the [`ast`]), [`compiler`] (to a [`proto::Proto`]);
//! - values and heap: [`value`], [`gc`], [`table`], [`thread`];
//! - execution: [`state`] (the native-function interface), `vm` (interpreter loop, calls,
//!   metamethods), [`debug_info`] (names in error messages, tracebacks);
//! - [`stdlib`]: the standard library.

pub mod ast;
pub mod chunkid;
pub mod compiler;
pub mod debug_info;
pub mod dump;
pub mod gc;
pub mod lexer;
pub mod load;
pub mod opcode;
pub mod parser;
pub mod proto;
pub mod state;
pub mod stdlib;
pub mod table;
pub mod text;
pub mod thread;
pub mod tm;
pub mod value;
mod vm;

pub use chunkid::SyntaxError;
pub use state::{Args, LResult, Ret, State};
pub use value::Value;
pub use vm::{lua_mod, lua_pow};
