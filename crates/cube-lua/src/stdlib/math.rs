//! The `math` library (Lua 5.2's `lmathlib.c`, with the 5.2 compatibility functions
//! `cosh`, `sinh`, `tanh`, `pow`, `frexp`, `ldexp` and `log10` that Debian's build has).
//!
//! `math.random` reproduces glibc's `rand()` (the TYPE_3 additive feedback generator behind
//! `random()`), which is what `lua5.2` calls on Linux: the same `math.randomseed(n)` gives
//! the same sequence as `lua5.2`, and an unseeded state starts like C's (`srand(1)`).
//! The generator's state lives in a userdata shared, as an upvalue, by `random` and
//! `randomseed`, so each Lua state (process) has its own sequence.

use super::bit32::c_unsigned;
use crate::state::{Args, LResult, Ret, State};
use crate::value::Value;

pub fn open(st: &mut State) {
    let t = super::new_lib(st, "math");
    st.register(
        t,
        &[
            ("abs", abs),
            ("acos", acos),
            ("asin", asin),
            ("atan", atan),
            ("atan2", atan2),
            ("ceil", ceil),
            ("cos", cos),
            ("cosh", cosh),
            ("deg", deg),
            ("exp", exp),
            ("floor", floor),
            ("fmod", fmod),
            ("frexp", frexp),
            ("ldexp", ldexp),
            ("log", log),
            ("log10", log10),
            ("max", max),
            ("min", min),
            ("modf", modf),
            ("pow", pow),
            ("rad", rad),
            ("sin", sin),
            ("sinh", sinh),
            ("sqrt", sqrt),
            ("tan", tan),
            ("tanh", tanh),
        ],
    );
    let rng = st.new_userdata(GlibcRand::new(1), None);
    let random_fn = st.new_native("random", random, vec![rng]);
    st.set_field(t, "random", random_fn);
    let seed_fn = st.new_native("randomseed", randomseed, vec![rng]);
    st.set_field(t, "randomseed", seed_fn);
    st.set_field(t, "pi", Value::Num(std::f64::consts::PI));
    st.set_field(t, "huge", Value::Num(f64::INFINITY));
}

fn push_num(st: &mut State, x: f64) -> LResult<Ret> {
    st.push(Value::Num(x));
    Ok(Ret::Values(1))
}

/// A function of one number.
fn unary(st: &mut State, a: Args, f: fn(f64) -> f64) -> LResult<Ret> {
    let x = st.check_number(a, 1)?;
    push_num(st, f(x))
}

/// A function of two numbers.
fn binary(st: &mut State, a: Args, f: fn(f64, f64) -> f64) -> LResult<Ret> {
    let x = st.check_number(a, 1)?;
    let y = st.check_number(a, 2)?;
    push_num(st, f(x, y))
}

fn abs(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::abs)
}
fn acos(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::acos)
}
fn asin(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::asin)
}
fn atan(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::atan)
}
fn atan2(st: &mut State, a: Args) -> LResult<Ret> {
    binary(st, a, f64::atan2)
}
fn ceil(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::ceil)
}
fn cos(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::cos)
}
fn cosh(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::cosh)
}
fn exp(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::exp)
}
fn floor(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::floor)
}
fn log10(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::log10)
}
fn sin(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::sin)
}
fn sinh(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::sinh)
}
fn sqrt(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::sqrt)
}
fn tan(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::tan)
}
fn tanh(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, f64::tanh)
}
fn pow(st: &mut State, a: Args) -> LResult<Ret> {
    binary(st, a, f64::powf)
}

/// C's `fmod` (Rust's `%` on floats lowers to it).
fn fmod(st: &mut State, a: Args) -> LResult<Ret> {
    binary(st, a, |x, y| x % y)
}

/// 5.2 defines these through `RADIANS_PER_DEGREE`, so the rounding is the same.
const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

fn deg(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, |x| x / RADIANS_PER_DEGREE)
}

fn rad(st: &mut State, a: Args) -> LResult<Ret> {
    unary(st, a, |x| x * RADIANS_PER_DEGREE)
}

/// `math.log(x [, base])`: 5.2.4 special-cases base 10 only (`log(x)/log(base)`
/// otherwise, so `math.log(2^29, 2)` is 29.000000000000004, as in `lua5.2`).
fn log(st: &mut State, a: Args) -> LResult<Ret> {
    let x = st.check_number(a, 1)?;
    let r = if st.arg(a, 2).is_nil() {
        x.ln()
    } else {
        let base = st.check_number(a, 2)?;
        if base == 10.0 {
            x.log10()
        } else {
            x.ln() / base.ln()
        }
    };
    push_num(st, r)
}

/// C's `modf`: the fraction keeps the sign of `x`, and is ±0 for infinities.
fn modf(st: &mut State, a: Args) -> LResult<Ret> {
    let x = st.check_number(a, 1)?;
    let ip = x.trunc();
    let fp = if x.is_infinite() { 0.0 } else { x - ip };
    st.push(Value::Num(ip));
    st.push(Value::Num(fp.copysign(x)));
    Ok(Ret::Values(2))
}

/// C's `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1`; zero, infinities and NaN come back
/// unchanged with exponent 0.
fn c_frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let (x, bias) = if x.abs() < f64::MIN_POSITIVE {
        (x * 2f64.powi(64), -64)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022 + bias)
}

fn frexp(st: &mut State, a: Args) -> LResult<Ret> {
    let x = st.check_number(a, 1)?;
    let (m, e) = c_frexp(x);
    st.push(Value::Num(m));
    st.push(Value::Num(e as f64));
    Ok(Ret::Values(2))
}

/// C's `ldexp` (`scalbn`, as musl writes it): scales in steps so that intermediate
/// results neither overflow nor lose precision before the final rounding.
fn c_ldexp(mut x: f64, mut n: i64) -> f64 {
    let p1023 = 2f64.powi(1023);
    let pm969 = 2f64.powi(-1022) * 2f64.powi(53);
    if n > 1023 {
        x *= p1023;
        n -= 1023;
        if n > 1023 {
            x *= p1023;
            n -= 1023;
            n = n.min(1023);
        }
    } else if n < -1022 {
        x *= pm969;
        n += 1022 - 53;
        if n < -1022 {
            x *= pm969;
            n += 1022 - 53;
            n = n.max(-1022);
        }
    }
    x * f64::from_bits(((0x3ff + n) as u64) << 52)
}

fn ldexp(st: &mut State, a: Args) -> LResult<Ret> {
    let x = st.check_number(a, 1)?;
    let e = st.check_int(a, 2)?;
    push_num(st, c_ldexp(x, e))
}

/// `math.min` / `math.max`: the first argument is required; comparisons are C's `<`.
fn extreme(st: &mut State, a: Args, better: fn(f64, f64) -> bool) -> LResult<Ret> {
    let mut r = st.check_number(a, 1)?;
    for i in 2..=a.len {
        let d = st.check_number(a, i)?;
        if better(d, r) {
            r = d;
        }
    }
    push_num(st, r)
}

fn min(st: &mut State, a: Args) -> LResult<Ret> {
    extreme(st, a, |d, r| d < r)
}

fn max(st: &mut State, a: Args) -> LResult<Ret> {
    extreme(st, a, |d, r| d > r)
}

// ----- random numbers -----

/// glibc's `random()` generator (TYPE_3: degree 31, separation 3), so that sequences
/// match `lua5.2` on Linux.
#[derive(Clone)]
pub(crate) struct GlibcRand {
    state: [i32; 31],
    f: usize,
    r: usize,
}

/// glibc's `RAND_MAX`.
const RAND_MAX: i64 = 2_147_483_647;

impl GlibcRand {
    /// `srand(seed)`: a Lehmer sequence fills the table, then 310 outputs are discarded.
    fn new(seed: u32) -> GlibcRand {
        let seed = if seed == 0 { 1 } else { seed };
        let mut state = [0i32; 31];
        state[0] = seed as i32;
        // glibc keeps `word` in an int32_t, so seeds above 2^31 start negative.
        let mut word = seed as i32 as i64;
        for slot in state.iter_mut().skip(1) {
            let hi = word / 127_773;
            let lo = word % 127_773;
            word = 16_807 * lo - 2_836 * hi;
            if word < 0 {
                word += 2_147_483_647;
            }
            *slot = word as i32;
        }
        let mut g = GlibcRand { state, f: 3, r: 0 };
        for _ in 0..310 {
            g.next();
        }
        g
    }

    /// `rand()`: a number in `0..=RAND_MAX`.
    fn next(&mut self) -> i64 {
        let v = (self.state[self.f] as u32).wrapping_add(self.state[self.r] as u32);
        self.state[self.f] = v as i32;
        self.f = (self.f + 1) % 31;
        self.r = (self.r + 1) % 31;
        (v >> 1) as i64
    }
}

/// Runs `f` on the generator kept in upvalue 1 of `random` / `randomseed`.
fn with_rng<R>(st: &mut State, f: impl FnOnce(&mut GlibcRand) -> R) -> Option<R> {
    // The generator of a shared image: use this state's own copy (crate::image).
    let v = st.upvalue(0);
    let v = st.unshare_value(v);
    st.userdata_mut::<GlibcRand>(&v).map(f)
}

/// `math.random([m [, n]])`. The range checks are written `!(l <= u)` so that NaN bounds
/// fail them, as in C.
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn random(st: &mut State, a: Args) -> LResult<Ret> {
    let raw = with_rng(st, |g| g.next()).unwrap_or(0);
    let r = (raw % RAND_MAX) as f64 / RAND_MAX as f64;
    let x = match a.len {
        0 => r,
        1 => {
            let u = st.check_number(a, 1)?;
            if !(1.0 <= u) {
                return Err(st.arg_error(1, "interval is empty"));
            }
            (r * u).floor() + 1.0
        }
        2 => {
            let l = st.check_number(a, 1)?;
            let u = st.check_number(a, 2)?;
            if !(l <= u) {
                return Err(st.arg_error(2, "interval is empty"));
            }
            (r * (u - l + 1.0)).floor() + l
        }
        _ => return Err(st.rt_error("wrong number of arguments")),
    };
    push_num(st, x)
}

/// `srand(luaL_checkunsigned(1)); rand();` as 5.2 does.
fn randomseed(st: &mut State, a: Args) -> LResult<Ret> {
    let seed = c_unsigned(st.check_number(a, 1)?);
    with_rng(st, |g| {
        *g = GlibcRand::new(seed);
        g.next();
    });
    Ok(Ret::Values(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_ldexp_round_trip() {
        assert_eq!(c_frexp(8.0), (0.5, 4));
        assert_eq!(c_frexp(1e-310).1, -1029);
        assert_eq!(c_ldexp(1.0, 1024), f64::INFINITY);
        assert_eq!(c_ldexp(1.0, -1074), f64::from_bits(1));
        assert_eq!(c_ldexp(1.0, -1075), 0.0);
        let (m, e) = c_frexp(1e-310);
        assert_eq!(c_ldexp(m, e), 1e-310);
    }
}
