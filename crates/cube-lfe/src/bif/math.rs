//! `math` (floats in, floats out; a result that is not a finite number is
//! `badarith`, as Erlang raises), and a few `string` and `proplists` functions.

use crate::bif::{index_arg, list_arg};
use crate::exception::{Exception, Result};
use crate::order::to_f64;
use crate::runtime::Runtime;
use crate::term::Term;

pub fn register(rt: &mut Runtime) {
    rt.register("math", "pi", 0, |_, _| {
        Ok(Term::Float(std::f64::consts::PI))
    });
    rt.register("math", "e", 0, |_, _| Ok(Term::Float(std::f64::consts::E)));
    rt.register("math", "sqrt", 1, |_, a| unary(&a[0], f64::sqrt));
    rt.register("math", "exp", 1, |_, a| unary(&a[0], f64::exp));
    rt.register("math", "log", 1, |_, a| unary(&a[0], f64::ln));
    rt.register("math", "log2", 1, |_, a| unary(&a[0], f64::log2));
    rt.register("math", "log10", 1, |_, a| unary(&a[0], f64::log10));
    rt.register("math", "sin", 1, |_, a| unary(&a[0], f64::sin));
    rt.register("math", "cos", 1, |_, a| unary(&a[0], f64::cos));
    rt.register("math", "tan", 1, |_, a| unary(&a[0], f64::tan));
    rt.register("math", "atan", 1, |_, a| unary(&a[0], f64::atan));
    rt.register("math", "floor", 1, |_, a| unary(&a[0], f64::floor));
    rt.register("math", "ceil", 1, |_, a| unary(&a[0], f64::ceil));
    rt.register("math", "pow", 2, |_, a| binary(&a[0], &a[1], f64::powf));
    rt.register("math", "atan2", 2, |_, a| binary(&a[0], &a[1], f64::atan2));
    rt.register("math", "fmod", 2, |_, a| binary(&a[0], &a[1], |x, y| x % y));

    rt.register("string", "to_upper", 1, |_, a| map_chars(&a[0], to_upper));
    rt.register("string", "to_lower", 1, |_, a| map_chars(&a[0], to_lower));
    rt.register("string", "len", 1, |_, a| {
        Ok(Term::Int(list_arg(&a[0])?.len() as i64))
    });
    rt.register("string", "concat", 2, |_, a| {
        Ok(Term::list_with_tail(list_arg(&a[0])?, a[1].clone()))
    });
    rt.register("string", "copies", 2, |_, a| {
        let s = list_arg(&a[0])?;
        let n = index_arg(&a[1])?;
        if s.len().saturating_mul(n) > crate::bif::lists::MAX_MADE_LIST as usize {
            return Err(Exception::error(Term::atom("system_limit")));
        }
        Ok(Term::list(
            s.iter().cloned().cycle().take(s.len() * n).collect(),
        ))
    });
    rt.register("string", "tokens", 2, |_, a| {
        let s = list_arg(&a[0])?;
        let seps = list_arg(&a[1])?;
        let is_sep = |c: &Term| seps.iter().any(|x| crate::order::exact_equal(x, c));
        let mut out = Vec::new();
        let mut cur = Vec::new();
        for c in s {
            if is_sep(&c) {
                if !cur.is_empty() {
                    out.push(Term::list(std::mem::take(&mut cur)));
                }
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(Term::list(cur));
        }
        Ok(Term::list(out))
    });
    rt.register("string", "join", 2, |_, a| {
        let parts = list_arg(&a[0])?;
        let sep = list_arg(&a[1])?;
        let mut out = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.extend(sep.iter().cloned());
            }
            out.extend(list_arg(p)?);
        }
        Ok(Term::list(out))
    });
    rt.register("lists", "join", 2, |_, a| {
        let items = list_arg(&a[1])?;
        let mut out = Vec::new();
        for (i, x) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(a[0].clone());
            }
            out.push(x);
        }
        Ok(Term::list(out))
    });
    rt.register("proplists", "get_value", 2, |_, a| {
        get_value(&a[0], &a[1], Term::atom("undefined"))
    });
    rt.register("proplists", "get_value", 3, |_, a| {
        get_value(&a[0], &a[1], a[2].clone())
    });
}

fn unary(x: &Term, f: fn(f64) -> f64) -> Result<Term> {
    let x = to_f64(x).ok_or_else(Exception::badarg)?;
    finite(f(x))
}

fn binary(x: &Term, y: &Term, f: fn(f64, f64) -> f64) -> Result<Term> {
    let x = to_f64(x).ok_or_else(Exception::badarg)?;
    let y = to_f64(y).ok_or_else(Exception::badarg)?;
    finite(f(x, y))
}

fn finite(r: f64) -> Result<Term> {
    if r.is_finite() {
        Ok(Term::Float(r))
    } else {
        Err(Exception::badarith())
    }
}

/// Maps the character codes of a string (Latin-1 case rules, as `string:to_upper`
/// on lists).
fn map_chars(s: &Term, f: fn(i64) -> i64) -> Result<Term> {
    let items = list_arg(s)?;
    items
        .iter()
        .map(|c| match c {
            Term::Int(i) => Ok(Term::Int(f(*i))),
            _ => Err(Exception::badarg()),
        })
        .collect::<Result<Vec<_>>>()
        .map(Term::list)
}

fn to_upper(c: i64) -> i64 {
    if (97..=122).contains(&c) || ((224..=254).contains(&c) && c != 247) {
        c - 32
    } else {
        c
    }
}

fn to_lower(c: i64) -> i64 {
    if (65..=90).contains(&c) || ((192..=222).contains(&c) && c != 215) {
        c + 32
    } else {
        c
    }
}

fn get_value(key: &Term, list: &Term, default: Term) -> Result<Term> {
    for x in list_arg(list)? {
        match &x {
            Term::Tuple(t)
                if t.0
                    .first()
                    .is_some_and(|k| crate::order::exact_equal(k, key)) =>
            {
                return Ok(t.0.get(1).cloned().unwrap_or(Term::atom("true")))
            }
            Term::Atom(_) if crate::order::exact_equal(&x, key) => return Ok(Term::atom("true")),
            _ => {}
        }
    }
    Ok(default)
}
