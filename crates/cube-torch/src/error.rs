//! The one error type of the crate: a message that becomes a Lua error.

use std::fmt;

/// An error of a tensor operation, worded for the Lua user (`size mismatch, m1: [2 x
/// 3], m2: [4 x 5]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TorchError(pub String);

impl TorchError {
    pub fn new(msg: impl Into<String>) -> TorchError {
        TorchError(msg.into())
    }
}

impl fmt::Display for TorchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<candle_core::Error> for TorchError {
    fn from(e: candle_core::Error) -> TorchError {
        TorchError(format!("candle: {e}"))
    }
}

/// A shape as Torch7's messages write it: `[2 x 3]`.
pub fn shape_text(sizes: &[usize]) -> String {
    let parts: Vec<String> = sizes.iter().map(|s| s.to_string()).collect();
    format!("[{}]", parts.join(" x "))
}
