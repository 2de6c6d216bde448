//! # cube-lua: Lua 5.2 for cube
//!
//! A complete Lua 5.2 implementation: lexer, parser, compiler to PUC-Rio-compatible register
//! bytecode, a stackless virtual machine that runs for a budget of reductions and returns,
//! a per-state garbage-collected heap, the standard library and a Rust embedding API.
//!
//! Map of the crate (see also ARCHITECTURE.md at the repository root):
//! - front end: [`lexer`], [`parser`] (to the [`ast`]), [`compiler`] (to a [`proto::Proto`]);
//! - values and heap (crate-private): `value`, `gc`, `table`, `thread`;
//! - execution: [`state`] (the native-function interface), `vm` (interpreter loop, calls,
//!   metamethods), [`debug_info`] (names in error messages, tracebacks);
//! - [`stdlib`]: the standard library;
//! - [`host`]: the host interface other crates use; [`api`]: the safe, high-level
//!   embedding API ([`Lua`], [`Table`], [`Function`], [`UserData`]).
//!
//! # What other crates may use
//! The host interface, [`host`] (lua.h and lauxlib.h for cube): values are read and made
//! inside a context ([`State::cx`], or a [`host::HostFn`] native), as [`host::Val`]s
//! branded with the context's lifetime, so none can outlive it, reach another state, or
//! dangle (nothing is collected while a context lives); VM entries are stack-based
//! ([`State::push_chunk`], [`State::pcall`], [`State::start_task`], [`State::resume`]).
//! [`portable`] moves Lua functions between states. The raw layer (`Value`, `Gc`,
//! tables, the raw `State` methods) is crate-private: it is what the standard library
//! is written in. The embedding API, [`api`], is the high-level alternative with rooted
//! handles.
//!
//! # Embedding
//! ```
//! use cube_lua::{Lua, UserData, UserDataMethods};
//!
//! struct Point { x: f64, y: f64 }
//!
//! impl UserData for Point {
//!     fn add_methods(m: &mut UserDataMethods<Self>) {
//!         m.add_method("norm", |_, p, ()| Ok((p.x * p.x + p.y * p.y).sqrt()));
//!         m.add_method_mut("scale", |_, p, k: f64| { p.x *= k; p.y *= k; Ok(()) });
//!     }
//! }
//!
//! let lua = Lua::new();
//! let globals = lua.globals();
//! globals.set("point", lua.create_function(|lua, (x, y): (f64, f64)| {
//!     lua.create_userdata(Point { x, y })
//! })?)?;
//!
//! let n: f64 = lua.load("local p = point(3, 4) p:scale(2) return p:norm()").eval()?;
//! assert_eq!(n, 10.0);
//!
//! // Lua errors come back as `Err`, with the message Lua would print.
//! let err = lua.load("point('a', 1)").set_name("=demo").exec().unwrap_err();
//! assert_eq!(err.message(), "demo:1: bad argument #1 to 'point' (expected number, got string)");
//! # Ok::<(), cube_lua::api::Error>(())
//! ```

#![deny(private_interfaces, private_bounds)]

pub mod api;
pub mod ast;
pub mod chunkid;
pub mod compiler;
pub mod debug_info;
pub mod dump;
pub(crate) mod gc;
pub mod host;
pub mod image;
pub mod lexer;
pub mod load;
pub mod opcode;
pub mod parser;
pub mod portable;
pub mod proto;
pub mod state;
pub mod stdlib;
pub(crate) mod table;
pub mod text;
pub(crate) mod thread;
pub(crate) mod tm;
pub(crate) mod value;
mod vm;

#[cfg(test)]
mod engine_tests;

pub use api::{AnyUserData, Function, Lua, LuaString, Table, UserData, UserDataMethods};
pub use chunkid::SyntaxError;
pub use state::{Args, Outcome, Ret, State};
pub use value::LuaType;
