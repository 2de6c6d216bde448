//! # cube-lua: Lua 5.2 for cube
//!
//! A complete Lua 5.2 implementation: lexer, parser, compiler to PUC-Rio-compatible register
//! bytecode, a stackless virtual machine that runs for a budget of reductions and returns,
//! a per-state garbage-collected heap, the standard library and a Rust embedding API.

pub mod ast;
pub mod chunkid;
pub mod compiler;
pub mod lexer;
pub mod opcode;
pub mod parser;
pub mod proto;
pub mod text;

pub use chunkid::SyntaxError;
