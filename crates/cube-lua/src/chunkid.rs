//! Chunk names as they appear in messages (`luaO_chunkid`) and the compile error type.

use std::fmt;

/// Maximum size of a chunk id in messages, as PUC's `LUA_IDSIZE`.
pub const ID_SIZE: usize = 60;

/// Formats a chunk name for messages exactly as PUC-Rio Lua does:
/// `=name` -> `name`, `@file` -> `file` (or `...tail` if too long),
/// anything else -> `[string "first line..."]`.
pub fn chunk_id(source: &str) -> String {
    let bytes = source.as_bytes();
    if let Some(rest) = source.strip_prefix('=') {
        // 'literal' source: truncate to fit
        let max = ID_SIZE - 1;
        let b = rest.as_bytes();
        String::from_utf8_lossy(&b[..b.len().min(max)]).into_owned()
    } else if let Some(rest) = source.strip_prefix('@') {
        let max = ID_SIZE - 1;
        let b = rest.as_bytes();
        if b.len() <= max {
            rest.to_string()
        } else {
            let keep = max - 3;
            format!("...{}", String::from_utf8_lossy(&b[b.len() - keep..]))
        }
    } else {
        // string source: first line only, truncated, in [string "..."]
        const PRE: &str = "[string \"";
        const POS: &str = "\"]";
        const DOTS: &str = "...";
        let avail = ID_SIZE - PRE.len() - DOTS.len() - POS.len() - 1;
        let nl = bytes.iter().position(|&c| c == b'\n');
        let mut len = nl.unwrap_or(bytes.len());
        let truncated = nl.is_some() || len >= avail;
        if len > avail {
            len = avail;
        }
        let mut out = String::from(PRE);
        out.push_str(&String::from_utf8_lossy(&bytes[..len]));
        if truncated {
            out.push_str(DOTS);
        }
        out.push_str(POS);
        out
    }
}

/// A syntax or compile error. `message` is complete, as Lua reports it:
/// `chunkid:LINE: what near 'token'`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyntaxError {}

#[cfg(test)]
mod tests {
    use super::chunk_id;

    #[test]
    fn chunk_ids_match_lua() {
        assert_eq!(chunk_id("=stdin"), "stdin");
        assert_eq!(chunk_id("@foo.lua"), "foo.lua");
        assert_eq!(chunk_id("x = 1"), "[string \"x = 1\"]");
        assert_eq!(chunk_id("x = 1\ny = 2"), "[string \"x = 1...\"]");
        let long = "a".repeat(100);
        assert_eq!(
            chunk_id(&long),
            format!("[string \"{}...\"]", "a".repeat(45))
        );
    }
}
