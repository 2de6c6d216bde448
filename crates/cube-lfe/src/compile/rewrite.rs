//! Built-in macros that rewrite source into other source: backquote and list and
//! binary comprehensions.

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

/// Which comprehension: `lc` collects a list, `bc` a binary.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Comp {
    List,
    Binary,
}

/// A list or binary comprehension `(lc (qualifier ...) expr)`, `(bc (qualifier ...)
/// bitstring-expr)` as plain code, the way Erlang's compiler does it: each generator
/// becomes a local recursive function over its list or binary and an accumulator.
/// A list generator `(<- pat [guard] list)`: the first clause takes a matching
/// element (its pattern binds fresh variables, as a fun head does), the second skips
/// one that does not match, the third ends at `()`. A binary generator `(<= (binary
/// seg ...) [guard] bin)`: the first clause matches the segments off the front, the
/// second steps over as many bits when they do not match (the same segments, their
/// values any), the third ends when too few bits are left. A filter is an `if` that
/// keeps the accumulator when false; the innermost part conses `expr` onto the
/// accumulator, and the whole is reversed once (a `bc` then joins the pieces into
/// one bitstring). (Mapping a `match-lambda` and appending the pieces, as this was
/// first written, allocated a list per element: 1.7 us an element.)
/// The helper names hold spaces, so no symbol a program writes can meet them.
/// Built from the last qualifier outwards, without recursion.
pub(super) fn list_comp(kind: Comp, quals: &[Sexpr], e: &Sexpr) -> Result<Sexpr> {
    let form = if kind == Comp::List { "lc" } else { "bc" };
    let gen_kind = |q: &Sexpr| match q {
        Sexpr::List(parts) => match parts.first().and_then(Sexpr::as_atom) {
            Some("<-") => Some(false),
            Some("<=") => Some(true),
            _ => None,
        },
        _ => None,
    };
    // The accumulator in scope at each qualifier (and after the last): the nearest
    // generator's before it, or `()`.
    let mut acc_at = Vec::with_capacity(quals.len() + 1);
    let mut acc = list(vec![]);
    for (j, q) in quals.iter().enumerate() {
        acc_at.push(clone_sexpr(&acc));
        if gen_kind(q).is_some() {
            acc = sym(&format!("lc acc {j}"));
        }
    }
    acc_at.push(acc);
    let value = match kind {
        Comp::List => clone_sexpr(e),
        // Each piece must be a bitstring, as LFE's `<<Acc/bitstring, Val/bitstring>>`.
        Comp::Binary => list(vec![
            sym("let"),
            list(vec![list(vec![sym("bc val"), clone_sexpr(e)])]),
            list(vec![
                sym("if"),
                list(vec![sym("is_bitstring"), sym("bc val")]),
                sym("bc val"),
                list(vec![sym("error"), list(vec![sym("quote"), sym("badarg")])]),
            ]),
        ]),
    };
    let mut inner = list(vec![sym("cons"), value, clone_sexpr(&acc_at[quals.len()])]);
    for (j, q) in quals.iter().enumerate().rev() {
        inner = match (q, gen_kind(q)) {
            (Sexpr::List(parts), Some(binary_gen)) => {
                let (pat, guard, gen) = match &parts[1..] {
                    [pat, gen] => (pat, None, gen),
                    [pat, g, gen] if is_when(g) => (pat, Some(g), gen),
                    _ => return Err(bad_form(form)),
                };
                let (f, a, r) = (
                    sym(&format!("lc {j}")),
                    sym(&format!("lc acc {j}")),
                    sym(&format!("lc rest {j}")),
                );
                let clauses = if binary_gen {
                    binary_generator(form, pat, guard, inner, &f, &a, &r)?
                } else {
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
                    vec![list(take), skip, end, bad_generator(&r)]
                };
                let mut def = vec![clone_sexpr(&f)];
                def.extend(clauses);
                list(vec![
                    sym("fletrec"),
                    list(vec![list(def)]),
                    list(vec![f, clone_sexpr(gen), clone_sexpr(&acc_at[j])]),
                ])
            }
            (test, _) => list(vec![
                sym("if"),
                clone_sexpr(test),
                inner,
                clone_sexpr(&acc_at[j]),
            ]),
        };
    }
    let collected = list(vec![sym("lists:reverse"), inner]);
    Ok(match kind {
        Comp::List => collected,
        Comp::Binary => list(vec![sym("erlang:list_to_bitstring"), collected]),
    })
}

/// The last clause of a generator's function: anything that is not a list (or, for
/// `<=`, a bitstring) is `{bad_generator, Value}`, as LFE reports it.
fn bad_generator(r: &Sexpr) -> Sexpr {
    list(vec![
        list(vec![clone_sexpr(r), sym("_")]),
        list(vec![
            sym("error"),
            list(vec![
                sym("tuple"),
                list(vec![sym("quote"), sym("bad_generator")]),
                clone_sexpr(r),
            ]),
        ]),
    ])
}

/// The clauses of a binary generator `(<= (binary seg ...) [guard] bin)`'s
/// function `f` over the rest `r` and the accumulator `a`: take, step over, end,
/// bad generator.
fn binary_generator(
    form: &str,
    pat: &Sexpr,
    guard: Option<&Sexpr>,
    inner: Sexpr,
    f: &Sexpr,
    a: &Sexpr,
    r: &Sexpr,
) -> Result<Vec<Sexpr>> {
    let segs = match pat {
        Sexpr::List(items) if items.first().and_then(Sexpr::as_atom) == Some("binary") => {
            &items[1..]
        }
        _ => return Err(bad_form(form)),
    };
    let rest_seg = list(vec![clone_sexpr(r), sym("bitstring")]);
    let head = |segs: Vec<Sexpr>| {
        let mut b = vec![sym("binary")];
        b.extend(segs);
        b.push(clone_sexpr(&rest_seg));
        list(vec![list(b), clone_sexpr(a)])
    };
    let mut take = vec![head(segs.iter().map(clone_sexpr).collect())];
    if let Some(g) = guard {
        take.push(clone_sexpr(g));
    }
    take.push(list(vec![clone_sexpr(f), clone_sexpr(r), inner]));
    let step = list(vec![
        head(skip_segments(segs)),
        list(vec![clone_sexpr(f), clone_sexpr(r), clone_sexpr(a)]),
    ]);
    let end = list(vec![
        list(vec![clone_sexpr(r), clone_sexpr(a)]),
        list(vec![
            sym("when"),
            list(vec![sym("is_bitstring"), clone_sexpr(r)]),
        ]),
        clone_sexpr(a),
    ]);
    Ok(vec![list(take), step, end, bad_generator(r)])
}

/// The segments of a binary generator's pattern with their values made `_`, so
/// they match the same number of bits whatever they hold. A variable that a later
/// segment's size names is kept, so that size still means the same.
fn skip_segments(segs: &[Sexpr]) -> Vec<Sexpr> {
    let mut size_vars: Vec<&str> = Vec::new();
    for s in segs {
        if let Sexpr::List(items) = s {
            for sp in items.iter().skip(1) {
                if let Sexpr::List(kv) = sp {
                    if let [k, Sexpr::Atom(v)] = &kv[..] {
                        if k.as_atom() == Some("size") {
                            size_vars.push(v);
                        }
                    }
                }
            }
        }
    }
    let any = |v: &Sexpr| match v {
        Sexpr::Atom(name) if size_vars.contains(&&**name) => clone_sexpr(v),
        _ => sym("_"),
    };
    let is_string = |x: &Sexpr| matches!(x, Sexpr::List(cs) if !cs.is_empty() && cs.iter().all(|c| matches!(c, Sexpr::Int(_))));
    let mut out = Vec::with_capacity(segs.len());
    for s in segs {
        match s {
            // A string segment: one 8-bit integer a character.
            Sexpr::List(cs) if is_string(s) => out.extend(cs.iter().map(|_| sym("_"))),
            Sexpr::List(items) if !items.is_empty() && is_string(&items[0]) => {
                out.push(clone_sexpr(s))
            }
            Sexpr::List(items) if !items.is_empty() => {
                let mut seg = vec![any(&items[0])];
                seg.extend(items[1..].iter().map(clone_sexpr));
                out.push(list(seg));
            }
            v => out.push(any(v)),
        }
    }
    out
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
