//! `erlang` arithmetic and bit operators, with integers of any size and floats as
//! Erlang has them: `/` always gives a float, `div` and `rem` take integers only and
//! truncate toward zero, a float result that is not finite is `badarith`.

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::exception::{Exception, Result};
use crate::order::to_f64;
use crate::runtime::Runtime;
use crate::term::Term;

pub fn register(rt: &mut Runtime) {
    rt.register("erlang", "+", 2, |_, a| add(&a[0], &a[1]));
    rt.register("erlang", "-", 2, |_, a| sub(&a[0], &a[1]));
    rt.register("erlang", "*", 2, |_, a| mul(&a[0], &a[1]));
    rt.register("erlang", "/", 2, |_, a| fdiv(&a[0], &a[1]));
    rt.register("erlang", "div", 2, |_, a| int_div(&a[0], &a[1]));
    rt.register("erlang", "rem", 2, |_, a| int_rem(&a[0], &a[1]));
    rt.register("erlang", "-", 1, |_, a| neg(&a[0]));
    rt.register("erlang", "+", 1, |_, a| {
        if a[0].is_number() {
            Ok(a[0].clone())
        } else {
            Err(Exception::badarith())
        }
    });
    rt.register("erlang", "abs", 1, |_, a| match &a[0] {
        Term::Float(f) => Ok(Term::Float(f.abs())),
        t if t.is_integer() => Ok(Term::big(big(t)?.abs())),
        _ => Err(Exception::badarg()),
    });
    rt.register("erlang", "band", 2, |_, a| bits(&a[0], &a[1], |x, y| x & y));
    rt.register("erlang", "bor", 2, |_, a| bits(&a[0], &a[1], |x, y| x | y));
    rt.register("erlang", "bxor", 2, |_, a| bits(&a[0], &a[1], |x, y| x ^ y));
    rt.register("erlang", "bnot", 1, |_, a| {
        Ok(Term::big(!big_arith(&a[0])?))
    });
    rt.register("erlang", "bsl", 2, |_, a| shift(&a[0], &a[1], true));
    rt.register("erlang", "bsr", 2, |_, a| shift(&a[0], &a[1], false));
    rt.register("erlang", "float", 1, |_, a| {
        to_f64(&a[0]).map(Term::Float).ok_or_else(Exception::badarg)
    });
    rt.register("erlang", "trunc", 1, |_, a| round_with(&a[0], f64::trunc));
    rt.register("erlang", "round", 1, |_, a| round_with(&a[0], f64::round));
    rt.register("erlang", "floor", 1, |_, a| round_with(&a[0], f64::floor));
    rt.register("erlang", "ceil", 1, |_, a| round_with(&a[0], f64::ceil));
}

fn big(t: &Term) -> Result<BigInt> {
    match t {
        Term::Int(i) => Ok(BigInt::from(*i)),
        Term::Big(b) => Ok((**b).clone()),
        _ => Err(Exception::badarg()),
    }
}

/// An integer operand of an arithmetic operator (`badarith` otherwise).
fn big_arith(t: &Term) -> Result<BigInt> {
    big(t).map_err(|_| Exception::badarith())
}

fn float_result(f: f64) -> Result<Term> {
    if f.is_finite() {
        Ok(Term::Float(f))
    } else {
        Err(Exception::badarith())
    }
}

/// Applies an integer operation (fast on i64, else on big integers) or a float one.
fn numeric(
    a: &Term,
    b: &Term,
    small: fn(i64, i64) -> Option<i64>,
    large: fn(BigInt, BigInt) -> BigInt,
    float: fn(f64, f64) -> f64,
) -> Result<Term> {
    match (a, b) {
        (Term::Int(x), Term::Int(y)) => Ok(match small(*x, *y) {
            Some(r) => Term::Int(r),
            None => Term::big(large(BigInt::from(*x), BigInt::from(*y))),
        }),
        _ if a.is_integer() && b.is_integer() => Ok(Term::big(large(big(a)?, big(b)?))),
        _ if a.is_number() && b.is_number() => {
            let (x, y) = (to_f64(a), to_f64(b));
            match (x, y) {
                (Some(x), Some(y)) => float_result(float(x, y)),
                _ => Err(Exception::badarith()),
            }
        }
        _ => Err(Exception::badarith()),
    }
}

pub fn add(a: &Term, b: &Term) -> Result<Term> {
    numeric(a, b, i64::checked_add, |x, y| x + y, |x, y| x + y)
}

pub fn sub(a: &Term, b: &Term) -> Result<Term> {
    numeric(a, b, i64::checked_sub, |x, y| x - y, |x, y| x - y)
}

pub fn mul(a: &Term, b: &Term) -> Result<Term> {
    numeric(a, b, i64::checked_mul, |x, y| x * y, |x, y| x * y)
}

fn neg(a: &Term) -> Result<Term> {
    match a {
        Term::Int(i) => Ok(i
            .checked_neg()
            .map(Term::Int)
            .unwrap_or_else(|| Term::big(-BigInt::from(*i)))),
        Term::Big(b) => Ok(Term::big(-(**b).clone())),
        Term::Float(f) => Ok(Term::Float(-f)),
        _ => Err(Exception::badarith()),
    }
}

fn fdiv(a: &Term, b: &Term) -> Result<Term> {
    match (to_f64(a), to_f64(b)) {
        (Some(_), Some(0.0)) => Err(Exception::badarith()),
        (Some(x), Some(y)) if a.is_number() && b.is_number() => float_result(x / y),
        _ => Err(Exception::badarith()),
    }
}

fn int_div(a: &Term, b: &Term) -> Result<Term> {
    let (x, y) = (big_arith(a)?, big_arith(b)?);
    if y.is_zero() {
        return Err(Exception::badarith());
    }
    Ok(Term::big(x / y))
}

fn int_rem(a: &Term, b: &Term) -> Result<Term> {
    let (x, y) = (big_arith(a)?, big_arith(b)?);
    if y.is_zero() {
        return Err(Exception::badarith());
    }
    Ok(Term::big(x % y))
}

fn bits(a: &Term, b: &Term, f: fn(BigInt, BigInt) -> BigInt) -> Result<Term> {
    Ok(Term::big(f(big_arith(a)?, big_arith(b)?)))
}

/// The largest shift accepted: beyond it the result would not fit in memory anyway
/// (Erlang raises `system_limit`).
const MAX_SHIFT: i64 = 1 << 24;

fn shift(a: &Term, b: &Term, left: bool) -> Result<Term> {
    let x = big_arith(a)?;
    let n = big_arith(b)?
        .to_i64()
        .ok_or_else(|| Exception::error(Term::atom("system_limit")))?;
    let n = if left { n } else { -n };
    if n > MAX_SHIFT {
        return Err(Exception::error(Term::atom("system_limit")));
    }
    Ok(Term::big(if n >= 0 {
        x << (n as u64)
    } else {
        // An arithmetic shift right (floor), as Erlang's bsr on negatives.
        x >> (n.unsigned_abs().min(1 << 40))
    }))
}

fn round_with(a: &Term, f: fn(f64) -> f64) -> Result<Term> {
    match a {
        Term::Float(x) => Ok(<BigInt as num_traits::FromPrimitive>::from_f64(f(*x))
            .map(Term::big)
            .unwrap_or(Term::Int(0))),
        t if t.is_integer() => Ok(t.clone()),
        _ => Err(Exception::badarg()),
    }
}
