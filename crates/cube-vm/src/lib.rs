//! # cube-vm: Erlang-style processes for Lua (and other engines)
//!
//! Lua code runs as lightweight isolated processes: each has its own Lua state (its own
//! heap), a mailbox, and runs in slices of reductions on one scheduler thread per core
//! with work stealing. Messages are deep-copied as [`cube_term::Term`]s (DESIGN.md
//! decision 4). The Lua side is the `process` library (see `library.rs`).
//!
//! The runtime has processes, messages, selective receive with timeouts, sleep, names,
//! the schedulers, and Erlang's failure semantics: links, monitors, trapped exits and
//! exit signals (`signals.rs`), and OTP supervisors: the Lua `supervisor` library,
//! written in Lua on top of `process` (`supervisor.lua`, loaded by `supervisor.rs`).
//!
//! A process body is a Lua state or another engine's ([`Engine`], `engine.rs`:
//! DESIGN.md decision 7, one scheduler, several engines): cube-lfe's LFE processes
//! run on the same schedulers, mailboxes, links, monitors, names and limits, reaching
//! the runtime only through the [`EngineCx`] of their slice.
//!
//! Pids of other nodes are pids too (DESIGN.md decision 8): whatever is addressed to
//! one goes through the [`Distribution`] hook another crate installs
//! ([`Node::set_distribution`]); what other nodes send comes in through
//! [`NodeHandle`]'s `remote_*` calls. The Lua `node` library (`node.self`, `list`,
//! `ping`, `monitor`) is in every process.
//!
//! Untrusted code is bounded by [`Limits`] per process and per group of processes (a
//! limited root and its descendants share one account of reductions and memory,
//! mailboxes included); no process can grant a child more than it has. The model is
//! stated precisely in [`limits`].
//!
//! ```
//! use cube_vm::{Node, ExitReason};
//! let node = Node::start(2, |st| cube_lua::stdlib::open_libs(st));
//! let pid = node.spawn_main(|st| {
//!     let src = b"local me = process.self()
//!                 local p = process.spawn(function(parent) process.send(parent, 'pong') end, me)
//!                 assert(process.receive(1000) == 'pong')";
//!     st.push_chunk(src, "=doc").map_err(|e| e.message)?;
//!     Ok(0)
//! }).unwrap();
//! assert_eq!(node.wait(pid), ExitReason::Normal);
//! ```

pub mod alloc_account;
mod deadline;
pub mod distribution;
pub mod engine;
mod external;
pub mod io_wait;
pub mod lazy_module;
mod library;
pub mod limits;
mod node;
mod node_call;
mod node_lib;
mod observer;
mod proc_table;
mod process;
mod remote;
pub mod remote_fn;
mod signals;
mod supervisor;
mod term_lib;
mod timer;
mod transfer;

pub use distribution::{CallReply, Destination, Distribution, PingReply};
pub use engine::{Engine, EngineCx, Step};
pub use external::{
    current_limits, current_pid, from_term, node_stdout, spawn_engine, to_term, NodeHandle,
};
pub use node::{ExitReason, Limits, Node, Stats, DEFAULT_MAX_PROCESSES, SLICE_REDUCTIONS};
pub use process::Status;
