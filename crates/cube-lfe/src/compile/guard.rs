//! What a guard may contain, as LFE's interpreter allows: data constructors, `progn`,
//! `if`, `++`, the record forms, operators and Erlang's guard BIFs (also as
//! `erlang:name` or `(call 'erlang 'name ...)`). Anything else compiles to code that
//! raises `illegal_guard` when the guard reaches it; that error is not a guard failure
//! but goes on to the caller (see the machine's unwinding).

use super::{lit, remote};
use crate::ir::ExprRef;
use crate::sexpr::Sexpr;
use crate::term::Term;

const FORMS: &[&str] = &[
    "quote",
    "backquote",
    "cons",
    "car",
    "cdr",
    "caar",
    "cadr",
    "cdar",
    "cddr",
    "list",
    "list*",
    "tuple",
    "tref",
    "binary",
    "map",
    "msiz",
    "mref",
    "mset",
    "mupd",
    "map-size",
    "map-get",
    "map-set",
    "map-update",
    "is-record",
    "record-index",
    "record-field",
    "progn",
    "if",
    "++",
];

const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "div", "rem", "bnot", "band", "bor", "bxor", "bsl", "bsr", "and", "or",
    "xor", "not", ">", ">=", "<", "=<", "==", "=:=", "/=", "=/=",
];

/// Erlang's guard BIFs (`erl_internal:guard_bif/2`), by name.
const GUARD_BIFS: &[&str] = &[
    "abs",
    "binary_part",
    "bit_size",
    "byte_size",
    "ceil",
    "element",
    "float",
    "floor",
    "hd",
    "is_atom",
    "is_binary",
    "is_bitstring",
    "is_boolean",
    "is_float",
    "is_function",
    "is_integer",
    "is_list",
    "is_map",
    "is_map_key",
    "is_number",
    "is_pid",
    "is_port",
    "is_record",
    "is_reference",
    "is_tuple",
    "length",
    "map_get",
    "map_size",
    "max",
    "min",
    "node",
    "round",
    "self",
    "size",
    "tl",
    "trunc",
    "tuple_size",
];

fn guard_bif(name: &str) -> bool {
    GUARD_BIFS.contains(&name) || OPERATORS.contains(&name)
}

/// Whether the form `(name args ...)` may appear in a guard.
pub(super) fn allowed(name: &str, args: &[Sexpr], is_record_form: impl Fn(&str) -> bool) -> bool {
    if FORMS.contains(&name) || guard_bif(name) || is_record_form(name) {
        return true;
    }
    if let Some(f) = name.strip_prefix("erlang:") {
        return guard_bif(f);
    }
    if name == ":" {
        return matches!((args.first().and_then(Sexpr::as_atom), args.get(1).and_then(Sexpr::as_atom)),
            (Some("erlang"), Some(f)) if guard_bif(f));
    }
    if name == "call" {
        let quoted = |s: &Sexpr| match s {
            Sexpr::List(q) if q.len() == 2 && q[0].as_atom() == Some("quote") => {
                q[1].as_atom().map(str::to_string)
            }
            _ => None,
        };
        return matches!((args.first().and_then(quoted), args.get(1).and_then(quoted)),
            (Some(m), Some(f)) if m == "erlang" && guard_bif(&f));
    }
    false
}

/// Code that raises `error:illegal_guard`.
pub(super) fn illegal() -> ExprRef {
    remote("erlang", "error", vec![lit(Term::atom("illegal_guard"))])
}
