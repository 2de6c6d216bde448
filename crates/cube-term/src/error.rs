//! The error of a send: a value that cannot be copied into a term, and where it was.

use cube_lua::host::Val;
use std::fmt;

/// A value that cannot be sent (a function, a coroutine, a userdata the runtime does not
/// know). Its `Display` is the message the sender raises as a Lua error, e.g.
/// `cannot send a function value (in field 'handlers.on_exit')`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyError {
    /// Lua type name of the offending value (`function`, `thread`, `userdata`).
    pub type_name: &'static str,
    /// Where the value sits in the message.
    pub place: Place,
}

/// Where in a message an unsendable value was found. Paths are written as Lua code
/// would reach the value from the sent table: `a.b[3]["not a name"]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// It is the message itself.
    Message,
    /// It is the value at this path.
    Field(String),
    /// It is a key of the table at this path (empty: the sent table itself).
    KeyIn(String),
}

impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot send a {} value", self.type_name)?;
        match &self.place {
            Place::Message => Ok(()),
            Place::Field(p) => write!(f, " (in field '{p}')"),
            Place::KeyIn(p) if p.is_empty() => write!(f, " (as a table key)"),
            Place::KeyIn(p) => write!(f, " (as a key in field '{p}')"),
        }
    }
}

impl std::error::Error for CopyError {}

/// Appends one step (the key `k`) to a path being written.
pub(crate) fn push_path_step(path: &mut String, k: Val<'_>) {
    match k {
        Val::Str(s) if is_name(s.as_bytes()) => {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&s.to_str_lossy());
        }
        Val::Str(s) => {
            path.push_str(&format!("[{:?}]", s.to_str_lossy()));
        }
        Val::Num(n) => match crate::number::number_to_term(n) {
            crate::Term::Int(i) => path.push_str(&format!("[{i}]")),
            _ => path.push_str(&format!("[{n}]")),
        },
        Val::Bool(b) => path.push_str(&format!("[{b}]")),
        other => path.push_str(&format!("[{}]", other.type_name())),
    }
}

/// Whether `s` is a Lua name (so `t.s` can be written instead of `t["s"]`).
fn is_name(s: &[u8]) -> bool {
    const KEYWORDS: [&[u8]; 22] = [
        b"and",
        b"break",
        b"do",
        b"else",
        b"elseif",
        b"end",
        b"false",
        b"for",
        b"function",
        b"goto",
        b"if",
        b"in",
        b"local",
        b"nil",
        b"not",
        b"or",
        b"repeat",
        b"return",
        b"then",
        b"true",
        b"until",
        b"while",
    ];
    match s.first() {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {}
        _ => return false,
    }
    s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') && !KEYWORDS.contains(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_type_and_the_place() {
        let e = |place| {
            CopyError {
                type_name: "function",
                place,
            }
            .to_string()
        };
        assert_eq!(e(Place::Message), "cannot send a function value");
        assert_eq!(
            e(Place::Field("cb".into())),
            "cannot send a function value (in field 'cb')"
        );
        assert_eq!(
            e(Place::KeyIn(String::new())),
            "cannot send a function value (as a table key)"
        );
        assert_eq!(
            e(Place::KeyIn("a[2]".into())),
            "cannot send a function value (as a key in field 'a[2]')"
        );
    }

    #[test]
    fn names_exclude_keywords_and_odd_characters() {
        assert!(is_name(b"cb"));
        assert!(is_name(b"_x1"));
        assert!(!is_name(b"end"));
        assert!(!is_name(b"1x"));
        assert!(!is_name(b"a b"));
        assert!(!is_name(b""));
    }
}
