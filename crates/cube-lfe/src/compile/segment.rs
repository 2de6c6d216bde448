//! Binary segment specifications: `val` or `(val type-spec ...)` in `binary` forms
//! and patterns.

use super::bad_form;
use crate::exception::Result;
use crate::ir::{SegType, Segment, SizeFrom};
use crate::sexpr::Sexpr;

/// A binary segment `val` or `(val type-spec ...)`: the value, its spec, and a size
/// that is not a constant (an expression, or in a pattern a variable), if any.
pub(super) fn segment(s: &Sexpr) -> Result<(&Sexpr, Segment, Option<&Sexpr>)> {
    let mut size_expr = None;
    let mut spec = Segment {
        ty: SegType::Integer,
        size: None,
        size_from: SizeFrom::Spec,
        unit: 1,
        signed: false,
        little: false,
    };
    let (val, specs) = match s {
        // A string segment: its characters as 8-bit integers.
        Sexpr::List(items)
            if !items.is_empty() && items.iter().all(|x| matches!(x, Sexpr::Int(_))) =>
        {
            return Ok((
                s,
                Segment {
                    ty: SegType::Chars,
                    ..spec
                },
                None,
            ));
        }
        Sexpr::List(items) if !items.is_empty() => (&items[0], &items[1..]),
        _ => return Ok((s, spec, None)),
    };
    let is_string = matches!(val, Sexpr::List(cs) if !cs.is_empty() && cs.iter().all(|c| matches!(c, Sexpr::Int(_))));
    for sp in specs {
        match sp {
            Sexpr::Atom(a) => match &**a {
                "integer" => spec.ty = SegType::Integer,
                "float" => spec.ty = SegType::Float,
                "binary" | "bytes" | "bitstring" | "bits" => spec.ty = SegType::Binary,
                "utf8" | "utf-8" => spec.ty = SegType::Utf8,
                "signed" => spec.signed = true,
                "unsigned" => spec.signed = false,
                "big" | "big-endian" => spec.little = false,
                "little" | "little-endian" => spec.little = true,
                _ => return Err(bad_form("binary")),
            },
            Sexpr::List(kv) if kv.len() == 2 => match (&kv[0], &kv[1]) {
                (Sexpr::Atom(k), Sexpr::Int(n)) if &**k == "size" && *n >= 0 => {
                    spec.size = Some(*n as u64)
                }
                (Sexpr::Atom(k), Sexpr::Int(n)) if &**k == "unit" && (1..=256).contains(n) => {
                    spec.unit = *n as u64
                }
                (Sexpr::Atom(k), e) if &**k == "size" && !matches!(e, Sexpr::Int(_)) => {
                    size_expr = Some(e)
                }
                _ => return Err(bad_form("binary")),
            },
            _ => return Err(bad_form("binary")),
        }
    }
    if is_string && spec.ty == SegType::Integer {
        spec.ty = SegType::Chars;
    }
    Ok((val, spec, size_expr))
}
