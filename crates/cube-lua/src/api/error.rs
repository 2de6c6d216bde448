//! The error type of the embedding API.
//!
//! Lua errors are values; at the Rust boundary they become an [`Error`] so that `?` works
//! in ordinary Rust code. Errors raised by Rust callbacks travel the other way: they are
//! turned into Lua error values (strings) so that `pcall` in Lua sees a message.

use std::fmt;

/// Everything that can go wrong when talking to Lua through [`crate::api`].
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The chunk did not compile: the complete message, `chunk:LINE: what near 'token'`.
    Syntax(String),
    /// A Lua error reached the Rust caller uncaught. `message` is the error value as text
    /// (`tostring` of a string or number; the type name for other values); `traceback` is
    /// the Lua stack at the point of the error, when it was recorded.
    Runtime {
        message: String,
        traceback: Option<String>,
    },
    /// A Lua value could not be converted to the Rust type asked for.
    FromLua {
        /// What was wanted (a Lua type name or a Rust type name such as `i32`).
        expected: String,
        /// The Lua type of the value that was found.
        got: &'static str,
        /// Why, when the type alone does not say it (e.g. "out of range").
        detail: Option<String>,
    },
    /// A Rust value could not be converted to Lua (e.g. an integer that a Lua number
    /// cannot hold exactly, or a handle that belongs to another `Lua`).
    ToLua { from: &'static str, detail: String },
    /// Argument `pos` (1-based) of a Rust callback had the wrong type; raised in Lua as
    /// `bad argument #pos to 'name' (cause)`.
    BadArgument { pos: usize, cause: Box<Error> },
    /// A userdata was already borrowed mutably (a method re-entered its own object), or
    /// is of another type than the one asked for.
    UserData(String),
    /// An error made by Rust code ([`Error::external`], a panic in a callback).
    External(String),
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A runtime error with a message, as Rust callbacks raise them (`error("...")`).
    pub fn runtime(message: impl Into<String>) -> Error {
        Error::Runtime {
            message: message.into(),
            traceback: None,
        }
    }

    /// Wraps any displayable error from Rust code.
    pub fn external(e: impl fmt::Display) -> Error {
        Error::External(e.to_string())
    }

    pub(crate) fn from_lua(expected: impl Into<String>, got: &'static str) -> Error {
        Error::FromLua {
            expected: expected.into(),
            got,
            detail: None,
        }
    }

    pub(crate) fn from_lua_detail(
        expected: impl Into<String>,
        got: &'static str,
        detail: impl Into<String>,
    ) -> Error {
        Error::FromLua {
            expected: expected.into(),
            got,
            detail: Some(detail.into()),
        }
    }

    /// The message without the traceback (what Lua's `pcall` would return as text).
    pub fn message(&self) -> String {
        match self {
            Error::Runtime { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax(m) => write!(f, "syntax error: {m}"),
            Error::Runtime { message, traceback } => {
                f.write_str(message)?;
                if let Some(tb) = traceback {
                    write!(f, "\n{tb}")?;
                }
                Ok(())
            }
            Error::FromLua {
                expected,
                got,
                detail,
            } => {
                write!(f, "expected {expected}, got {got}")?;
                if let Some(d) = detail {
                    write!(f, " ({d})")?;
                }
                Ok(())
            }
            Error::ToLua { from, detail } => {
                write!(f, "cannot convert {from} to a Lua value ({detail})")
            }
            Error::BadArgument { pos, cause } => write!(f, "bad argument #{pos} ({cause})"),
            Error::UserData(m) => f.write_str(m),
            Error::External(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::SyntaxError> for Error {
    fn from(e: crate::SyntaxError) -> Error {
        Error::Syntax(e.message)
    }
}
