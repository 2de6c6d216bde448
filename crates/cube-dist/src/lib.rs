//! # cube-dist: Erlang distribution for cube
//!
//! (module map filled in below as the crate grows)

pub mod convert;
pub mod etf;

pub mod epmd;
pub mod flags;
pub mod framing;
pub mod handshake;

pub use convert::{ConvertError, NodeId, NodeTable};
pub use etf::{DecodeError, EncodeError, Eterm};
