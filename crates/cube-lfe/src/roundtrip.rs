//! The read/print round-trip property, shared by the fuzz target (`fuzz/`, `lfe_read`)
//! and the smoke tests.
//!
//! For any text: reading never panics, and every form read prints with [`write()`],
//! [`pretty()`] and [`shell()`] without panicking. When the plain printing reads back, it
//! reads as the same value, so printing it again gives the same text. The pretty
//! printing (no depth limit) reads back as the same value too.
//!
//! LFE's printer does not always print readable text, and where it does not this
//! printer follows it; those cases are left out of the comparison: atoms printed in
//! `|...|` whose characters LFE escapes but its reader does not unescape (`|a\nb|`
//! reads back as `anb`), atoms starting with `.` that LFE prints bare (`.a` reads back
//! as `.` and `a`); and for the pretty printer, structs (`#S(...)`, which LFE's reader
//! refuses), `defun`/`defmacro` forms, whose names it prints unquoted, and `(comma @x)`,
//! which it prints `,@x`.

use crate::print::{struct_name, symbol};
use crate::{pretty, read_all, shell, write, Sexpr};

/// Checks the property on `src`; `Err` says what broke.
pub fn check(src: &str) -> Result<(), String> {
    let Ok(forms) = read_all(src) else {
        return Ok(());
    };
    for f in &forms {
        let w = write(f);
        let p = pretty(f);
        let _ = shell(f);
        let (plain_ok, pretty_ok) = comparable(f);
        if !plain_ok {
            continue;
        }
        // A printed value is read back followed by a newline: LFE's scanner refuses
        // `""` (and so `#""`) at the very end of its input.
        match read_all(&format!("{w}\n")) {
            Ok(back) if back.len() == 1 && back[0] == *f => {}
            other => return Err(format!("{w:?} read back as {other:?}")),
        }
        if pretty_ok {
            match read_all(&format!("{p}\n")) {
                Ok(back) if back.len() == 1 && back[0] == *f => {}
                other => return Err(format!("pretty {p:?} read back as {other:?}")),
            }
        }
    }
    Ok(())
}

/// Whether the plain and the pretty printing of `f` read back (see the module
/// documentation).
fn comparable(f: &Sexpr) -> (bool, bool) {
    let mut pretty_ok = true;
    let mut stack = vec![f];
    while let Some(s) = stack.pop() {
        match s {
            Sexpr::Atom(a) => {
                let printed = symbol(a);
                if printed.starts_with('.')
                    || (printed.starts_with('|') && a.chars().any(|c| c < ' ' || c == '\u{7f}'))
                {
                    return (false, false);
                }
            }
            Sexpr::Map(kvs) if struct_name(kvs).is_some() => pretty_ok = false,
            Sexpr::List(v)
                if v.len() == 2
                    && v[0].as_atom() == Some("comma")
                    && v[1].as_atom().is_some_and(|a| a.starts_with('@')) =>
            {
                pretty_ok = false
            }
            Sexpr::List(v) | Sexpr::Dotted(v, _)
                if matches!(
                    v.first().and_then(Sexpr::as_atom),
                    Some("defun" | "defmacro")
                ) =>
            {
                pretty_ok = false
            }
            _ => {}
        }
        stack.extend(s.children());
    }
    (true, pretty_ok)
}
