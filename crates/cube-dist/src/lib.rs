//! # cube-dist: Erlang distribution for cube
//!
//! (module map filled in below as the crate grows)

pub mod convert;
pub mod etf;

pub mod connection;
pub mod control;
pub mod epmd;
pub mod error;
pub mod flags;
pub mod framing;
pub mod handshake;
pub mod node;

pub use convert::{ConvertError, NodeId, NodeTable};
pub use error::DistError;
pub use etf::{DecodeError, EncodeError, Eterm};
pub use node::{DistConfig, DistEvent, DistNode, Pong, Target};
