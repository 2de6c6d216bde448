//! Built-in macros that rewrite source into other source: backquote and list
//! comprehensions.

use super::{bad_form, clone_sexpr, is_when, list, sym, too_deep};
use crate::exception::Result;
use crate::sexpr::Sexpr;

/// Expands a backquoted form into list-building code. `depth` counts nested
/// backquotes; only commas at depth 1 are evaluated. Recursion is bounded by
/// the compiler's depth count `d`.
pub(super) fn backquote(x: &Sexpr, depth: usize, d: usize) -> Result<Sexpr> {
    if too_deep(d) {
        return Err(bad_form("deep_nesting"));
    }
    let d = d + 1;
    let quote = |x: &Sexpr| list(vec![sym("quote"), clone_sexpr(x)]);
    if !has_comma(x) {
        return Ok(quote(x));
    }
    match x {
        Sexpr::List(items) => {
            if let [Sexpr::Atom(k), e] = &items[..] {
                match &**k {
                    "comma" if depth == 1 => return Ok(clone_sexpr(e)),
                    "comma" | "comma-at" => {
                        return Ok(list(vec![
                            sym("list"),
                            quote(&items[0]),
                            backquote(e, depth - 1, d)?,
                        ]))
                    }
                    "backquote" => {
                        return Ok(list(vec![
                            sym("list"),
                            quote(&items[0]),
                            backquote(e, depth + 1, d)?,
                        ]))
                    }
                    _ => {}
                }
            }
            bq_list(items, None, depth, d)
        }
        Sexpr::Dotted(items, tail) => bq_list(items, Some(tail), depth, d),
        Sexpr::Tuple(items) => Ok(list(vec![
            sym("erlang:list_to_tuple"),
            bq_list(items, None, depth, d)?,
        ])),
        _ => Ok(quote(x)),
    }
}

fn bq_list(items: &[Sexpr], tail: Option<&Sexpr>, depth: usize, d: usize) -> Result<Sexpr> {
    // `(a . ,b)` reads as `(a comma b)`: a comma second to last is a dotted tail.
    let n = items.len();
    let comma_tail = n >= 2 && tail.is_none() && matches!(items[n - 2].as_atom(), Some("comma"));
    let (items, tail_form) = if comma_tail {
        (
            &items[..n - 2],
            Some(list(vec![sym("comma"), clone_sexpr(&items[n - 1])])),
        )
    } else {
        (items, tail.map(clone_sexpr))
    };
    let mut acc = match &tail_form {
        Some(t) => backquote(t, depth, d)?,
        None => list(vec![]),
    };
    // Runs of plain elements become one flat `(list* a b ... rest)`; each `,@e`
    // becomes `(++ e rest)`.
    let mut run: Vec<Sexpr> = Vec::new();
    for it in items.iter().rev() {
        match it {
            Sexpr::List(p) if depth == 1 && p.len() == 2 && p[0].as_atom() == Some("comma-at") => {
                acc = flush_run(&mut run, acc);
                acc = list(vec![sym("++"), clone_sexpr(&p[1]), acc]);
            }
            _ => run.push(backquote(it, depth, d)?),
        }
    }
    Ok(flush_run(&mut run, acc))
}

/// A list comprehension `(lc (qualifier ...) expr)` as plain code, the way Erlang's
/// compiler does it: each generator `(<- pat [guard] list)` becomes a local recursive
/// function over the list and an accumulator, whose first clause takes a matching
/// element (its pattern binds fresh variables, as a fun head does), the second skips
/// one that does not match, the third ends at `()`; a filter is an `if` that keeps the
/// accumulator when false; the innermost part conses `expr` onto the accumulator, and
/// the whole is reversed once. (Mapping a `match-lambda` and appending the pieces,
/// as this was first written, allocated a list per element: 1.7 us an element.)
/// The helper names hold spaces, so no symbol a program writes can meet them.
/// Built from the last qualifier outwards, without recursion.
pub(super) fn list_comp(quals: &[Sexpr], e: &Sexpr) -> Result<Sexpr> {
    let is_gen = |q: &Sexpr| matches!(q, Sexpr::List(parts) if parts.first().and_then(Sexpr::as_atom) == Some("<-"));
    // The accumulator in scope at each qualifier (and after the last): the nearest
    // generator's before it, or `()`.
    let mut acc_at = Vec::with_capacity(quals.len() + 1);
    let mut acc = list(vec![]);
    for (j, q) in quals.iter().enumerate() {
        acc_at.push(clone_sexpr(&acc));
        if is_gen(q) {
            acc = sym(&format!("lc acc {j}"));
        }
    }
    acc_at.push(acc);
    let mut inner = list(vec![
        sym("cons"),
        clone_sexpr(e),
        clone_sexpr(&acc_at[quals.len()]),
    ]);
    for (j, q) in quals.iter().enumerate().rev() {
        inner = match q {
            Sexpr::List(parts) if is_gen(q) => {
                let (pat, guard, gen) = match &parts[1..] {
                    [pat, gen] => (pat, None, gen),
                    [pat, g, gen] if is_when(g) => (pat, Some(g), gen),
                    _ => return Err(bad_form("lc")),
                };
                let (f, a, r) = (
                    sym(&format!("lc {j}")),
                    sym(&format!("lc acc {j}")),
                    sym(&format!("lc rest {j}")),
                );
                let cons = |p: Sexpr| list(vec![sym("cons"), p, clone_sexpr(&r)]);
                let mut take = vec![list(vec![cons(clone_sexpr(pat)), clone_sexpr(&a)])];
                if let Some(g) = guard {
                    take.push(clone_sexpr(g));
                }
                take.push(list(vec![clone_sexpr(&f), clone_sexpr(&r), inner]));
                let skip = list(vec![
                    list(vec![cons(sym("_")), clone_sexpr(&a)]),
                    list(vec![clone_sexpr(&f), clone_sexpr(&r), clone_sexpr(&a)]),
                ]);
                let end = list(vec![
                    list(vec![list(vec![]), clone_sexpr(&a)]),
                    clone_sexpr(&a),
                ]);
                let def = list(vec![clone_sexpr(&f), list(take), skip, end]);
                list(vec![
                    sym("fletrec"),
                    list(vec![def]),
                    list(vec![f, clone_sexpr(gen), clone_sexpr(&acc_at[j])]),
                ])
            }
            Sexpr::List(parts) if parts.first().and_then(Sexpr::as_atom) == Some("<=") => {
                return Err(bad_form("lc"));
            }
            test => list(vec![
                sym("if"),
                clone_sexpr(test),
                inner,
                clone_sexpr(&acc_at[j]),
            ]),
        };
    }
    Ok(list(vec![sym("lists:reverse"), inner]))
}

/// `(list* e ... acc)` of the collected elements (gathered in reverse).
fn flush_run(run: &mut Vec<Sexpr>, acc: Sexpr) -> Sexpr {
    if run.is_empty() {
        return acc;
    }
    let mut v = vec![sym("list*")];
    v.extend(run.drain(..).rev());
    v.push(acc);
    list(v)
}

/// Whether a backquoted form holds any comma (else it is just quoted). Iterative.
fn has_comma(x: &Sexpr) -> bool {
    let mut stack = vec![x];
    while let Some(s) = stack.pop() {
        if let Sexpr::List(items) = s {
            if matches!(items.first(), Some(Sexpr::Atom(a)) if &**a == "comma" || &**a == "comma-at")
            {
                return true;
            }
            // `(a . ,b)`, read as `(a comma b)`.
            if items.len() >= 2 && items[items.len() - 2].as_atom() == Some("comma") {
                return true;
            }
        }
        stack.extend(s.children());
    }
    false
}
