//! # cube-term: the message value of cube
//!
//! Processes share nothing: `process.send` deep-copies a Lua value into a [`Term`] and
//! the receiver materialises that term in its own heap (DESIGN.md decision 4). A term is
//! self-contained and `Send + Sync`, so it can wait in a mailbox on another scheduler
//! thread while the sender's heap is collected or the sender is gone.
//!
//! [`Term`] follows Erlang's term model (atoms, integers, floats, binaries, lists,
//! tuples, maps, pids, references) so that LFE processes and Erlang nodes can exchange
//! messages with Lua processes later. Each Lua value has exactly one term and comes back
//! unchanged:
//!
//! | Lua | term |
//! |---|---|
//! | `nil`, `true`, `false` | the atoms `nil`, `true`, `false` ([`atom`]) |
//! | number | [`Term::Int`] when integral, in `i64` range and not `-0.0`, else [`Term::Float`] ([`number`]) |
//! | string | [`Term::Binary`] (`Arc<[u8]>`: cheap to fan out) |
//! | table | [`Term::Tables`]: an arena of the message's tables keeping sharing and cycles ([`term`]) |
//! | pid / reference userdata | [`Term::Pid`] / [`Term::Ref`], through a [`Bridge`] the runtime provides |
//! | atom values, tuple/list-marked tables (the runtime's `term` library) | [`Term::Atom`]; the table's mark in [`TableGraph::marks`], through the [`Bridge`] |
//! | userdata of a library that registered a sender (cube-torch's tensors) | [`Term::Foreign`] ([`foreign`]) |
//! | function, coroutine, other userdata | refused: [`CopyError`] |
//!
//! ```
//! use cube_lua::Lua;
//! use cube_term::{from_term, to_term};
//!
//! let sender = Lua::new();
//! sender.load("local s = {} msg = {a = s, b = s, n = 1}").exec().unwrap();
//! let term = sender.with_raw_state(|st| {
//!     st.cx(|cx| {
//!         let msg = cx.get_global("msg");
//!         to_term(cx, msg)
//!     })
//! }).unwrap();
//!
//! let receiver = Lua::new();
//! receiver.with_raw_state(|st| {
//!     st.cx(|cx| {
//!         let v = from_term(cx, &term);
//!         cx.set_global("got", v); // root it before Lua runs
//!     })
//! });
//! receiver.load("assert(got.a == got.b and got.n == 1)").exec().unwrap();
//! ```
//!
//! Modules: [`term`] (the value), [`atom`] (the atom table), [`number`] (number
//! mapping), [`bridge`] (pid hook), [`foreign`] (libraries' sendable userdata), [`error`]; the copy itself is in `lua_to_term` and
//! `term_to_lua`, iterative so that nesting depth never exhausts the Rust stack. Lua
//! values are read and made through cube-lua's host interface (`cube_lua::host`), so a
//! conversion cannot keep a value past its context.

mod addr_map;
pub mod atom;
pub mod bridge;
pub mod error;
pub mod foreign;
mod lua_to_term;
pub mod number;
pub mod term;
mod term_to_lua;

pub use atom::Atom;
pub use bridge::{Bridge, NoBridge};
pub use error::{CopyError, Place};
pub use foreign::{register_sender, Foreign, ForeignValue};
pub use lua_to_term::{to_term, to_term_with};
pub use term::{Binary, Pid, Reference, TableGraph, TableKind, TableTerm, Term};
pub use term_to_lua::{from_term, from_term_with};
