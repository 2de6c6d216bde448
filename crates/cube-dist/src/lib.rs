//! # cube-dist: Erlang distribution for cube
//!
//! (module map filled in below as the crate grows)

pub mod convert;
pub mod etf;

pub mod epmd;

pub use convert::{ConvertError, NodeId, NodeTable};
pub use etf::{DecodeError, EncodeError, Eterm};
