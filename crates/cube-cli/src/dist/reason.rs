//! Exit reasons between the node (where a reason is the text Lua reads: `"normal"`,
//! `"kill"`, an error message) and Erlang (where it is any term).
//!
//! Outgoing, one of the reasons Erlang's runtime itself gives and Erlang code matches
//! on ([`ATOM_REASONS`]: `normal`, `kill`, `noproc`, ...) becomes that atom; any other
//! text (`"boom"`, an error message with its `FILE:LINE:`) becomes a binary. Not every
//! word: atoms are never freed, and Lua code must not be able to fill the atom table. Incoming, an atom
//! or a binary gives its text; any other term its printed form, cut at
//! [`MAX_PRINTED`] bytes.

use cube_dist::etf::Eterm;
use cube_vm::engine::ATOM_REASONS;
use cube_vm::ExitReason;

/// Longest printed form of a composite reason.
const MAX_PRINTED: usize = 4096;

/// The Erlang term of a reason.
pub fn to_eterm(r: &ExitReason) -> Eterm {
    let text = match r {
        ExitReason::Normal => return Eterm::atom("normal"),
        ExitReason::Error { message, .. } => message.as_deref().unwrap_or("nil"),
        // An engine's term reason: an atom stays an atom (`lfe`'s `(exit 'done)`),
        // anything else crosses as its printed text, as Lua's reasons do.
        ExitReason::Term(cube_term::Term::Atom(a)) => return Eterm::atom(a.name()),
        ExitReason::Term(t) => {
            return Eterm::binary(cube_vm::engine::term_text(t).as_bytes());
        }
    };
    if ATOM_REASONS.contains(&text) {
        Eterm::atom(text)
    } else {
        Eterm::binary(text.as_bytes())
    }
}

/// The text of a reason from another node.
pub fn to_text(t: &Eterm) -> String {
    match t {
        Eterm::Atom(a) => a.name().to_owned(),
        Eterm::Binary(b) => String::from_utf8_lossy(b).into_owned(),
        other => {
            let mut s = format!("{other:?}");
            if s.len() > MAX_PRINTED {
                let mut end = MAX_PRINTED;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.truncate(end);
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> ExitReason {
        ExitReason::Error {
            message: Some(s.into()),
            traceback: None,
        }
    }

    #[test]
    fn erlang_reasons_are_atoms_and_other_text_binaries() {
        assert_eq!(to_eterm(&ExitReason::Normal), Eterm::atom("normal"));
        assert_eq!(to_eterm(&err("kill")), Eterm::atom("kill"));
        assert_eq!(to_eterm(&err("boom")), Eterm::binary(b"boom"));
        assert_eq!(
            to_eterm(&err("x.lua:3: boom")),
            Eterm::binary(b"x.lua:3: boom")
        );
        assert_eq!(to_eterm(&err("")), Eterm::binary(b""));
    }

    #[test]
    fn incoming_reasons_read_as_text() {
        assert_eq!(to_text(&Eterm::atom("killed")), "killed");
        assert_eq!(to_text(&Eterm::binary(b"oops")), "oops");
        let big = Eterm::List(vec![Eterm::Int(1); 10_000]);
        assert!(to_text(&big).len() <= MAX_PRINTED);
    }
}
