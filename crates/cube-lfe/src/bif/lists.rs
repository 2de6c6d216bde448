//! `lists` functions that take no funs (the others are LFE code in `prelude.lfe`).

use crate::bif::{index_arg, list_arg};
use crate::exception::{Exception, Result};
use crate::order::{cmp, exact_equal};
use crate::runtime::Runtime;
use crate::term::Term;

/// The longest list `seq` and `duplicate` make (a bound on memory).
pub const MAX_MADE_LIST: i64 = 100_000_000;

pub fn register(rt: &mut Runtime) {
    rt.register("lists", "reverse", 1, |_, a| {
        let mut v = list_arg(&a[0])?;
        v.reverse();
        Ok(Term::list(v))
    });
    rt.register("lists", "reverse", 2, |_, a| {
        let v = list_arg(&a[0])?;
        Ok(v.into_iter()
            .fold(a[1].clone(), |acc, x| Term::cons(x, acc)))
    });
    rt.register("lists", "seq", 2, |_, a| seq(&a[0], &a[1], &Term::Int(1)));
    rt.register("lists", "seq", 3, |_, a| seq(&a[0], &a[1], &a[2]));
    rt.register("lists", "nth", 2, |_, a| {
        let n = index_arg(&a[0])?;
        let v = list_arg(&a[1])?;
        n.checked_sub(1)
            .and_then(|i| v.get(i))
            .cloned()
            .ok_or_else(function_clause)
    });
    rt.register("lists", "nthtail", 2, |_, a| {
        let mut n = index_arg(&a[0])?;
        let mut t = a[1].clone();
        while n > 0 {
            t = match &t {
                Term::Cons(c) => c.tail.clone(),
                _ => return Err(function_clause()),
            };
            n -= 1;
        }
        Ok(t)
    });
    rt.register("lists", "member", 2, |_, a| {
        Ok(Term::bool(
            list_arg(&a[1])?.iter().any(|x| exact_equal(x, &a[0])),
        ))
    });
    rt.register("lists", "sort", 1, |_, a| {
        let mut v = list_arg(&a[0])?;
        v.sort_by(cmp);
        Ok(Term::list(v))
    });
    rt.register("lists", "usort", 1, |_, a| {
        let mut v = list_arg(&a[0])?;
        v.sort_by(cmp);
        v.dedup_by(|x, y| exact_equal(x, y));
        Ok(Term::list(v))
    });
    rt.register("lists", "sum", 1, |_, a| {
        list_arg(&a[0])?
            .iter()
            .try_fold(Term::Int(0), |acc, x| crate::bif::arith::add(&acc, x))
    });
    rt.register("lists", "max", 1, |_, a| extreme(&a[0], true));
    rt.register("lists", "min", 1, |_, a| extreme(&a[0], false));
    rt.register("lists", "last", 1, |_, a| {
        list_arg(&a[0])?.pop().ok_or_else(function_clause)
    });
    rt.register("lists", "append", 2, |_, a| {
        Ok(Term::list_with_tail(list_arg(&a[0])?, a[1].clone()))
    });
    rt.register("lists", "append", 1, |_, a| {
        let lists = list_arg(&a[0])?;
        let mut acc = Term::Nil;
        for l in lists.into_iter().rev() {
            acc = Term::list_with_tail(list_arg(&l)?, acc);
        }
        Ok(acc)
    });
    rt.register("lists", "flatten", 1, |_, a| {
        let mut out = Vec::new();
        let mut stack = vec![a[0].clone()];
        while let Some(x) = stack.pop() {
            match x {
                Term::Nil => {}
                Term::Cons(c) => {
                    stack.push(c.tail.clone());
                    stack.push(c.head.clone());
                }
                other => out.push(other),
            }
        }
        Ok(Term::list(out))
    });
    rt.register("lists", "zip", 2, |_, a| {
        let (x, y) = (list_arg(&a[0])?, list_arg(&a[1])?);
        if x.len() != y.len() {
            return Err(function_clause());
        }
        Ok(Term::list(
            x.into_iter()
                .zip(y)
                .map(|(p, q)| Term::tuple(vec![p, q]))
                .collect(),
        ))
    });
    rt.register("lists", "unzip", 1, |_, a| {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for t in list_arg(&a[0])? {
            match &t {
                Term::Tuple(p) if p.0.len() == 2 => {
                    xs.push(p.0[0].clone());
                    ys.push(p.0[1].clone());
                }
                _ => return Err(function_clause()),
            }
        }
        Ok(Term::tuple(vec![Term::list(xs), Term::list(ys)]))
    });
    rt.register("lists", "duplicate", 2, |_, a| {
        let n = index_arg(&a[0])?;
        if n as i64 > MAX_MADE_LIST {
            return Err(Exception::error(Term::atom("system_limit")));
        }
        Ok(Term::list(vec![a[1].clone(); n]))
    });
    rt.register("lists", "delete", 2, |_, a| {
        let mut v = list_arg(&a[1])?;
        if let Some(i) = v.iter().position(|x| exact_equal(x, &a[0])) {
            v.remove(i);
        }
        Ok(Term::list(v))
    });
    rt.register("lists", "sublist", 2, |_, a| {
        let n = index_arg(&a[1])?;
        Ok(Term::list(list_arg(&a[0])?.into_iter().take(n).collect()))
    });
    rt.register("lists", "split", 2, |_, a| {
        let n = index_arg(&a[0])?;
        let mut v = list_arg(&a[1])?;
        if n > v.len() {
            return Err(Exception::badarg());
        }
        let rest = v.split_off(n);
        Ok(Term::tuple(vec![Term::list(v), Term::list(rest)]))
    });
    rt.register("lists", "keymember", 3, |_, a| {
        Ok(Term::bool(key_position(&a[0], &a[1], &a[2])?.is_some()))
    });
    rt.register("lists", "keydelete", 3, |_, a| {
        let mut v = list_arg(&a[2])?;
        if let Some(i) = key_position(&a[0], &a[1], &a[2])? {
            v.remove(i);
        }
        Ok(Term::list(v))
    });
    rt.register("lists", "keyreplace", 4, |_, a| {
        let mut v = list_arg(&a[2])?;
        if let Some(i) = key_position(&a[0], &a[1], &a[2])? {
            v[i] = a[3].clone();
        }
        Ok(Term::list(v))
    });
    rt.register("lists", "keystore", 4, |_, a| {
        let mut v = list_arg(&a[2])?;
        match key_position(&a[0], &a[1], &a[2])? {
            Some(i) => v[i] = a[3].clone(),
            None => v.push(a[3].clone()),
        }
        Ok(Term::list(v))
    });
    rt.register("lists", "keysort", 2, |_, a| {
        let n = index_arg(&a[0])?;
        let mut v = list_arg(&a[1])?;
        let key = |t: &Term| match t {
            Term::Tuple(items) if n >= 1 => items.0.get(n - 1).cloned(),
            _ => None,
        };
        if v.iter().any(|t| key(t).is_none()) {
            return Err(Exception::badarg());
        }
        // Stable, as Erlang's.
        v.sort_by(|x, y| cmp(&key(x).unwrap_or_default(), &key(y).unwrap_or_default()));
        Ok(Term::list(v))
    });
    rt.register("lists", "keyfind", 3, |_, a| {
        let n = index_arg(&a[1])?;
        for t in list_arg(&a[2])? {
            if let Term::Tuple(items) = &t {
                if n >= 1
                    && items
                        .0
                        .get(n - 1)
                        .is_some_and(|k| crate::order::equal(k, &a[0]))
                {
                    return Ok(t.clone());
                }
            }
        }
        Ok(Term::bool(false))
    });
}

fn function_clause() -> Exception {
    Exception::error(Term::atom("function_clause"))
}

fn seq(from: &Term, to: &Term, step: &Term) -> Result<Term> {
    let (Term::Int(from), Term::Int(to), Term::Int(step)) = (from, to, step) else {
        return Err(function_clause());
    };
    let (from, to, step) = (*from, *to, *step);
    if step == 0 && from != to || step > 0 && to < from - step || step < 0 && to > from - step {
        return Err(function_clause());
    }
    if step == 0 {
        return Ok(Term::list(vec![Term::Int(from)]));
    }
    let count = ((to as i128 - from as i128) / step as i128 + 1).max(0);
    if count > MAX_MADE_LIST as i128 {
        return Err(Exception::error(Term::atom("system_limit")));
    }
    Ok(Term::list(
        (0..count as i64)
            .map(|i| Term::Int(from + i * step))
            .collect(),
    ))
}

fn extreme(l: &Term, max: bool) -> Result<Term> {
    let v = list_arg(l)?;
    let mut it = v.into_iter();
    let first = it.next().ok_or_else(function_clause)?;
    Ok(it.fold(first, |best, x| {
        let o = cmp(&x, &best);
        if (max && o.is_gt()) || (!max && o.is_lt()) {
            x
        } else {
            best
        }
    }))
}

/// The position of the first tuple in `list` whose element `n` equals `key` (`==`).
fn key_position(key: &Term, n: &Term, list: &Term) -> Result<Option<usize>> {
    let n = index_arg(n)?;
    if n == 0 {
        return Err(Exception::badarg());
    }
    Ok(list_arg(list)?.iter().position(|t| {
        matches!(t, Term::Tuple(items) if items.0.get(n - 1).is_some_and(|k| crate::order::equal(k, key)))
    }))
}
