//! [`ReadError`]: why source text could not be read.

use std::fmt;

/// A read error. `line` is the line LFE itself reports (for a scan error the line the
/// scanner was on, for a parse error the line where the unfinished form began); `at` is
/// the exact (line, column) of the offending character or token, columns counted in
/// characters from 1. `message` is LFE's own text where LFE has one (`illegal ')'`,
/// `missing token`, `illegal characters in "abc` ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub line: u32,
    pub at: (u32, u32),
    pub message: String,
}

impl ReadError {
    pub(crate) fn new(line: u32, at: (u32, u32), message: impl Into<String>) -> ReadError {
        ReadError {
            line,
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for ReadError {
    /// `LINE: MESSAGE`, as LFE prints `{Line,Module,Error}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for ReadError {}
