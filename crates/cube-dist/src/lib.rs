//! # cube-dist: Erlang distribution for cube
//!
//! A cube node joins an Erlang cluster with Erlang's own protocol: it registers with
//! EPMD, accepts and makes distribution connections (handshake version 6, cookie
//! challenge), keeps them alive with ticks, and exchanges control messages and terms in
//! the External Term Format. Tested against the real `erl` (tests/interop.rs,
//! tests/signals.rs, tests/epmd.rs) and erl's own bytes (tests/etf_goldens.rs).
//!
//! This crate does not know cube-vm (DESIGN.md decision 8): [`DistNode`] hands what
//! arrives to the layer above as [`DistEvent`]s on a channel, and takes sends, links,
//! exits and monitors through its methods. cube-cli joins the two (its `dist/`
//! implements cube-vm's `Distribution` hook on a `DistNode`).
//!
//! | module | concern |
//! |---|---|
//! | [`etf`] | External Term Format: [`Eterm`] (lossless), bounded iterative decoder, erl-identical encoder |
//! | [`convert`] | [`Eterm`] <-> `cube_term::Term`; [`NodeTable`], node index <-> (node name, creation) |
//! | [`cookie`] | `$HOME/.erlang.cookie`, read or created as erl does |
//! | [`epmd`] | EPMD client and an EPMD-compatible name server |
//! | [`flags`] | distribution capability flags offered and required |
//! | [`framing`] | 2-byte (handshake) and 4-byte (connected) packets, ticks |
//! | [`dist_header`] | distribution headers: the atom cache, fragmented messages put together (bounded) |
//! | [`handshake`] | the handshake, both sides; the cookie digest |
//! | [`control`] | control messages (send, reg_send, link, exit, monitor...) <-> packets |
//! | [`connection`] | one connection: sending half, reader loop, tick loss |
//! | `output` | a connection's sending half: direct, combined and written-behind writes |
//! | [`node`] | [`DistNode`]: EPMD registration, accepting, dialling (simultaneous connects), ping, `net_kernel`, events |
//! | [`error`] | [`DistError`] |
//!
//! ```no_run
//! use cube_dist::{DistConfig, DistNode, Pong};
//! use std::time::Duration;
//!
//! let (node, events) = DistNode::start(DistConfig::new("cube@myhost", "cookie")).unwrap();
//! assert_eq!(node.ping("erl@myhost", Duration::from_secs(5)), Pong::Pong);
//! for event in events.iter() {
//!     println!("{event:?}");
//! }
//! ```
//!
//! Input from the network never panics: sizes are checked before allocating, nesting is
//! bounded, bad packets close the connection with a reason (`nodedown`), and a failed
//! handshake is refused and logged.

pub mod connection;
pub mod control;
pub mod convert;
pub mod cookie;
pub mod dist_header;
pub mod epmd;
pub mod error;
pub mod etf;
pub mod flags;
pub mod framing;
pub mod handshake;
pub mod node;
mod output;

pub use convert::{ConvertError, NodeId, NodeTable};
pub use error::DistError;
pub use etf::{DecodeError, EncodeError, Eterm};
pub use node::{DistConfig, DistEvent, DistNode, EventSink, IoFormatter, Pong, Target};
